#include "infolens/text/WordTokenizer.h"

#include <algorithm>
#include <cstdint>

#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"

namespace infolens {

namespace {

std::string lowerAscii(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
        return c < 0x80 ? static_cast<char>(std::tolower(c)) : static_cast<char>(c);
    });
    return text;
}

}  // namespace

WordTokenizer::WordTokenizer(const std::vector<std::string>& words) {
    for (const std::string& word : words) {
        const std::string key = lowerAscii(word);
        if (key.empty() || m_index.count(key))
            continue;
        m_index.emplace(key, kFirstWord + static_cast<int>(m_words.size()));
        m_words.push_back(key);
    }
}

WordTokenizer WordTokenizer::fromFile(const std::string& path) {
    // A vocabulary is a few thousand short lines.
    constexpr std::uint64_t kMaxVocabularyBytes = std::uint64_t(64) << 20;
    const std::vector<unsigned char> bytes = readFileBytes(path, kMaxVocabularyBytes);
    return fromText(std::string(bytes.begin(), bytes.end()), path);
}

WordTokenizer WordTokenizer::fromText(const std::string& text, const std::string& nameForErrors) {
    const std::size_t bad = firstInvalidUtf8(text);
    if (bad != std::string::npos) {
        throw FormatError("vocabulary '" + nameForErrors + "' is not UTF-8 text (byte offset " +
                          std::to_string(bad) + ")");
    }
    std::vector<std::string> words;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        std::string line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (!line.empty())
            words.push_back(line);
        start = end + 1;
    }
    if (words.empty())
        throw FormatError("vocabulary '" + nameForErrors + "' is empty");
    return WordTokenizer(words);
}

void WordTokenizer::save(const std::string& path) const {
    std::string text;
    for (const std::string& word : m_words)
        text += word + "\n";
    writeFileAtomically(path, text);
}

Tokenization WordTokenizer::tokenize(const std::string& prompt) const {
    Tokenization result;
    const std::vector<Span> spans = segmentPrompt(prompt);
    // Symbols alone ("...") are not a prompt: they stay punctuation, so the prompt has no words.
    const bool hasWord =
        std::any_of(spans.begin(), spans.end(), [](const Span& s) { return s.isWord; });
    for (const Span& span : spans) {
        Token token;
        token.text = prompt.substr(span.begin, span.end - span.begin);
        token.begin = span.begin;
        token.end = span.end;
        const auto found = m_index.find(lowerAscii(token.text));
        token.id = found == m_index.end() ? kUnk : found->second;
        token.unknown = found == m_index.end();
        // A symbol outside the vocabulary is read as [UNK] and moves the model like any word, so
        // it is reported as an unknown word of its own (a chip in the app, a row with its own CMI,
        // an entry in the CLI's unknown_words) rather than changing the numbers unseen. Known
        // symbols ("," in the shapes vocabulary) stay punctuation.
        if (span.isWord || (token.unknown && hasWord)) {
            token.word = static_cast<int>(result.words.size());
            Word word;
            word.text = token.text;
            word.span = span;
            word.tokens = {static_cast<int>(result.tokens.size())};
            word.unknown = token.unknown;
            result.words.push_back(word);
        } else {
            result.punctuation.push_back(span);
        }
        result.tokens.push_back(token);
    }
    return result;
}

std::vector<int> WordTokenizer::ids(const Tokenization& tokens) const {
    std::vector<int> out = {kBos};
    for (const Token& token : tokens.tokens)
        out.push_back(token.id);
    return out;
}

}  // namespace infolens
