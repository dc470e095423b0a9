#include "infolens/models/shapes/ShapesWorld.h"

#include <algorithm>
#include <cmath>

#include "ShapesCaption.h"
#include "ShapesRaster.h"
#include "infolens/Error.h"
#include "infolens/engine/LogSnrSampler.h"

namespace infolens {

using namespace shapes_detail;

namespace {

// One salt per split: scene seeds are mixSeed(salt, index), so the splits never share a scene.
constexpr std::uint64_t kTrainSalt = 0x7a1c3e5f0b2d4968ULL;
constexpr std::uint64_t kValidationSalt = 0xc4e2a0968f1b3d57ULL;
constexpr std::uint64_t kTestSalt = 0x35b7d9f1e3c5a708ULL;

constexpr int kMinImageSize = 32;  // below this the small cross's arms are thinner than a pixel
constexpr int kMaxImageSize = 4096;
constexpr int kPlacementTries = 500;

// Geometry in units of the image side.
constexpr double kBorder = 0.02;  // between an object's bounding disc and the image edge
constexpr double kGap = 0.04;     // between two objects' bounding discs

std::uint64_t splitSalt(ShapesSplit split) {
    switch (split) {
        case ShapesSplit::Train:
            return kTrainSalt;
        case ShapesSplit::Validation:
            return kValidationSalt;
        case ShapesSplit::Test:
            return kTestSalt;
    }
    return kTrainSalt;
}

std::vector<Layout> drawLayouts(Draw& draw) {
    const double u = draw.unit();
    const int wanted = u < 0.35 ? 1 : (u < 0.80 ? 2 : 3);
    std::vector<Layout> drawn;
    for (int i = 0; i < wanted; ++i) {
        Layout o;
        o.sizeClass = draw.chance(0.5) ? ShapeSize::Large : ShapeSize::Small;
        o.radius = shapeRadiusFraction(o.sizeClass);
        // Mostly a fresh colour; sometimes a repeated one, then with a new shape, so every phrase
        // still names exactly one object.
        std::vector<ShapeColor> colors;
        const bool repeat = !drawn.empty() && draw.chance(0.1);
        for (int c = 0; c < kShapeColorCount; ++c) {
            const bool used = std::any_of(drawn.begin(), drawn.end(), [&](const Layout& d) {
                return d.color == static_cast<ShapeColor>(c);
            });
            if (used == repeat)
                colors.push_back(static_cast<ShapeColor>(c));
        }
        o.color = colors[draw.below(static_cast<int>(colors.size()))];
        std::vector<ShapeKind> shapes;
        for (int s = 0; s < kShapeKindCount; ++s) {
            const bool taken = std::any_of(drawn.begin(), drawn.end(), [&](const Layout& d) {
                return d.color == o.color && d.shape == static_cast<ShapeKind>(s);
            });
            if (!taken)
                shapes.push_back(static_cast<ShapeKind>(s));
        }
        o.shape = shapes[draw.below(static_cast<int>(shapes.size()))];
        drawn.push_back(o);
    }
    std::vector<Layout> placed;
    for (Layout o : drawn) {
        const double lo = o.radius + kBorder, hi = 1.0 - o.radius - kBorder;
        for (int t = 0; t < kPlacementTries; ++t) {
            o.x = draw.uniform(lo, hi);
            o.y = draw.uniform(lo, hi);
            const bool clear = std::all_of(placed.begin(), placed.end(), [&](const Layout& p) {
                const double dx = p.x - o.x, dy = p.y - o.y;
                const double d = p.radius + o.radius + kGap;
                return dx * dx + dy * dy >= d * d;
            });
            if (clear) {
                placed.push_back(o);
                break;
            }
        }
    }
    return placed;
}

}  // namespace

ShapesScene generateShapesScene(ShapesSplit split, std::uint64_t index, int size) {
    if (size < kMinImageSize || size > kMaxImageSize) {
        throw Error("ShapesWorld image size must be between " + std::to_string(kMinImageSize) +
                    " and " + std::to_string(kMaxImageSize) + ", got " + std::to_string(size));
    }
    ShapesScene scene;
    scene.split = split;
    scene.index = index;
    scene.seed = mixSeed(splitSalt(split), index);
    scene.size = size;
    Draw draw(scene.seed);

    // Everything random is drawn in image-side units before rasterising, so the scene does not
    // depend on the resolution.
    const BackgroundStyle background = drawBackground(draw);
    const std::vector<Layout> layouts = drawLayouts(draw);
    scene.background = background.color;
    scene.backgroundKind = background.kind;

    std::vector<double> canvas = renderBackground(background, size, scene.seed);
    const std::size_t pixels = static_cast<std::size_t>(size) * size;
    scene.backgroundMask.assign(pixels, 1);
    for (const Layout& layout : layouts) {
        ShapesObject object;
        rasterise(layout, size, canvas, object);
        for (std::size_t i = 0; i < pixels; ++i) {
            if (object.mask[i])
                scene.backgroundMask[i] = 0;
        }
        scene.objects.push_back(std::move(object));
    }
    scene.rgb.resize(pixels * 3);
    for (std::size_t i = 0; i < canvas.size(); ++i)
        scene.rgb[i] = static_cast<std::uint8_t>(std::clamp(std::lround(canvas[i]), 0L, 255L));

    // Caption.
    const int filler = draw.chance(0.3) ? draw.below(3) : -1;
    const int preposition = draw.chance(0.4) ? draw.below(2) : -1;
    std::vector<bool> sizeWords;
    for (std::size_t i = 0; i < layouts.size(); ++i)
        sizeWords.push_back(draw.chance(0.5));
    std::optional<ShapesRelationKind> relation;
    bool longForm = false;
    if (layouts.size() == 2 && draw.chance(0.7)) {
        relation = relationBetween(layouts[0], layouts[1]);
        longForm = draw.chance(0.5);
    }

    CaptionBuilder caption;
    if (filler >= 0)
        caption.append(kFillers[filler]);
    const int n = static_cast<int>(scene.objects.size());
    addObjectPhrase(caption, scene, 0, sizeWords[0]);
    if (n == 2) {
        if (relation) {
            ShapesRelation r;
            r.kind = *relation;
            r.words = toString(*relation);
            if (longForm &&
                (r.kind == ShapesRelationKind::LeftOf || r.kind == ShapesRelationKind::RightOf)) {
                r.words = "to the " + r.words;
            }
            r.span = caption.append(r.words);
            scene.relation = r;
        } else {
            caption.append("and");
        }
        addObjectPhrase(caption, scene, 1, sizeWords[1]);
    } else if (n == 3) {
        caption.comma();
        addObjectPhrase(caption, scene, 1, sizeWords[1]);
        caption.append("and");
        addObjectPhrase(caption, scene, 2, sizeWords[2]);
    }
    if (preposition >= 0) {
        caption.append(kBackgroundPrepositions[preposition]);
        caption.append("a");
        ShapesReference r;
        r.span = caption.append(toString(scene.background));
        r.kind = "background";
        r.object = -1;
        r.mask = scene.backgroundMask;
        scene.references.push_back(std::move(r));
        caption.append("background");
    }
    scene.caption = caption.text();
    for (ShapesReference& r : scene.references)
        r.text = scene.caption.substr(r.span.begin, r.span.end - r.span.begin);
    return scene;
}

}  // namespace infolens
