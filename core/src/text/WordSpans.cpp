#include "infolens/text/WordSpans.h"

#include <cctype>
#include <cstdio>

#include "infolens/Error.h"

namespace infolens {

namespace {

bool isSpace(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Letters, digits and every byte of a multi-byte UTF-8 sequence count as word characters, so
// accented and non-Latin words stay whole.
bool isWordByte(unsigned char c) {
    return c >= 0x80 || std::isalnum(c);
}

bool isJoiner(unsigned char c) {
    return c == '\'' || c == '-';
}

int utf8Length(unsigned char lead) {
    if (lead < 0x80)
        return 1;
    if ((lead >> 5) == 0x6)
        return 2;
    if ((lead >> 4) == 0xE)
        return 3;
    if ((lead >> 3) == 0x1E)
        return 4;
    return 1;
}

}  // namespace

std::size_t firstInvalidUtf8(const std::string& text) {
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        // Table 3-7 of the Unicode standard: the valid ranges of each byte after the lead.
        int length = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            length = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            length = 3;
            if (c == 0xE0)
                lo = 0xA0;  // overlong
            if (c == 0xED)
                hi = 0x9F;  // surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            length = 4;
            if (c == 0xF0)
                lo = 0x90;  // overlong
            if (c == 0xF4)
                hi = 0x8F;  // above U+10FFFF
        } else {
            return i;
        }
        if (n - i < static_cast<std::size_t>(length))
            return i;
        const auto second = static_cast<unsigned char>(text[i + 1]);
        if (second < lo || second > hi)
            return i;
        for (int k = 2; k < length; ++k) {
            const auto b = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
            if (b < 0x80 || b > 0xBF)
                return i;
        }
        i += static_cast<std::size_t>(length);
    }
    return std::string::npos;
}

void checkPromptText(const std::string& prompt) {
    if (prompt.size() > kMaxPromptBytes) {
        throw Error("the prompt is " + std::to_string(prompt.size()) + " bytes long; at most " +
                    std::to_string(kMaxPromptBytes) + " bytes are accepted");
    }
    const std::size_t bad = firstInvalidUtf8(prompt);
    if (bad != std::string::npos) {
        char byte[8];
        std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(prompt[bad]));
        throw Error("the prompt is not valid UTF-8 (byte " + std::string(byte) + " at offset " +
                    std::to_string(bad) + " does not begin a well-formed character)");
    }
}

std::vector<Span> segmentPrompt(const std::string& prompt) {
    checkPromptText(prompt);
    std::vector<Span> spans;
    const int n = static_cast<int>(prompt.size());
    int i = 0;
    while (i < n) {
        const auto c = static_cast<unsigned char>(prompt[i]);
        if (isSpace(c)) {
            ++i;
            continue;
        }
        if (isWordByte(c)) {
            int j = i;
            while (j < n) {
                const auto cj = static_cast<unsigned char>(prompt[j]);
                if (isWordByte(cj)) {
                    j += utf8Length(cj);
                } else if (isJoiner(cj) && j + 1 < n &&
                           isWordByte(static_cast<unsigned char>(prompt[j + 1]))) {
                    ++j;
                } else {
                    break;
                }
            }
            if (j > n)
                j = n;
            spans.push_back({i, j, true});
            i = j;
        } else {
            spans.push_back({i, i + 1, false});
            ++i;
        }
    }
    return spans;
}

std::string normalizeWhitespace(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    bool pendingSpace = false;
    for (const char ch : text) {
        if (isSpace(static_cast<unsigned char>(ch))) {
            pendingSpace = !out.empty();
            continue;
        }
        if (pendingSpace)
            out += ' ';
        pendingSpace = false;
        out += ch;
    }
    return out;
}

std::string omitSpan(const std::string& prompt, const Span& span) {
    const std::string left =
        normalizeWhitespace(prompt.substr(0, static_cast<std::size_t>(span.begin)));
    const std::string right =
        normalizeWhitespace(prompt.substr(static_cast<std::size_t>(span.end)));
    if (left.empty())
        return right;
    if (right.empty())
        return left;
    // Omitting the word before a comma must give "a, b", not "a , b".
    if (std::string(",.;:!?").find(right.front()) != std::string::npos)
        return left + right;
    return left + " " + right;
}

std::string replaceSpan(const std::string& prompt, const Span& span,
                        const std::string& placeholder) {
    std::string result = prompt.substr(0, static_cast<std::size_t>(span.begin));
    result += placeholder;
    result += prompt.substr(static_cast<std::size_t>(span.end));
    return normalizeWhitespace(result);
}

std::string withoutSpan(const std::string& prompt, const Span& span, WordMode mode,
                        const std::string& placeholder) {
    return mode == WordMode::Omit ? omitSpan(prompt, span) : replaceSpan(prompt, span, placeholder);
}

}  // namespace infolens
