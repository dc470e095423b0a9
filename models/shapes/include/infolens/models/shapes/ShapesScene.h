#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "infolens/text/WordSpans.h"

// The data model of a ShapesWorld scene: what is drawn, where, and which caption words name which
// pixels. Generation lives in ShapesWorld.h, the compositional probes in ShapesProbes.h.
namespace infolens {

enum class ShapesSplit { Train, Validation, Test };
enum class ShapeKind { Circle, Square, Triangle, Diamond, Cross, Star };
enum class ShapeColor { Red, Orange, Yellow, Green, Cyan, Blue, Purple, Pink };
enum class ShapeSize { Small, Large };
enum class BackgroundColor { Grey, White, Black, Brown };
enum class BackgroundKind { Solid, Gradient, Texture };
enum class ShapesRelationKind { LeftOf, RightOf, Above, Below };

constexpr int kShapeKindCount = 6;
constexpr int kShapeColorCount = 8;
constexpr int kShapeSizeCount = 2;
constexpr int kBackgroundColorCount = 4;
constexpr int kBackgroundKindCount = 3;
constexpr int kShapesMaxObjects = 3;
constexpr int kShapesDefaultImageSize = 64;

ShapesSplit shapesSplitFromString(const std::string& name);  // "train", "validation", "test"
std::string toString(ShapesSplit split);
std::string toString(ShapeKind shape);
std::string toString(ShapeColor color);
std::string toString(ShapeSize size);
std::string toString(BackgroundColor color);
std::string toString(BackgroundKind kind);
std::string toString(ShapesRelationKind kind);  // "left of", "right of", "above", "below"

std::array<std::uint8_t, 3> colorRgb(ShapeColor color);  // sRGB
std::array<std::uint8_t, 3> colorRgb(BackgroundColor color);

// Bounding radius of a size class as a fraction of the image side; each shape fits the disc.
double shapeRadiusFraction(ShapeSize size);

struct ShapesObject {
    ShapeKind shape = ShapeKind::Circle;
    ShapeColor color = ShapeColor::Red;
    ShapeSize sizeClass = ShapeSize::Small;
    double x = 0.0;  // centre in pixels, y down; the pixel holding it is fully covered
    double y = 0.0;
    double radius = 0.0;             // bounding radius in pixels
    std::vector<std::uint8_t> mask;  // size*size, 1 where the shape covers at least half the pixel
};

// A span of the caption and the pixels it names.
// kind: "phrase" (article through shape word), "color", "shape", "size" or "background" (the
// background's colour word); object is -1 for the background.
struct ShapesReference {
    Span span;
    std::string text;
    std::string kind;
    int object = -1;
    std::vector<std::uint8_t> mask;  // size*size, 0/1
};

// "subject <words> object"; the relation holds between the objects' centres with a margin.
struct ShapesRelation {
    ShapesRelationKind kind = ShapesRelationKind::LeftOf;
    int subject = 0;
    int object = 1;
    std::string words;  // as written: "left of", "to the left of", "above", ...
    Span span;          // of `words` in the caption
};

struct ShapesScene {
    ShapesSplit split = ShapesSplit::Train;
    std::uint64_t index = 0;
    std::uint64_t seed = 0;
    int size = 0;
    std::vector<std::uint8_t> rgb;  // size*size*3, row-major
    BackgroundColor background = BackgroundColor::Grey;
    BackgroundKind backgroundKind = BackgroundKind::Solid;
    std::vector<ShapesObject> objects;         // mentioned in this order in the caption
    std::vector<std::uint8_t> backgroundMask;  // 1 where no object's mask is set
    std::string caption;
    std::vector<ShapesReference> references;
    std::optional<ShapesRelation> relation;
};

// size*size labels: 0 for the background, i + 1 for objects[i].
std::vector<std::uint8_t> shapesLabelMask(const ShapesScene& scene);

// {"split", "index", "seed", "size", "caption", "background": {"color", "kind"}, "objects":
// [{"shape", "color", "size", "center": [x, y], "radius", "pixels"}], "relation": {...} or null,
// "references": [{"span": [begin, end], "text", "kind", "object"}]}; masks are left out.
nlohmann::json toJson(const ShapesScene& scene);

}  // namespace infolens
