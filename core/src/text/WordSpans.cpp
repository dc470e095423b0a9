#include "infolens/text/WordSpans.h"

#include <cctype>

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

std::vector<Span> segmentPrompt(const std::string& prompt) {
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
