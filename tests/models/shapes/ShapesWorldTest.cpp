#include "infolens/models/shapes/ShapesWorld.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "infolens/Error.h"
#include "infolens/text/WordSpans.h"

#include <catch2/catch.hpp>

using infolens::generateShapesScene;
using infolens::ShapesScene;
using infolens::ShapesSplit;

namespace {

std::vector<std::string> wordsOf(const std::string& text) {
    std::vector<std::string> words;
    for (const infolens::Span& s : infolens::segmentPrompt(text)) {
        if (s.isWord)
            words.push_back(text.substr(s.begin, s.end - s.begin));
    }
    return words;
}

std::multiset<std::string> bagOf(const std::string& text) {
    const auto words = wordsOf(text);
    return {words.begin(), words.end()};
}

std::string textOf(const std::string& caption, const infolens::Span& span) {
    return caption.substr(span.begin, span.end - span.begin);
}

bool contains(const infolens::Span& outer, const infolens::Span& inner) {
    return outer.begin <= inner.begin && inner.end <= outer.end;
}

const infolens::ShapesReference* find(const ShapesScene& scene, int object,
                                      const std::string& kind) {
    for (const auto& r : scene.references) {
        if (r.object == object && r.kind == kind)
            return &r;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("scenes are determined by split and index", "[shapes]") {
    for (std::uint64_t i : {0u, 1u, 17u}) {
        const ShapesScene a = generateShapesScene(ShapesSplit::Train, i);
        const ShapesScene b = generateShapesScene(ShapesSplit::Train, i);
        CHECK(a.rgb == b.rgb);
        CHECK(a.caption == b.caption);
        CHECK(a.backgroundMask == b.backgroundMask);
        REQUIRE(a.objects.size() == b.objects.size());
        for (std::size_t k = 0; k < a.objects.size(); ++k)
            CHECK(a.objects[k].mask == b.objects[k].mask);
    }
    CHECK(generateShapesScene(ShapesSplit::Train, 0).rgb !=
          generateShapesScene(ShapesSplit::Train, 1).rgb);
    int sameCaption = 0;
    for (std::uint64_t i = 0; i < 20; ++i) {
        const ShapesScene train = generateShapesScene(ShapesSplit::Train, i);
        const ShapesScene test = generateShapesScene(ShapesSplit::Test, i);
        const ShapesScene validation = generateShapesScene(ShapesSplit::Validation, i);
        CHECK(train.seed != test.seed);
        CHECK(train.seed != validation.seed);
        CHECK(train.rgb != test.rgb);
        CHECK(train.rgb != validation.rgb);
        sameCaption += train.caption == test.caption ? 1 : 0;
    }
    CHECK(sameCaption < 5);
}

TEST_CASE("references point at their caption text and at pixels of their object", "[shapes]") {
    for (std::uint64_t i = 0; i < 200; ++i) {
        const ShapesScene s = generateShapesScene(ShapesSplit::Train, i);
        const std::size_t pixels = static_cast<std::size_t>(s.size) * s.size;
        INFO("scene " << i << ": " << s.caption);
        for (const auto& r : s.references) {
            REQUIRE(r.span.begin >= 0);
            REQUIRE(r.span.end <= static_cast<int>(s.caption.size()));
            CHECK(r.text == textOf(s.caption, r.span));
            REQUIRE(r.mask.size() == pixels);
            CHECK(std::count(r.mask.begin(), r.mask.end(), 1) > 0);
            if (r.kind == "background") {
                CHECK(r.object == -1);
                CHECK(r.text == infolens::toString(s.background));
                CHECK(r.mask == s.backgroundMask);
                continue;
            }
            REQUIRE(r.object >= 0);
            REQUIRE(r.object < static_cast<int>(s.objects.size()));
            const auto& o = s.objects[r.object];
            CHECK(r.mask == o.mask);
            if (r.kind == "color")
                CHECK(r.text == infolens::toString(o.color));
            else if (r.kind == "shape")
                CHECK(r.text == infolens::toString(o.shape));
            else if (r.kind == "size")
                CHECK(r.text == infolens::toString(o.sizeClass));
            else
                CHECK(r.kind == "phrase");
        }
        for (int k = 0; k < static_cast<int>(s.objects.size()); ++k) {
            const auto* phrase = find(s, k, "phrase");
            const auto* color = find(s, k, "color");
            const auto* shape = find(s, k, "shape");
            REQUIRE(phrase);
            REQUIRE(color);
            REQUIRE(shape);
            CHECK(contains(phrase->span, color->span));
            CHECK(contains(phrase->span, shape->span));
            CHECK(phrase->span.end == shape->span.end);
            const std::string article = wordsOf(phrase->text).front();
            CHECK((article == "a" || article == "an"));
            if (const auto* size = find(s, k, "size"))
                CHECK(contains(phrase->span, size->span));
        }
        // Each phrase names exactly one object.
        std::set<std::pair<int, int>> combos;
        for (const auto& o : s.objects)
            combos.insert({static_cast<int>(o.color), static_cast<int>(o.shape)});
        CHECK(combos.size() == s.objects.size());
    }
}

TEST_CASE("captions use the grammar's vocabulary in its layout", "[shapes]") {
    const auto vocabulary = infolens::shapesVocabulary();
    CHECK(std::is_sorted(vocabulary.begin(), vocabulary.end()));
    CHECK(std::adjacent_find(vocabulary.begin(), vocabulary.end()) == vocabulary.end());
    const std::set<std::string> known(vocabulary.begin(), vocabulary.end());
    for (std::uint64_t i = 0; i < 300; ++i) {
        const ShapesScene s = generateShapesScene(ShapesSplit::Validation, i);
        INFO(s.caption);
        for (const std::string& w : wordsOf(s.caption))
            CHECK(known.count(w) == 1);
        CHECK(s.caption.find("  ") == std::string::npos);
        CHECK(s.caption.front() != ' ');
        CHECK(s.caption.back() != ' ');
        CHECK(std::none_of(s.caption.begin(), s.caption.end(), ::isupper));
        const bool hasComma = s.caption.find(',') != std::string::npos;
        CHECK(hasComma == (s.objects.size() == 3));
        for (const auto& r : s.references) {
            if (r.kind != "phrase")
                continue;
            const auto phrase = wordsOf(r.text);
            CHECK(phrase[0] == (phrase[1] == "orange" ? "an" : "a"));
        }
    }
}

TEST_CASE("object masks are disjoint and the background is the rest", "[shapes]") {
    for (std::uint64_t i = 0; i < 200; ++i) {
        const ShapesScene s = generateShapesScene(ShapesSplit::Test, i);
        const std::size_t pixels = static_cast<std::size_t>(s.size) * s.size;
        REQUIRE(s.rgb.size() == pixels * 3);
        REQUIRE(s.backgroundMask.size() == pixels);
        REQUIRE(s.objects.size() >= 1);
        REQUIRE(s.objects.size() <= 3);
        std::vector<int> owners(pixels, 0);
        for (const auto& o : s.objects) {
            REQUIRE(o.mask.size() == pixels);
            // Fully inside the image: the bounding disc does not touch the border.
            CHECK(o.x - o.radius > 0);
            CHECK(o.y - o.radius > 0);
            CHECK(o.x + o.radius < s.size);
            CHECK(o.y + o.radius < s.size);
            for (std::size_t p = 0; p < pixels; ++p)
                owners[p] += o.mask[p];
        }
        const auto labels = infolens::shapesLabelMask(s);
        bool disjoint = true, complement = true, labelled = true;
        for (std::size_t p = 0; p < pixels; ++p) {
            disjoint = disjoint && owners[p] <= 1;
            complement = complement && (s.backgroundMask[p] == (owners[p] == 0 ? 1 : 0));
            labelled = labelled && ((labels[p] == 0) == (owners[p] == 0));
        }
        CHECK(disjoint);
        CHECK(complement);
        CHECK(labelled);
    }
}

TEST_CASE("spatial relations agree with the object centres", "[shapes]") {
    using infolens::ShapesRelationKind;
    std::map<ShapesRelationKind, int> seen;
    int scenes = 0;
    for (std::uint64_t i = 0; i < 4000 && scenes < 400; ++i) {
        const ShapesScene s = generateShapesScene(ShapesSplit::Train, i);
        if (!s.relation)
            continue;
        ++scenes;
        const auto& r = *s.relation;
        INFO(s.caption);
        REQUIRE(s.objects.size() == 2);
        CHECK(textOf(s.caption, r.span) == r.words);
        const auto& a = s.objects[r.subject];
        const auto& b = s.objects[r.object];
        // The subject's phrase comes first and the relation words sit between the phrases.
        CHECK(find(s, r.subject, "phrase")->span.end < r.span.begin);
        CHECK(r.span.end < find(s, r.object, "phrase")->span.begin);
        switch (r.kind) {
            case ShapesRelationKind::LeftOf:
                CHECK(a.x < b.x);
                CHECK(std::abs(a.x - b.x) > std::abs(a.y - b.y));
                break;
            case ShapesRelationKind::RightOf:
                CHECK(a.x > b.x);
                CHECK(std::abs(a.x - b.x) > std::abs(a.y - b.y));
                break;
            case ShapesRelationKind::Above:
                CHECK(a.y < b.y);
                CHECK(std::abs(a.y - b.y) > std::abs(a.x - b.x));
                break;
            case ShapesRelationKind::Below:
                CHECK(a.y > b.y);
                CHECK(std::abs(a.y - b.y) > std::abs(a.x - b.x));
                break;
        }
        ++seen[r.kind];
    }
    CHECK(scenes >= 200);
    CHECK(seen.size() == 4);
}

TEST_CASE("an object's centre pixel has the object's colour", "[shapes]") {
    for (std::uint64_t i = 0; i < 200; ++i) {
        const ShapesScene s = generateShapesScene(ShapesSplit::Train, i);
        for (const auto& o : s.objects) {
            const int px = static_cast<int>(o.x), py = static_cast<int>(o.y);
            const std::size_t p = static_cast<std::size_t>(py) * s.size + px;
            const auto expected = infolens::colorRgb(o.color);
            INFO("scene " << i << " " << infolens::toString(o.shape));
            CHECK(o.mask[p] == 1);
            for (int c = 0; c < 3; ++c)
                CHECK(std::abs(int(s.rgb[p * 3 + c]) - int(expected[c])) <= 2);
        }
    }
}

TEST_CASE("the training split covers every attribute", "[shapes]") {
    std::set<int> shapes, colors, sizes, backgrounds, kinds, counts;
    int withFiller = 0, withBackground = 0, withRelation = 0, repeatedColor = 0;
    for (std::uint64_t i = 0; i < 500; ++i) {
        const ShapesScene s = generateShapesScene(ShapesSplit::Train, i);
        counts.insert(static_cast<int>(s.objects.size()));
        backgrounds.insert(static_cast<int>(s.background));
        kinds.insert(static_cast<int>(s.backgroundKind));
        std::set<int> sceneColors;
        for (const auto& o : s.objects) {
            shapes.insert(static_cast<int>(o.shape));
            colors.insert(static_cast<int>(o.color));
            sizes.insert(static_cast<int>(o.sizeClass));
            sceneColors.insert(static_cast<int>(o.color));
        }
        repeatedColor += sceneColors.size() < s.objects.size() ? 1 : 0;
        withFiller += s.caption.rfind("a photo of", 0) == 0 ||
                      s.caption.rfind("a picture of", 0) == 0 ||
                      s.caption.rfind("an image of", 0) == 0;
        withBackground += s.caption.find(" background") != std::string::npos;
        withRelation += s.relation ? 1 : 0;
    }
    CHECK(shapes.size() == infolens::kShapeKindCount);
    CHECK(colors.size() == infolens::kShapeColorCount);
    CHECK(sizes.size() == infolens::kShapeSizeCount);
    CHECK(backgrounds.size() == infolens::kBackgroundColorCount);
    CHECK(kinds.size() == infolens::kBackgroundKindCount);
    CHECK(counts == std::set<int>{1, 2, 3});
    CHECK(withFiller > 100);
    CHECK(withFiller < 200);
    CHECK(withBackground > 150);
    CHECK(withBackground < 250);
    CHECK(withRelation > 80);
    CHECK(repeatedColor > 0);
    CHECK(repeatedColor < 75);
}

TEST_CASE("backgrounds keep a nameable colour", "[shapes]") {
    for (std::uint64_t i = 0; i < 100; ++i) {
        const ShapesScene s = generateShapesScene(ShapesSplit::Train, i);
        const auto named = infolens::colorRgb(s.background);
        double sum[3] = {0, 0, 0};
        int n = 0;
        for (std::size_t p = 0; p < s.backgroundMask.size(); ++p) {
            if (!s.backgroundMask[p])
                continue;
            for (int c = 0; c < 3; ++c)
                sum[c] += s.rgb[p * 3 + c];
            ++n;
        }
        REQUIRE(n > 0);
        INFO("scene " << i << " " << infolens::toString(s.background) << " "
                      << infolens::toString(s.backgroundKind));
        for (int c = 0; c < 3; ++c)
            CHECK(std::abs(sum[c] / n - named[c]) < 40);
        if (s.backgroundKind == infolens::BackgroundKind::Solid) {
            const std::size_t p = std::find(s.backgroundMask.begin(), s.backgroundMask.end(), 1) -
                                  s.backgroundMask.begin();
            CHECK(s.rgb[p * 3] == named[0]);
        }
    }
}

TEST_CASE("colour swaps exchange exactly two colour words", "[shapes]") {
    const std::set<std::string> articles = {"a", "an"};
    int swapped = 0;
    for (std::uint64_t i = 0; i < 300; ++i) {
        const ShapesScene s = generateShapesScene(ShapesSplit::Train, i);
        const auto swap = infolens::swapColorsCaption(s);
        std::set<int> sceneColors;
        for (const auto& o : s.objects)
            sceneColors.insert(static_cast<int>(o.color));
        if (sceneColors.size() < 2) {
            CHECK_FALSE(swap);
            continue;
        }
        if (!swap)
            continue;
        ++swapped;
        INFO(s.caption << " -> " << *swap);
        const auto before = wordsOf(s.caption);
        const auto after = wordsOf(*swap);
        REQUIRE(before.size() == after.size());
        std::vector<std::size_t> changedColors;
        for (std::size_t w = 0; w < before.size(); ++w) {
            if (before[w] == after[w])
                continue;
            if (articles.count(before[w])) {
                CHECK(articles.count(after[w]) == 1);  // "a"/"an" follows the new colour
                continue;
            }
            changedColors.push_back(w);
        }
        REQUIRE(changedColors.size() == 2);
        CHECK(before[changedColors[0]] == after[changedColors[1]]);
        CHECK(before[changedColors[1]] == after[changedColors[0]]);
        CHECK(*swap != s.caption);
    }
    CHECK(swapped > 100);
}

TEST_CASE("relation swaps exchange the phrases and keep the words", "[shapes]") {
    int swapped = 0;
    for (std::uint64_t i = 0; i < 300; ++i) {
        const ShapesScene s = generateShapesScene(ShapesSplit::Train, i);
        const auto swap = infolens::swapRelationCaption(s);
        CHECK(swap.has_value() == s.relation.has_value());
        if (!swap)
            continue;
        ++swapped;
        INFO(s.caption << " -> " << *swap);
        CHECK(bagOf(*swap) == bagOf(s.caption));
        const std::string subject = find(s, s.relation->subject, "phrase")->text;
        const std::string object = find(s, s.relation->object, "phrase")->text;
        CHECK(swap->find(object + " " + s.relation->words + " " + subject) != std::string::npos);
        CHECK(*swap != s.caption);
    }
    CHECK(swapped > 50);
}

TEST_CASE("shuffles keep the words but not their order", "[shapes]") {
    for (std::uint64_t i = 0; i < 200; ++i) {
        const ShapesScene s = generateShapesScene(ShapesSplit::Train, i);
        const std::string shuffled = infolens::shuffleWordsCaption(s, i);
        INFO(s.caption << " -> " << shuffled);
        CHECK(bagOf(shuffled) == bagOf(s.caption));
        CHECK(wordsOf(shuffled) != wordsOf(s.caption));
        CHECK(shuffled == infolens::shuffleWordsCaption(s, i));
    }
    const ShapesScene s = generateShapesScene(ShapesSplit::Train, 3);
    CHECK(infolens::shuffleWordsCaption(s, 1) != infolens::shuffleWordsCaption(s, 2));
}

TEST_CASE("scenes render at 128 pixels with the same content", "[shapes]") {
    for (std::uint64_t i = 0; i < 20; ++i) {
        const ShapesScene small = generateShapesScene(ShapesSplit::Test, i, 64);
        const ShapesScene large = generateShapesScene(ShapesSplit::Test, i, 128);
        REQUIRE(large.rgb.size() == 128u * 128u * 3u);
        CHECK(large.caption == small.caption);
        REQUIRE(large.objects.size() == small.objects.size());
        for (std::size_t k = 0; k < large.objects.size(); ++k) {
            const auto& a = small.objects[k];
            const auto& b = large.objects[k];
            CHECK(b.x == Approx(2 * a.x));
            CHECK(b.radius == Approx(2 * a.radius));
            const auto areaA = std::count(a.mask.begin(), a.mask.end(), 1);
            const auto areaB = std::count(b.mask.begin(), b.mask.end(), 1);
            CHECK(areaB == Approx(4 * areaA).epsilon(0.15));
        }
    }
}

TEST_CASE("bad split names and sizes are refused", "[shapes]") {
    CHECK(infolens::shapesSplitFromString("validation") == ShapesSplit::Validation);
    CHECK_THROWS_WITH(infolens::shapesSplitFromString("dev"),
                      Catch::Contains("unknown split 'dev'"));
    CHECK_THROWS_AS(generateShapesScene(ShapesSplit::Train, 0, 8), infolens::Error);
}

TEST_CASE("scene JSON carries the caption, objects and references", "[shapes]") {
    const ShapesScene s = generateShapesScene(ShapesSplit::Test, 5);
    const nlohmann::json j = infolens::toJson(s);
    CHECK(j["caption"] == s.caption);
    CHECK(j["split"] == "test");
    CHECK(j["objects"].size() == s.objects.size());
    CHECK(j["references"].size() == s.references.size());
    CHECK(j["objects"][0]["shape"] == infolens::toString(s.objects[0].shape));
    CHECK(j["references"][0]["span"][1].get<int>() == s.references[0].span.end);
}
