#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "infolens/text/WordSpans.h"

namespace infolens {

struct Token {
    std::string text;
    int id = -1;
    int begin = 0;  // byte span in the prompt
    int end = 0;
    int word = -1;  // index into Tokenization::words, -1 for tokens of no word (punctuation)
    bool unknown = false;
};

struct Word {
    std::string text;
    Span span;
    std::vector<int> tokens;
    bool unknown = false;  // some token of the word is out of vocabulary
};

struct Tokenization {
    std::vector<Token> tokens;
    std::vector<Word> words;
    std::vector<Span> punctuation;
};

// A prompt's encoding: cond [L, D] and mask [L] (1 = real token). Immutable once made, so it can
// be cached by prompt string and shared between requests.
struct TextEncoding {
    torch::Tensor cond;
    torch::Tensor mask;
};

// The ids the network reads for a prompt, exactly as fed to it (start and end markers, padding).
// Token i of tokenize() sits at ids[firstToken + i] unless the prompt was cut.
struct InputIds {
    std::vector<int> ids;
    int firstToken = 0;
    bool truncated = false;  // the prompt is longer than the network reads (SD: its tail is cut)
};

class TextEncoder {
  public:
    virtual ~TextEncoder() = default;
    virtual Tokenization tokenize(const std::string& prompt) const = 0;
    virtual TextEncoding encode(const std::string& prompt) = 0;
    // Longest prompt in tokens the encoder accepts; encode() throws infolens::Error beyond it.
    virtual int maxTokens() const = 0;
    // Default: the tokens' own ids, no markers (encoders that read ids differently override it).
    virtual InputIds inputIds(const std::string& prompt) const {
        InputIds out;
        for (const Token& t : tokenize(prompt).tokens)
            out.ids.push_back(t.id);
        return out;
    }
};

}  // namespace infolens
