#include "ShapesCaption.h"

#include <algorithm>
#include <cmath>

#include "infolens/models/shapes/ShapesWorld.h"

namespace infolens {

namespace shapes_detail {

namespace {

// A spatial word is used only when one axis clearly dominates and the offset is well above the
// objects' extent, so a reader (and the test) cannot disagree with it.
constexpr double kRelationMargin = 0.15;
constexpr double kRelationDominance = 1.3;

}  // namespace

std::string articleFor(const std::string& nextWord) {
    return std::string("aeiou").find(nextWord.front()) != std::string::npos ? "an" : "a";
}

void addObjectPhrase(CaptionBuilder& caption, ShapesScene& scene, int index, bool sizeWord) {
    const ShapesObject& o = scene.objects[index];
    const std::string colorWord = toString(o.color);
    const std::string sizeText = toString(o.sizeClass);
    const Span article = caption.append(articleFor(sizeWord ? sizeText : colorWord));
    auto ref = [&](const Span& span, const char* kind) {
        ShapesReference r;
        r.span = span;
        r.kind = kind;
        r.object = index;
        r.mask = o.mask;
        return r;
    };
    std::vector<ShapesReference> parts;
    if (sizeWord)
        parts.push_back(ref(caption.append(sizeText), "size"));
    parts.push_back(ref(caption.append(colorWord), "color"));
    const Span shape = caption.append(toString(o.shape));
    parts.push_back(ref(shape, "shape"));
    scene.references.push_back(ref({article.begin, shape.end, true}, "phrase"));
    for (ShapesReference& r : parts)
        scene.references.push_back(std::move(r));
}

std::optional<ShapesRelationKind> relationBetween(const Layout& subject, const Layout& object) {
    const double dx = object.x - subject.x, dy = object.y - subject.y;
    if (std::abs(dx) > kRelationDominance * std::abs(dy) && std::abs(dx) > kRelationMargin)
        return dx > 0 ? ShapesRelationKind::LeftOf : ShapesRelationKind::RightOf;
    if (std::abs(dy) > kRelationDominance * std::abs(dx) && std::abs(dy) > kRelationMargin)
        return dy > 0 ? ShapesRelationKind::Above : ShapesRelationKind::Below;
    return std::nullopt;
}

const ShapesReference* findReference(const ShapesScene& scene, int object, const char* kind) {
    for (const ShapesReference& r : scene.references) {
        if (r.object == object && r.kind == kind)
            return &r;
    }
    return nullptr;
}

std::vector<std::string> captionWords(const std::string& caption) {
    std::vector<std::string> words;
    for (const Span& s : segmentPrompt(caption)) {
        if (s.isWord)
            words.push_back(caption.substr(s.begin, s.end - s.begin));
    }
    return words;
}

}  // namespace shapes_detail

std::vector<std::string> shapesVocabulary() {
    // "," is a token of its own (three-object captions), so the tokenizer must know it too.
    std::vector<std::string> words = {",",    "a",     "an", "and",   "to",    "the",
                                      "left", "right", "of", "above", "below", "background"};
    for (int i = 0; i < kShapeKindCount; ++i)
        words.push_back(toString(static_cast<ShapeKind>(i)));
    for (int i = 0; i < kShapeColorCount; ++i)
        words.push_back(toString(static_cast<ShapeColor>(i)));
    for (int i = 0; i < kShapeSizeCount; ++i)
        words.push_back(toString(static_cast<ShapeSize>(i)));
    for (int i = 0; i < kBackgroundColorCount; ++i)
        words.push_back(toString(static_cast<BackgroundColor>(i)));
    for (const char* w : shapes_detail::kBackgroundPrepositions)
        words.push_back(w);
    for (const char* f : shapes_detail::kFillers) {
        for (const std::string& w : shapes_detail::captionWords(f))
            words.push_back(w);
    }
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    return words;
}

}  // namespace infolens
