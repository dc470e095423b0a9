#include "infolens/models/sd/ClipTokenizer.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <climits>
#include <fstream>

#include "infolens/Error.h"
#include "infolens/text/WordSpans.h"

namespace infolens {

namespace {

constexpr const char* kEndOfWord = "</w>";

std::string utf8Of(UChar32 c) {
    char buffer[4];
    int32_t length = 0;
    UBool error = false;
    U8_APPEND(reinterpret_cast<std::uint8_t*>(buffer), length, 4, c, error);
    return error ? std::string() : std::string(buffer, static_cast<std::size_t>(length));
}

// CLIP's reversible byte -> printable code point table (bytes_to_unicode): printable Latin-1
// bytes stand for themselves, the 68 others map to U+0100 upwards in byte order.
const std::array<std::string, 256>& byteSymbols() {
    static const std::array<std::string, 256> table = [] {
        std::array<std::string, 256> t;
        int next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool self = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            t[b] = utf8Of(self ? b : next++);
        }
        return t;
    }();
    return table;
}

// The byte symbols in CLIP's vocabulary order (bytes_to_unicode().values()): the printable bytes
// first in increasing order, then the remapped ones.
std::vector<std::string> byteSymbolsInVocabularyOrder() {
    std::vector<std::string> order;
    const auto& table = byteSymbols();
    for (int b = 0; b < 256; ++b) {
        const bool self = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
        if (self)
            order.push_back(table[b]);
    }
    for (int b = 0; b < 256; ++b) {
        const bool self = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
        if (!self)
            order.push_back(table[b]);
    }
    return order;
}

bool isLetter(UChar32 c) {
    return (U_GET_GC_MASK(c) & U_GC_L_MASK) != 0;
}
bool isNumber(UChar32 c) {
    return (U_GET_GC_MASK(c) & U_GC_N_MASK) != 0;
}
bool isSpace(UChar32 c) {
    return u_isUWhiteSpace(c) || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
           (c >= 0x1C && c <= 0x1F);  // Python's \s also takes the ASCII separators
}

// One code point of the cleaned text, with where it came from in the prompt.
struct CodePoint {
    UChar32 c;
    int begin;
    int end;
};

std::vector<CodePoint> cleaned(const std::string& prompt) {
    std::vector<CodePoint> out;
    const auto* s = reinterpret_cast<const std::uint8_t*>(prompt.data());
    const auto length = static_cast<int32_t>(prompt.size());
    int32_t i = 0;
    while (i < length) {
        const int32_t begin = i;
        UChar32 c = 0;
        U8_NEXT(s, i, length, c);
        if (c < 0)
            c = 0xFFFD;  // invalid UTF-8: the replacement character, as a decoder would give
        if (isSpace(c))
            continue;  // whitespace only separates pieces; the scanner below never crosses it
        out.push_back({u_tolower(c), begin, i});
    }
    return out;
}

// The pre-tokenizer's alternatives at position i, in the reference's order; returns the length in
// code points of the piece (at least 1). Spaces are already gone, but piece boundaries at spaces
// are kept by `gapBefore` (a piece never spans a removed space).
std::size_t pieceLength(const std::vector<CodePoint>& t, std::size_t i,
                        const std::vector<bool>& gapBefore) {
    auto matches = [&](const char* literal) {
        std::size_t k = 0;
        for (; literal[k]; ++k) {
            if (i + k >= t.size() || t[i + k].c != static_cast<UChar32>(literal[k]) ||
                (k > 0 && gapBefore[i + k]))
                return std::size_t{0};
        }
        return k;
    };
    for (const char* special : {"<|startoftext|>", "<|endoftext|>"}) {
        if (const std::size_t n = matches(special))
            return n;
    }
    for (const char* contraction : {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"}) {
        if (const std::size_t n = matches(contraction))
            return n;
    }
    auto run = [&](auto predicate) {
        std::size_t n = 0;
        while (i + n < t.size() && (n == 0 || !gapBefore[i + n]) && predicate(t[i + n].c))
            ++n;
        return n;
    };
    if (const std::size_t n = run(isLetter))
        return n;
    if (isNumber(t[i].c))
        return 1;
    const std::size_t n = run([](UChar32 c) { return !isLetter(c) && !isNumber(c); });
    return std::max<std::size_t>(n, 1);
}

}  // namespace

ClipTokenizer::ClipTokenizer(const std::vector<std::pair<std::string, std::string>>& merges) {
    int id = 0;
    const std::vector<std::string> bytes = byteSymbolsInVocabularyOrder();
    for (const std::string& b : bytes)
        m_vocabulary.emplace(b, id++);
    for (const std::string& b : bytes)
        m_vocabulary.emplace(b + kEndOfWord, id++);
    int rank = 0;
    for (const auto& [left, right] : merges) {
        m_vocabulary.emplace(left + right, id++);
        m_ranks.emplace(left + " " + right, rank++);
    }
    m_vocabulary["<|startoftext|>"] = id++;
    m_vocabulary["<|endoftext|>"] = id++;
}

ClipTokenizer::ClipTokenizer(std::unordered_map<std::string, int> vocabulary,
                             const std::vector<std::pair<std::string, std::string>>& merges)
    : m_vocabulary(std::move(vocabulary)) {
    int rank = 0;
    for (const auto& [left, right] : merges)
        m_ranks.emplace(left + " " + right, rank++);
}

ClipTokenizer ClipTokenizer::fromMergesFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ModelError("cannot open the CLIP merges file '" + path + "'");
    std::vector<std::pair<std::string, std::string>> merges;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty())
            continue;
        const std::size_t space = line.find(' ');
        if (space == std::string::npos || space == 0 || space + 1 >= line.size() ||
            line.find(' ', space + 1) != std::string::npos) {
            throw ModelError("CLIP merges file '" + path + "', line " + std::to_string(number) +
                             ": expected two symbols separated by one space");
        }
        merges.emplace_back(line.substr(0, space), line.substr(space + 1));
    }
    constexpr std::size_t kClipMerges = 49152 - 256 - 2;
    if (merges.size() != kClipMerges) {
        throw ModelError("CLIP merges file '" + path + "' has " + std::to_string(merges.size()) +
                         " merges; CLIP's tokenizer uses exactly " + std::to_string(kClipMerges));
    }
    return ClipTokenizer(merges);
}

int ClipTokenizer::idOf(const std::string& symbol) const {
    const auto it = m_vocabulary.find(symbol);
    return it == m_vocabulary.end() ? -1 : it->second;
}

std::vector<std::string> ClipTokenizer::bpe(const std::string& piece) const {
    if (piece == "<|startoftext|>" || piece == "<|endoftext|>")
        return {piece};
    const auto& table = byteSymbols();
    std::vector<std::string> word;
    for (const unsigned char b : piece)
        word.push_back(table[b]);
    word.back() += kEndOfWord;
    while (word.size() > 1) {
        int best = INT_MAX;
        std::size_t at = 0;
        for (std::size_t k = 0; k + 1 < word.size(); ++k) {
            const auto it = m_ranks.find(word[k] + " " + word[k + 1]);
            if (it != m_ranks.end() && it->second < best) {
                best = it->second;
                at = k;
            }
        }
        if (best == INT_MAX)
            break;
        // Merge every occurrence of the best pair, left to right, as the reference does.
        const std::string left = word[at], right = word[at + 1];
        std::vector<std::string> merged;
        for (std::size_t k = 0; k < word.size();) {
            if (k + 1 < word.size() && word[k] == left && word[k + 1] == right) {
                merged.push_back(left + right);
                k += 2;
            } else {
                merged.push_back(word[k]);
                ++k;
            }
        }
        word = std::move(merged);
    }
    return word;
}

std::vector<ClipToken> ClipTokenizer::encode(const std::string& prompt) const {
    checkPromptText(prompt);  // ICU would silently replace invalid bytes with U+FFFD
    const std::vector<CodePoint> text = cleaned(prompt);
    std::vector<bool> gapBefore(text.size(), false);
    for (std::size_t i = 1; i < text.size(); ++i) {
        // A removed space lies between two kept code points when their spans do not touch.
        gapBefore[i] = text[i].begin != text[i - 1].end;
    }
    std::vector<ClipToken> tokens;
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t n = pieceLength(text, i, gapBefore);
        // The piece's UTF-8 bytes, each remembering the code point (prompt span) it came from.
        std::string piece;
        std::vector<std::size_t> source;
        for (std::size_t k = i; k < i + n; ++k) {
            const std::string bytes = utf8Of(text[k].c);
            piece += bytes;
            source.insert(source.end(), bytes.size(), k);
        }
        const std::vector<std::string> symbols = bpe(piece);
        std::size_t consumed = 0;  // bytes of the piece covered by earlier symbols
        for (const std::string& symbol : symbols) {
            const auto it = m_vocabulary.find(symbol);
            if (it == m_vocabulary.end())
                throw Error("the token '" + symbol + "' is not in the CLIP vocabulary");
            // Bytes this symbol covers: count its byte-alphabet characters.
            std::size_t bytes = 0;
            if (symbol == "<|startoftext|>" || symbol == "<|endoftext|>") {
                bytes = piece.size();
            } else {
                std::string body = symbol;
                if (body.size() >= 4 && body.compare(body.size() - 4, 4, kEndOfWord) == 0)
                    body.resize(body.size() - 4);
                for (std::size_t p = 0; p < body.size();) {
                    const auto* s = reinterpret_cast<const std::uint8_t*>(body.data());
                    int32_t q = static_cast<int32_t>(p);
                    UChar32 c = 0;
                    U8_NEXT(s, q, static_cast<int32_t>(body.size()), c);
                    p = static_cast<std::size_t>(q);
                    ++bytes;
                }
            }
            bytes = std::min(bytes, piece.size() - consumed);
            ClipToken token;
            token.id = it->second;
            if (bytes > 0) {
                token.begin = text[source[consumed]].begin;
                token.end = text[source[consumed + bytes - 1]].end;
            } else {
                token.begin = token.end = text[i].begin;
            }
            consumed += bytes;
            tokens.push_back(token);
        }
        i += n;
    }
    return tokens;
}

std::vector<int> ClipTokenizer::wrap(const std::vector<ClipToken>& tokens, int padId,
                                     int contextLength) {
    if (contextLength < 2)
        throw Error("a CLIP context holds at least the start and end tokens");
    std::vector<int> ids;
    ids.reserve(static_cast<std::size_t>(contextLength));
    ids.push_back(kStartOfText);
    for (const ClipToken& t : tokens)
        ids.push_back(t.id);
    ids.push_back(kEndOfText);
    if (static_cast<int>(ids.size()) > contextLength) {
        ids.resize(static_cast<std::size_t>(contextLength));
        ids.back() = kEndOfText;
    }
    ids.resize(static_cast<std::size_t>(contextLength), padId);
    return ids;
}

}  // namespace infolens
