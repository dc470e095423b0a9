#include "infolens/text/WordSpans.h"

#include <catch2/catch.hpp>

using infolens::omitSpan;
using infolens::replaceSpan;
using infolens::segmentPrompt;
using infolens::Span;

namespace {

std::vector<std::string> wordsOf(const std::string& prompt) {
    std::vector<std::string> out;
    for (const Span& s : segmentPrompt(prompt)) {
        if (s.isWord)
            out.push_back(prompt.substr(s.begin, s.end - s.begin));
    }
    return out;
}

Span nthWord(const std::string& prompt, int n) {
    for (const Span& s : segmentPrompt(prompt)) {
        if (s.isWord && n-- == 0)
            return s;
    }
    FAIL("no such word");
    return {};
}

}  // namespace

TEST_CASE("words are whole: omitting 'bed' leaves 'bedroom' intact", "[spans]") {
    const std::string prompt = "a bed in the bedroom";
    REQUIRE(wordsOf(prompt) == std::vector<std::string>{"a", "bed", "in", "the", "bedroom"});
    CHECK(omitSpan(prompt, nthWord(prompt, 1)) == "a in the bedroom");
    CHECK(omitSpan(prompt, nthWord(prompt, 4)) == "a bed in the");
    CHECK(omitSpan(prompt, nthWord(prompt, 0)) == "bed in the bedroom");
}

TEST_CASE("repeated words are distinct spans", "[spans]") {
    const std::string prompt = "a dog and a dog";
    CHECK(omitSpan(prompt, nthWord(prompt, 1)) == "a and a dog");
    CHECK(omitSpan(prompt, nthWord(prompt, 4)) == "a dog and a");
}

TEST_CASE("punctuation is not a word and stays attached", "[spans]") {
    const std::string prompt = "a red cube, left of a ball.";
    const auto spans = segmentPrompt(prompt);
    int punctuation = 0;
    for (const Span& s : spans)
        punctuation += s.isWord ? 0 : 1;
    CHECK(punctuation == 2);
    CHECK(omitSpan(prompt, nthWord(prompt, 2)) == "a red, left of a ball.");
    CHECK(omitSpan(prompt, nthWord(prompt, 6)) == "a red cube, left of a.");
    CHECK(omitSpan(prompt, nthWord(prompt, 5)) == "a red cube, left of ball.");
}

TEST_CASE("inner apostrophes and hyphens stay in the word", "[spans]") {
    CHECK(wordsOf("don't x-ray 'quoted'") == std::vector<std::string>{"don't", "x-ray", "quoted"});
}

TEST_CASE("Unicode words are not split inside a code point", "[spans]") {
    const std::string prompt = "un café très noir, 猫";
    CHECK(wordsOf(prompt) == std::vector<std::string>{"un", "café", "très", "noir", "猫"});
    CHECK(omitSpan(prompt, nthWord(prompt, 1)) == "un très noir, 猫");
}

TEST_CASE("phrases are omitted as one unit", "[spans]") {
    const std::string prompt = "a red cube on a blue ball";
    const Span phrase{2, 10, true};  // "red cube"
    CHECK(omitSpan(prompt, phrase) == "a on a blue ball");
}

TEST_CASE("placeholder replacement keeps the rest of the prompt", "[spans]") {
    const std::string prompt = "a bed in the bedroom";
    CHECK(replaceSpan(prompt, nthWord(prompt, 1), "_") == "a _ in the bedroom");
}

TEST_CASE("whitespace is normalised", "[spans]") {
    CHECK(infolens::normalizeWhitespace("  a \t b\n") == "a b");
    CHECK(omitSpan("  a  b  c ", nthWord("  a  b  c ", 1)) == "a c");
}
