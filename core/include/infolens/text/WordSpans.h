#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace infolens {

// A piece of the prompt, as byte offsets [begin, end) into the UTF-8 string.
struct Span {
    int begin = 0;
    int end = 0;
    bool isWord = false;  // false for punctuation and symbols
    bool operator==(const Span& o) const { return begin == o.begin && end == o.end; }
};

// Longest prompt accepted, in bytes: far above any model's token limit (a 100 kB prompt is still
// segmented and then refused by the model's own limit with a clear message), and low enough that
// byte offsets fit an int.
inline constexpr std::size_t kMaxPromptBytes = std::size_t(1) << 20;

// Byte offset of the first byte that does not belong to well-formed UTF-8 (stray continuation
// bytes, truncated sequences, overlong forms, UTF-16 surrogates, code points above U+10FFFF), or
// std::string::npos when the whole text is well-formed. NUL is a valid code point.
std::size_t firstInvalidUtf8(const std::string& text);

// Throws infolens::Error when the prompt is not well-formed UTF-8 (naming the byte offset and
// value) or is longer than kMaxPromptBytes. Every tokenizer calls this through segmentPrompt.
void checkPromptText(const std::string& prompt);

// Splits a UTF-8 prompt into words and punctuation (checkPromptText first: invalid UTF-8 throws). A
// word is a run of letters, digits and any non-ASCII code points, with inner apostrophes and
// hyphens kept ("don't", "x-ray"). Whitespace separates and belongs to no span.
std::vector<Span> segmentPrompt(const std::string& prompt);

// The prompt with the span removed as a whole unit: never a substring replace, so omitting "bed"
// leaves "bedroom" intact. The whitespace around the span collapses to a single space and the
// result is trimmed.
std::string omitSpan(const std::string& prompt, const Span& span);

// The prompt with the span replaced by a placeholder (the paper's editing experiment uses "_").
std::string replaceSpan(const std::string& prompt, const Span& span,
                        const std::string& placeholder);

// How a word leaves the prompt when its information is measured: omitted as a whole span, or
// replaced by a placeholder (the paper's editing experiment).
enum class WordMode { Omit, Placeholder };

// omitSpan or replaceSpan, by mode.
std::string withoutSpan(const std::string& prompt, const Span& span, WordMode mode,
                        const std::string& placeholder);

// Collapses runs of whitespace and trims; prompts are compared and cached in this form.
std::string normalizeWhitespace(const std::string& text);

}  // namespace infolens
