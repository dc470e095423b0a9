#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "infolens/model/TextEncoder.h"

namespace infolens {

// Word-level tokenizer: every word and punctuation span of the prompt (segmentPrompt) is one
// token, looked up case-insensitively (ASCII) in a fixed vocabulary; anything else is [UNK] and
// reported as unknown. A symbol outside the vocabulary (";", "!" for the shapes models) is listed
// among the words, flagged unknown (its span's isWord stays false), so that what the model reads
// as [UNK] is always visible; known symbols go to Tokenization::punctuation, and so does every
// symbol of a prompt without a word ("..." has no words). Sequences start with [BOS], so the
// empty prompt is one token.
class WordTokenizer {
  public:
    static constexpr int kPad = 0;
    static constexpr int kUnk = 1;
    static constexpr int kBos = 2;
    static constexpr int kFirstWord = 3;

    explicit WordTokenizer(const std::vector<std::string>& words);
    static WordTokenizer fromFile(const std::string& path);  // one word per line
    // One word per line, from bytes already read (a bundle's verified vocabulary). Throws
    // infolens::Error naming nameForErrors when the text is empty or not UTF-8.
    static WordTokenizer fromText(const std::string& text, const std::string& nameForErrors);
    void save(const std::string& path) const;

    Tokenization tokenize(const std::string& prompt) const;
    // [BOS] followed by the token ids of the prompt.
    std::vector<int> ids(const Tokenization& tokens) const;
    int vocabularySize() const { return static_cast<int>(m_words.size()) + kFirstWord; }
    const std::vector<std::string>& words() const { return m_words; }

  private:
    std::vector<std::string> m_words;
    std::unordered_map<std::string, int> m_index;
};

}  // namespace infolens
