#include "infolens/ShapesWorld.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "infolens/Error.h"
#include "infolens/LogSnrSampler.h"

namespace infolens {

namespace {

// One salt per split: scene seeds are mixSeed(salt, index), so the splits never share a scene.
constexpr std::uint64_t kTrainSalt = 0x7a1c3e5f0b2d4968ULL;
constexpr std::uint64_t kValidationSalt = 0xc4e2a0968f1b3d57ULL;
constexpr std::uint64_t kTestSalt = 0x35b7d9f1e3c5a708ULL;
constexpr std::uint64_t kNoiseSalt = 0x9d2f4b6a8c0e1357ULL;

constexpr int kMinImageSize = 32;  // below this the small cross's arms are thinner than a pixel
constexpr int kMaxImageSize = 4096;
constexpr int kSubsamples = 4;  // per pixel side: 16 coverage levels
constexpr int kPlacementTries = 500;

// Geometry in units of the image side.
constexpr double kSmallRadius = 0.14;
constexpr double kLargeRadius = 0.21;
constexpr double kBorder = 0.02;  // between an object's bounding disc and the image edge
constexpr double kGap = 0.04;     // between two objects' bounding discs

// A spatial word is used only when one axis clearly dominates and the offset is well above the
// objects' extent, so a reader (and the test) cannot disagree with it.
constexpr double kRelationMargin = 0.15;
constexpr double kRelationDominance = 1.3;

constexpr double kTextureAmplitude = 10.0;  // levels of 255: visible but never a new colour
constexpr double kGradientLighter = 0.25;   // fraction of the way to white
constexpr double kGradientDarker = 0.7;     // factor towards black

constexpr const char* kShapeNames[kShapeKindCount] = {"circle",  "square", "triangle",
                                                      "diamond", "cross",  "star"};
constexpr const char* kColorNames[kShapeColorCount] = {"red",  "orange", "yellow", "green",
                                                       "cyan", "blue",   "purple", "pink"};
constexpr const char* kSizeNames[kShapeSizeCount] = {"small", "large"};
constexpr const char* kBackgroundNames[kBackgroundColorCount] = {"grey", "white", "black", "brown"};
constexpr const char* kBackgroundKindNames[kBackgroundKindCount] = {"solid", "gradient", "texture"};
constexpr const char* kFillers[] = {"a photo of", "a picture of", "an image of"};
constexpr const char* kBackgroundPrepositions[] = {"on", "with"};

constexpr std::uint8_t kColorRgb[kShapeColorCount][3] = {
    {220, 40, 40},  {245, 140, 30}, {240, 220, 40}, {50, 170, 60},
    {40, 200, 220}, {40, 80, 220},  {140, 60, 190}, {245, 130, 190}};
constexpr std::uint8_t kBackgroundRgb[kBackgroundColorCount][3] = {
    {128, 128, 128}, {240, 240, 240}, {25, 25, 25}, {115, 75, 45}};

// Platform-independent draws: the std distributions differ between standard libraries.
class Draw {
  public:
    explicit Draw(std::uint64_t seed) : m_rng(seed) {}
    double unit() { return unitFromBits(m_rng()); }
    double uniform(double lo, double hi) { return lo + (hi - lo) * unit(); }
    int below(int n) { return std::min(n - 1, static_cast<int>(unit() * n)); }
    bool chance(double p) { return unit() < p; }

  private:
    std::mt19937_64 m_rng;
};

struct Point {
    double u;
    double v;
};

// Vertex tables rather than sin/cos so that every libm rasterises identically.
constexpr double kC18 = 0.95105651629515357;
constexpr double kS18 = 0.30901699437494742;
constexpr double kC54 = 0.58778525229247314;
constexpr double kS54 = 0.80901699437494742;
constexpr double kStarInner = 0.5;  // regular would be 0.38; fatter arms survive small sizes

constexpr Point kTriangle[3] = {
    {0.0, -1.0}, {0.86602540378443865, 0.5}, {-0.86602540378443865, 0.5}};
constexpr Point kStar[10] = {{0.0, -1.0},    {kStarInner * kC54, -kStarInner* kS54},
                             {kC18, -kS18},  {kStarInner * kC18, kStarInner* kS18},
                             {kC54, kS54},   {0.0, kStarInner},
                             {-kC54, kS54},  {-kStarInner * kC18, kStarInner* kS18},
                             {-kC18, -kS18}, {-kStarInner * kC54, -kStarInner* kS54}};

bool insidePolygon(const Point* p, int n, double u, double v) {
    bool inside = false;
    for (int i = 0, j = n - 1; i < n; j = i++) {
        if ((p[i].v > v) != (p[j].v > v) &&
            u < (p[j].u - p[i].u) * (v - p[i].v) / (p[j].v - p[i].v) + p[i].u) {
            inside = !inside;
        }
    }
    return inside;
}

// (u, v): offset from the centre in bounding radii, v down. Every shape lies in the unit disc.
bool insideShape(ShapeKind shape, double u, double v) {
    const double au = std::abs(u), av = std::abs(v);
    switch (shape) {
        case ShapeKind::Circle:
            return u * u + v * v <= 1.0;
        case ShapeKind::Square:
            return au <= 0.7 && av <= 0.7;
        case ShapeKind::Triangle:
            return insidePolygon(kTriangle, 3, u, v);
        case ShapeKind::Diamond:
            return au / 0.8 + av <= 1.0;
        case ShapeKind::Cross:
            return (au <= 0.3 && av <= 0.9) || (av <= 0.3 && au <= 0.9);
        case ShapeKind::Star:
            return insidePolygon(kStar, 10, u, v);
    }
    return false;
}

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

std::string articleFor(const std::string& nextWord) {
    return std::string("aeiou").find(nextWord.front()) != std::string::npos ? "an" : "a";
}

// Object attributes and placement in image-side units, before rasterisation.
struct Layout {
    ShapeKind shape;
    ShapeColor color;
    ShapeSize sizeClass;
    double x = 0.0;
    double y = 0.0;
    double radius = 0.0;
};

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

struct BackgroundStyle {
    BackgroundColor color;
    BackgroundKind kind;
    bool vertical = false;  // gradient runs top to bottom / stripes are horizontal bands
    bool lighter = false;
    bool stripes = false;
    bool diagonal = false;
    double period = 0.1;  // stripes, in image sides
};

BackgroundStyle drawBackground(Draw& draw) {
    BackgroundStyle b;
    b.color = static_cast<BackgroundColor>(draw.below(kBackgroundColorCount));
    b.kind = static_cast<BackgroundKind>(draw.below(kBackgroundKindCount));
    b.vertical = draw.chance(0.5);
    // White cannot get lighter, black cannot get darker.
    b.lighter = b.color == BackgroundColor::Black ||
                (b.color != BackgroundColor::White && draw.chance(0.5));
    b.stripes = draw.chance(0.5);
    b.diagonal = draw.chance(0.3);
    b.period = draw.uniform(0.08, 0.16);
    return b;
}

std::vector<double> renderBackground(const BackgroundStyle& b, int size, std::uint64_t seed) {
    const auto base = colorRgb(b.color);
    std::vector<double> out(static_cast<std::size_t>(size) * size * 3);
    for (int py = 0; py < size; ++py) {
        for (int px = 0; px < size; ++px) {
            const double fx = (px + 0.5) / size, fy = (py + 0.5) / size;
            double* p = &out[(static_cast<std::size_t>(py) * size + px) * 3];
            for (int c = 0; c < 3; ++c) {
                const double v = base[c];
                if (b.kind == BackgroundKind::Gradient) {
                    const double t = b.vertical ? fy : fx;
                    const double target =
                        b.lighter ? v + (255.0 - v) * kGradientLighter : v * kGradientDarker;
                    p[c] = v + (target - v) * t;
                } else {
                    p[c] = v;
                }
            }
            if (b.kind != BackgroundKind::Texture)
                continue;
            double offset;
            if (b.stripes) {
                const double coord = b.diagonal ? (fx + fy) : (b.vertical ? fy : fx);
                const double phase = coord / b.period - std::floor(coord / b.period);
                offset = 4.0 * std::abs(phase - 0.5) - 1.0;  // triangle wave in [-1, 1]
            } else {
                const std::uint64_t bits =
                    mixSeed(seed ^ kNoiseSalt, static_cast<std::uint64_t>(py) * size + px);
                offset = 2.0 * unitFromBits(bits) - 1.0;
            }
            for (int c = 0; c < 3; ++c)
                p[c] += kTextureAmplitude * offset;
        }
    }
    return out;
}

// Coverage counts the subsamples inside the shape; the mask takes pixels at least half covered and
// the colour is blended by coverage, so edges are anti-aliased without touching other objects.
void rasterise(const Layout& layout, int size, std::vector<double>& canvas, ShapesObject& object) {
    object.shape = layout.shape;
    object.color = layout.color;
    object.sizeClass = layout.sizeClass;
    object.x = layout.x * size;
    object.y = layout.y * size;
    object.radius = layout.radius * size;
    object.mask.assign(static_cast<std::size_t>(size) * size, 0);
    const auto rgb = colorRgb(layout.color);
    const int x0 = std::max(0, static_cast<int>(std::floor(object.x - object.radius)));
    const int x1 = std::min(size - 1, static_cast<int>(std::ceil(object.x + object.radius)));
    const int y0 = std::max(0, static_cast<int>(std::floor(object.y - object.radius)));
    const int y1 = std::min(size - 1, static_cast<int>(std::ceil(object.y + object.radius)));
    constexpr int kTotal = kSubsamples * kSubsamples;
    for (int py = y0; py <= y1; ++py) {
        for (int px = x0; px <= x1; ++px) {
            int count = 0;
            for (int sy = 0; sy < kSubsamples; ++sy) {
                const double v = (py + (sy + 0.5) / kSubsamples - object.y) / object.radius;
                for (int sx = 0; sx < kSubsamples; ++sx) {
                    const double u = (px + (sx + 0.5) / kSubsamples - object.x) / object.radius;
                    count += insideShape(layout.shape, u, v) ? 1 : 0;
                }
            }
            if (count == 0)
                continue;
            const std::size_t i = static_cast<std::size_t>(py) * size + px;
            const double coverage = static_cast<double>(count) / kTotal;
            for (int c = 0; c < 3; ++c)
                canvas[i * 3 + c] += (rgb[c] - canvas[i * 3 + c]) * coverage;
            object.mask[i] = 2 * count >= kTotal ? 1 : 0;
        }
    }
}

class CaptionBuilder {
  public:
    // One or several words ("to the left of") as one span.
    Span append(const std::string& words) {
        if (!m_text.empty())
            m_text += ' ';
        const int begin = static_cast<int>(m_text.size());
        m_text += words;
        return {begin, static_cast<int>(m_text.size()), true};
    }
    void comma() { m_text += ','; }
    const std::string& text() const { return m_text; }

  private:
    std::string m_text;
};

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

// What "subject <relation> object" should say given the centres, when it is unambiguous.
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

std::optional<std::string> swapColorsCaption(const ShapesScene& scene) {
    const int n = static_cast<int>(scene.objects.size());
    auto writtenSize = [&](int i) {
        const ShapesReference* r = findReference(scene, i, "size");
        return r ? r->text : std::string();
    };
    for (int i = 0; i < n; ++i) {
        for (int j = i + 1; j < n; ++j) {
            const ShapesObject& a = scene.objects[i];
            const ShapesObject& b = scene.objects[j];
            if (a.color == b.color || (a.shape == b.shape && writtenSize(i) == writtenSize(j)))
                continue;
            // Edits applied back to front so earlier offsets stay valid.
            struct Edit {
                Span span;
                std::string text;
            };
            std::vector<Edit> edits;
            for (int k : {i, j}) {
                const std::string color = toString(k == i ? b.color : a.color);
                const ShapesReference* phrase = findReference(scene, k, "phrase");
                const ShapesReference* colorRef = findReference(scene, k, "color");
                const std::string size = writtenSize(k);
                const int articleEnd =
                    static_cast<int>(scene.caption.find(' ', phrase->span.begin));
                edits.push_back({{phrase->span.begin, articleEnd, true},
                                 articleFor(size.empty() ? color : size)});
                edits.push_back({colorRef->span, color});
            }
            std::sort(edits.begin(), edits.end(),
                      [](const Edit& x, const Edit& y) { return x.span.begin > y.span.begin; });
            std::string out = scene.caption;
            for (const Edit& e : edits)
                out.replace(e.span.begin, e.span.end - e.span.begin, e.text);
            return out;
        }
    }
    return std::nullopt;
}

std::optional<std::string> swapRelationCaption(const ShapesScene& scene) {
    if (!scene.relation)
        return std::nullopt;
    const Span s = findReference(scene, scene.relation->subject, "phrase")->span;
    const Span o = findReference(scene, scene.relation->object, "phrase")->span;
    const std::string& c = scene.caption;
    return c.substr(0, s.begin) + c.substr(o.begin, o.end - o.begin) +
           c.substr(s.end, o.begin - s.end) + c.substr(s.begin, s.end - s.begin) + c.substr(o.end);
}

std::string shuffleWordsCaption(const ShapesScene& scene, std::uint64_t seed) {
    const std::vector<std::string> original = captionWords(scene.caption);
    std::vector<std::string> words = original;
    Draw draw(seed);
    for (int attempt = 0; attempt < 64 && words == original; ++attempt) {
        for (int i = static_cast<int>(words.size()) - 1; i > 0; --i)
            std::swap(words[i], words[draw.below(i + 1)]);
    }
    // A rotation differs from the original unless every word is the same.
    if (words == original && !words.empty())
        std::rotate(words.begin(), words.begin() + 1, words.end());
    std::string out;
    for (const std::string& w : words)
        out += (out.empty() ? "" : " ") + w;
    return out;
}

std::vector<std::string> shapesVocabulary() {
    // "," is a token of its own (three-object captions), so the tokenizer must know it too.
    std::vector<std::string> words = {",",    "a",     "an", "and",   "to",    "the",
                                      "left", "right", "of", "above", "below", "background"};
    for (const char* w : kShapeNames)
        words.push_back(w);
    for (const char* w : kColorNames)
        words.push_back(w);
    for (const char* w : kSizeNames)
        words.push_back(w);
    for (const char* w : kBackgroundNames)
        words.push_back(w);
    for (const char* w : kBackgroundPrepositions)
        words.push_back(w);
    for (const char* f : kFillers) {
        for (const std::string& w : captionWords(f))
            words.push_back(w);
    }
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    return words;
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
