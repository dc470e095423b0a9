// CLIP's BPE tokenizer against published token ids (sources in ../shared/SD-NOTES.md section 3:
// bumblebee, apple/ml-stable-diffusion, transformers' toy-vocabulary test).
#include "infolens/models/sd/ClipTokenizer.h"

#include "TestFiles.h"
#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"

#include <catch2/catch.hpp>

using infolens::ClipToken;
using infolens::ClipTokenizer;

namespace {

const ClipTokenizer& clip() {
    static const ClipTokenizer tokenizer = ClipTokenizer::fromMergesFile(
        std::string(INFOLENS_SD_SOURCE_DATA_DIR) + "/clip-bpe-merges.txt");
    return tokenizer;
}

std::vector<int> wrappedIds(const std::string& prompt) {
    const std::vector<int> ids = ClipTokenizer::wrap(clip().encode(prompt), 0);
    std::vector<int> out;
    for (const int id : ids) {
        out.push_back(id);
        if (id == ClipTokenizer::kEndOfText)
            break;
    }
    return out;
}

}  // namespace

TEST_CASE("CLIP tokenizer matches published ids", "[clip]") {
    CHECK(clip().vocabularySize() == 49408);
    CHECK(wrappedIds("a photo of a cat") ==
          std::vector<int>{49406, 320, 1125, 539, 320, 2368, 49407});
    CHECK(wrappedIds("a photo of a dog") ==
          std::vector<int>{49406, 320, 1125, 539, 320, 1929, 49407});
    CHECK(wrappedIds("a photo of an astronaut riding a horse on mars") ==
          std::vector<int>{49406, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 49407});
    CHECK(wrappedIds("Apple CoreML developer tools on a Macbook Air are fast") ==
          std::vector<int>{49406, 3055, 19622, 5780, 10929, 5771, 525, 320, 20617, 1922, 631, 1953,
                           49407});
    CHECK(wrappedIds("Hello, world!") == std::vector<int>{49406, 3306, 267, 1002, 256, 49407});
    CHECK(wrappedIds("don't stop 42 times") ==
          std::vector<int>{49406, 847, 713, 1691, 275, 273, 1661, 49407});
    CHECK(wrappedIds("") == std::vector<int>{49406, 49407});
    // Whitespace of any kind and amount only separates.
    CHECK(wrappedIds("  a\tphoto\n of   a cat ") == wrappedIds("a photo of a cat"));
}

TEST_CASE("CLIP tokens keep the byte spans of the prompt they came from", "[clip]") {
    const std::string prompt = "A Macbook, café";
    const std::vector<ClipToken> tokens = clip().encode(prompt);
    REQUIRE(tokens.size() >= 4);
    CHECK(prompt.substr(tokens[0].begin, tokens[0].end - tokens[0].begin) == "A");
    // Spans tile each word: consecutive tokens of one word touch, and the last ends the prompt.
    CHECK(tokens.back().end == static_cast<int>(prompt.size()));
    for (const ClipToken& t : tokens) {
        CHECK(t.begin < t.end);
        CHECK(t.end <= static_cast<int>(prompt.size()));
    }
    const auto comma = std::find_if(tokens.begin(), tokens.end(), [](const ClipToken& t) {
        return t.id == 267;  // ","
    });
    REQUIRE(comma != tokens.end());
    CHECK(comma->begin == static_cast<int>(prompt.find(',')));
}

TEST_CASE("CLIP wrap pads, truncates and always ends with the end token", "[clip]") {
    const std::vector<ClipToken> three = {{320, 0, 1}, {1125, 2, 7}, {2368, 8, 11}};
    const std::vector<int> sd1 = ClipTokenizer::wrap(three, ClipTokenizer::kEndOfText);
    REQUIRE(sd1.size() == 77);
    CHECK(sd1[0] == 49406);
    CHECK(sd1[4] == 49407);
    CHECK(sd1[76] == 49407);  // SD 1.x pads with the end token
    const std::vector<int> sd2 = ClipTokenizer::wrap(three, 0);
    CHECK(sd2[4] == 49407);
    CHECK(sd2[5] == 0);  // OpenCLIP pads with 0
    const std::vector<ClipToken> many(100, ClipToken{320, 0, 1});
    const std::vector<int> cut = ClipTokenizer::wrap(many, 0);
    REQUIRE(cut.size() == 77);
    CHECK(cut[75] == 320);
    CHECK(cut[76] == 49407);
}

TEST_CASE("the BPE merge loop on transformers' toy vocabulary", "[clip]") {
    const std::vector<std::string> symbols = {"l",
                                              "o",
                                              "w",
                                              "e",
                                              "r",
                                              "s",
                                              "t",
                                              "i",
                                              "d",
                                              "n",
                                              "lo",
                                              "l</w>",
                                              "w</w>",
                                              "r</w>",
                                              "t</w>",
                                              "low</w>",
                                              "er</w>",
                                              "lowest</w>",
                                              "newer</w>",
                                              "wider",
                                              "<unk>",
                                              "<|startoftext|>",
                                              "<|endoftext|>"};
    std::unordered_map<std::string, int> vocabulary;
    for (std::size_t i = 0; i < symbols.size(); ++i)
        vocabulary[symbols[i]] = static_cast<int>(i);
    const ClipTokenizer toy(vocabulary, {{"l", "o"}, {"lo", "w</w>"}, {"e", "r</w>"}});
    std::vector<int> ids;
    for (const ClipToken& t : toy.encode("lower newer"))
        ids.push_back(t.id);
    CHECK(ids == std::vector<int>{10, 2, 16, 9, 3, 2, 16});
}

TEST_CASE("a malformed merges file is a clear model error", "[clip]") {
    CHECK_THROWS_AS(ClipTokenizer::fromMergesFile("/nonexistent/merges.txt"), infolens::ModelError);
    TempDir dir;
    infolens::writeFileAtomically(dir.file("bad.txt"), std::string("i n\nthree symbols here\n"));
    CHECK_THROWS_WITH(ClipTokenizer::fromMergesFile(dir.file("bad.txt")),
                      Catch::Contains("line 2: expected two symbols"));
    infolens::writeFileAtomically(dir.file("short.txt"), std::string("i n\nt h\n"));
    CHECK_THROWS_WITH(ClipTokenizer::fromMergesFile(dir.file("short.txt")),
                      Catch::Contains("uses exactly 48894"));
    CHECK_THROWS(ClipTokenizer::wrap({}, 0, 1));  // no room for start and end
}
