// Any UTF-8 prompt is tokenized or refused with a clear message by every tokenizer (word spans,
// the word-level vocabulary tokenizer, CLIP's BPE); invalid UTF-8 is always refused.
#include "infolens/models/sd/ClipTokenizer.h"
#include "infolens/text/WordSpans.h"
#include "infolens/text/WordTokenizer.h"

#include "infolens/Error.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

const ClipTokenizer& clip() {
    static const ClipTokenizer tokenizer = ClipTokenizer::fromMergesFile(
        std::string(INFOLENS_SD_SOURCE_DATA_DIR) + "/clip-bpe-merges.txt");
    return tokenizer;
}

const WordTokenizer& words() {
    static const WordTokenizer tokenizer({"a", "red", "circle", "cat"});
    return tokenizer;
}

// Every span lies inside the prompt, in order, and starts on a character boundary.
void checkSpans(const std::string& prompt) {
    int last = 0;
    for (const Span& s : segmentPrompt(prompt)) {
        REQUIRE(s.begin >= last);
        REQUIRE(s.end > s.begin);
        REQUIRE(s.end <= static_cast<int>(prompt.size()));
        const auto lead = static_cast<unsigned char>(prompt[static_cast<std::size_t>(s.begin)]);
        CHECK((lead < 0x80 || lead >= 0xC0));
        last = s.end;
    }
}

std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("UTF-8 validation follows the Unicode table of well-formed sequences", "[utf8]") {
    CHECK(firstInvalidUtf8("plain ascii") == std::string::npos);
    CHECK(firstInvalidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == std::string::npos);
    CHECK(firstInvalidUtf8(std::string("a\0b", 3)) == std::string::npos);  // NUL is a character
    CHECK(firstInvalidUtf8("ab\x80") == 2);            // stray continuation byte
    CHECK(firstInvalidUtf8("ab\xC3") == 2);            // truncated at the end
    CHECK(firstInvalidUtf8("\xC0\xAF") == 0);          // overlong '/'
    CHECK(firstInvalidUtf8("\xE0\x80\xAF") == 0);      // overlong, three bytes
    CHECK(firstInvalidUtf8("x\xED\xA0\x80") == 1);     // UTF-16 surrogate
    CHECK(firstInvalidUtf8("\xF4\x90\x80\x80") == 0);  // above U+10FFFF
    CHECK(firstInvalidUtf8("\xFF") == 0);
    CHECK(firstInvalidUtf8("\xE2\x82z") == 0);  // continuation missing
}

TEST_CASE("hard but valid prompts are tokenized by every tokenizer", "[utf8]") {
    const std::vector<std::string> prompts = {
        "a red circle \xF0\x9F\x90\xB1 cat",                                  // emoji
        "\xD7\x97\xD7\xAA\xD7\x95\xD7\x9C \xD8\xA7\xD9\x84\xD9\x82\xD8\xB7",  // Hebrew, Arabic
        "e\xCC\x81\xCC\x81\xCC\x81 cafe\xCC\x81",                             // combining marks
        std::string("a red\0circle", 12),                                     // NUL inside
        "\xE2\x80\x8F\xE2\x80\xAE a cat \xE2\x80\xAC",                        // RTL/override marks
        "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9",                       // ZWJ sequence
        "",
    };
    for (const std::string& prompt : prompts) {
        INFO("prompt bytes: " << prompt.size());
        checkSpans(prompt);
        const Tokenization t = words().tokenize(prompt);
        for (const Token& token : t.tokens)
            CHECK(token.end <= static_cast<int>(prompt.size()));
        const std::vector<ClipToken> c = clip().encode(prompt);
        for (const ClipToken& token : c) {
            CHECK(token.begin >= 0);
            CHECK(token.end <= static_cast<int>(prompt.size()));
        }
    }
    // The known word survives around the emoji.
    const Tokenization t = words().tokenize("a red circle \xF0\x9F\x90\xB1 cat");
    REQUIRE(t.words.size() == 5);
    CHECK_FALSE(t.words[2].unknown);
    CHECK(t.words[3].unknown);
}

TEST_CASE("100 kB of text is segmented and tokenized", "[utf8]") {
    std::string prompt;
    while (prompt.size() < 100000)
        prompt += "a red circle \xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80 ";
    checkSpans(prompt);
    const Tokenization t = words().tokenize(prompt);
    CHECK(t.words.size() > 10000);
    CHECK(clip().encode(prompt).size() > 10000);
}

TEST_CASE("invalid UTF-8 and oversized prompts are refused with a message", "[utf8]") {
    const std::string bad = "a red \xC3\x28 circle";
    for (const auto& f : std::vector<std::function<void()>>{
             [&] { segmentPrompt(bad); },
             [&] { words().tokenize(bad); },
             [&] { (void)clip().encode(bad); },
         }) {
        const std::string message = errorOf(f);
        CHECK_THAT(message, Catch::Contains("not valid UTF-8"));
        CHECK_THAT(message, Catch::Contains("offset 6"));
    }
    const std::string huge(kMaxPromptBytes + 1, 'a');
    CHECK_THAT(errorOf([&] { words().tokenize(huge); }), Catch::Contains("bytes long"));
    CHECK_THAT(errorOf([&] { (void)clip().encode(huge); }), Catch::Contains("bytes long"));
}

TEST_CASE("a vocabulary read from bytes refuses invalid UTF-8 and empty text", "[utf8]") {
    CHECK(WordTokenizer::fromText("a\r\nred\n\ncircle\n", "v.txt").vocabularySize() ==
          3 + WordTokenizer::kFirstWord);
    CHECK_THAT(errorOf([] { WordTokenizer::fromText("a\n\xFF\n", "v.txt"); }),
               Catch::Contains("v.txt"));
    CHECK_THAT(errorOf([] { WordTokenizer::fromText("\n\n", "v.txt"); }), Catch::Contains("empty"));
}
