#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

// CLIP's byte-level BPE tokenizer (openai/CLIP clip/simple_tokenizer.py), as Stable Diffusion's
// text encoders use it, written from the algorithm: clean (whitespace collapsed, lower case),
// pre-tokenize (special tokens, English contractions, runs of letters, single digits, runs of
// other symbols), map UTF-8 bytes to CLIP's byte alphabet, apply the ranked merges, look up ids.
// Every token keeps the byte span of the prompt it came from, so words map to tokens.
//
// Differences from the reference, stated: ftfy.fix_text and html.unescape are not applied (they
// change nothing for plain text; mojibake and HTML entities are tokenized as written), and lower
// case is the per-code-point (simple) Unicode mapping, which differs from Python's str.lower()
// only for a handful of characters such as U+0130.
namespace infolens {

struct ClipToken {
    int id = 0;
    int begin = 0;  // byte span in the original prompt
    int end = 0;
};

class ClipTokenizer {
  public:
    static constexpr int kStartOfText = 49406;
    static constexpr int kEndOfText = 49407;
    static constexpr int kContextLength = 77;

    // merges: one "left right" pair per line, rank = line number (the file has no header). Throws
    // infolens::ModelError naming the file for a malformed one.
    static ClipTokenizer fromMergesFile(const std::string& path);
    // From merge pairs directly (for tests with a toy vocabulary): ids are assigned as CLIP does,
    // 256 byte symbols, 256 end-of-word byte symbols, one per merge, then the two specials.
    explicit ClipTokenizer(const std::vector<std::pair<std::string, std::string>>& merges);
    // A toy vocabulary given explicitly (the transformers unit test uses one).
    ClipTokenizer(std::unordered_map<std::string, int> vocabulary,
                  const std::vector<std::pair<std::string, std::string>>& merges);

    // The prompt's tokens without start/end markers. A symbol that is not in the vocabulary (only
    // possible with a toy vocabulary) throws infolens::Error.
    [[nodiscard]] std::vector<ClipToken> encode(const std::string& prompt) const;
    // [start] + ids + [end], cut to contextLength (the last id forced to end), padded with padId
    // (SD 1.x: 49407; SD 2.x OpenCLIP: 0).
    [[nodiscard]] static std::vector<int> wrap(const std::vector<ClipToken>& tokens, int padId,
                                               int contextLength = kContextLength);

    [[nodiscard]] int vocabularySize() const { return static_cast<int>(m_vocabulary.size()); }
    [[nodiscard]] int idOf(const std::string& symbol) const;  // -1 when absent

  private:
    std::vector<std::string> bpe(const std::string& piece) const;

    std::unordered_map<std::string, int> m_vocabulary;
    std::unordered_map<std::string, int> m_ranks;  // "left right" -> rank
};

}  // namespace infolens
