#include "infolens/models/shapes/ShapesScene.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "infolens/Error.h"

namespace infolens {

namespace {

constexpr double kSmallRadius = 0.14;  // bounding radii in units of the image side
constexpr double kLargeRadius = 0.21;

constexpr const char* kShapeNames[kShapeKindCount] = {"circle",  "square", "triangle",
                                                      "diamond", "cross",  "star"};
constexpr const char* kColorNames[kShapeColorCount] = {"red",  "orange", "yellow", "green",
                                                       "cyan", "blue",   "purple", "pink"};
constexpr const char* kSizeNames[kShapeSizeCount] = {"small", "large"};
constexpr const char* kBackgroundNames[kBackgroundColorCount] = {"grey", "white", "black", "brown"};
constexpr const char* kBackgroundKindNames[kBackgroundKindCount] = {"solid", "gradient", "texture"};
constexpr std::uint8_t kColorRgb[kShapeColorCount][3] = {
    {220, 40, 40},  {245, 140, 30}, {240, 220, 40}, {50, 170, 60},
    {40, 200, 220}, {40, 80, 220},  {140, 60, 190}, {245, 130, 190}};
constexpr std::uint8_t kBackgroundRgb[kBackgroundColorCount][3] = {
    {128, 128, 128}, {240, 240, 240}, {25, 25, 25}, {115, 75, 45}};

template <typename T, std::size_t N>
std::string nameOf(const char* const (&names)[N], T value, const char* what) {
    const int i = static_cast<int>(value);
    if (i < 0 || i >= static_cast<int>(N))
        throw Error(std::string("invalid ") + what + " " + std::to_string(i));
    return names[i];
}

}  // namespace

ShapesSplit shapesSplitFromString(const std::string& name) {
    if (name == "train")
        return ShapesSplit::Train;
    if (name == "validation")
        return ShapesSplit::Validation;
    if (name == "test")
        return ShapesSplit::Test;
    throw Error("unknown split '" + name + "' (expected train, validation or test)");
}

std::string toString(ShapesSplit split) {
    switch (split) {
        case ShapesSplit::Train:
            return "train";
        case ShapesSplit::Validation:
            return "validation";
        case ShapesSplit::Test:
            return "test";
    }
    throw Error("invalid split");
}

std::string toString(ShapeKind shape) {
    return nameOf(kShapeNames, shape, "shape");
}
std::string toString(ShapeColor color) {
    return nameOf(kColorNames, color, "colour");
}
std::string toString(ShapeSize size) {
    return nameOf(kSizeNames, size, "size");
}
std::string toString(BackgroundColor color) {
    return nameOf(kBackgroundNames, color, "background colour");
}
std::string toString(BackgroundKind kind) {
    return nameOf(kBackgroundKindNames, kind, "background kind");
}

std::string toString(ShapesRelationKind kind) {
    switch (kind) {
        case ShapesRelationKind::LeftOf:
            return "left of";
        case ShapesRelationKind::RightOf:
            return "right of";
        case ShapesRelationKind::Above:
            return "above";
        case ShapesRelationKind::Below:
            return "below";
    }
    throw Error("invalid relation");
}

std::array<std::uint8_t, 3> colorRgb(ShapeColor color) {
    const auto* c = kColorRgb[static_cast<int>(color)];
    return {c[0], c[1], c[2]};
}

std::array<std::uint8_t, 3> colorRgb(BackgroundColor color) {
    const auto* c = kBackgroundRgb[static_cast<int>(color)];
    return {c[0], c[1], c[2]};
}

double shapeRadiusFraction(ShapeSize size) {
    return size == ShapeSize::Large ? kLargeRadius : kSmallRadius;
}

std::vector<std::uint8_t> shapesLabelMask(const ShapesScene& scene) {
    std::vector<std::uint8_t> labels(static_cast<std::size_t>(scene.size) * scene.size, 0);
    for (std::size_t k = 0; k < scene.objects.size(); ++k) {
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (scene.objects[k].mask[i])
                labels[i] = static_cast<std::uint8_t>(k + 1);
        }
    }
    return labels;
}

nlohmann::json toJson(const ShapesScene& scene) {
    nlohmann::json objects = nlohmann::json::array();
    for (const ShapesObject& o : scene.objects) {
        objects.push_back({{"shape", toString(o.shape)},
                           {"color", toString(o.color)},
                           {"size", toString(o.sizeClass)},
                           {"center", {o.x, o.y}},
                           {"radius", o.radius},
                           {"pixels", std::count(o.mask.begin(), o.mask.end(), 1)}});
    }
    nlohmann::json references = nlohmann::json::array();
    for (const ShapesReference& r : scene.references) {
        references.push_back({{"span", {r.span.begin, r.span.end}},
                              {"text", r.text},
                              {"kind", r.kind},
                              {"object", r.object}});
    }
    nlohmann::json relation = nullptr;
    if (scene.relation) {
        const ShapesRelation& r = *scene.relation;
        relation = {{"kind", toString(r.kind)},
                    {"words", r.words},
                    {"span", {r.span.begin, r.span.end}},
                    {"subject", r.subject},
                    {"object", r.object}};
    }
    return {{"split", toString(scene.split)},
            {"index", scene.index},
            {"seed", scene.seed},
            {"size", scene.size},
            {"caption", scene.caption},
            {"background",
             {{"color", toString(scene.background)}, {"kind", toString(scene.backgroundKind)}}},
            {"objects", objects},
            {"relation", relation},
            {"references", references}};
}

}  // namespace infolens
