#include "infolens/text/WordTokenizer.h"

#include "TestFiles.h"
#include "infolens/models/shapes/ShapesWorld.h"

#include <catch2/catch.hpp>

using infolens::WordTokenizer;

TEST_CASE("out-of-vocabulary words map to [UNK] and are reported", "[tokenizer]") {
    const WordTokenizer tokenizer({"a", "red", "circle", ","});
    const auto t = tokenizer.tokenize("a Red zebra, circle");
    REQUIRE(t.words.size() == 4);
    CHECK_FALSE(t.words[1].unknown);  // case-insensitive
    CHECK(t.words[2].unknown);
    CHECK(t.tokens[2].id == WordTokenizer::kUnk);
    CHECK(t.tokens[3].text == ",");
    CHECK(t.tokens[3].word == -1);
    const std::vector<int> ids = tokenizer.ids(t);
    CHECK(ids.front() == WordTokenizer::kBos);
    CHECK(ids.size() == 6);
    // Each word maps back to its token and its span in the prompt.
    CHECK(t.words[3].span.begin == 13);
    CHECK(t.tokens[t.words[3].tokens[0]].text == "circle");
}

TEST_CASE("the empty prompt is [BOS] alone", "[tokenizer]") {
    const WordTokenizer tokenizer({"a"});
    CHECK(tokenizer.ids(tokenizer.tokenize("")) == std::vector<int>{WordTokenizer::kBos});
}

TEST_CASE("the ShapesWorld vocabulary covers every caption and round-trips through a file",
          "[tokenizer]") {
    const WordTokenizer tokenizer(infolens::shapesVocabulary());
    for (std::uint64_t i = 0; i < 300; ++i) {
        const auto scene = infolens::generateShapesScene(infolens::ShapesSplit::Train, i);
        for (const auto& token : tokenizer.tokenize(scene.caption).tokens) {
            INFO(scene.caption);
            REQUIRE_FALSE(token.unknown);
        }
    }
    TempDir dir;
    tokenizer.save(dir.file("vocab.txt"));
    const WordTokenizer back = WordTokenizer::fromFile(dir.file("vocab.txt"));
    CHECK(back.words() == tokenizer.words());
    CHECK(back.vocabularySize() == tokenizer.vocabularySize());
}
