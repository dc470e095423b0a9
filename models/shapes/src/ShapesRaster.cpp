#include "ShapesRaster.h"

#include <cmath>

namespace infolens::shapes_detail {

namespace {

constexpr int kSubsamples = 4;  // per pixel side: 16 coverage levels
constexpr std::uint64_t kNoiseSalt = 0x9d2f4b6a8c0e1357ULL;
constexpr double kTextureAmplitude = 10.0;  // levels of 255: visible but never a new colour
constexpr double kGradientLighter = 0.25;   // fraction of the way to white
constexpr double kGradientDarker = 0.7;     // factor towards black

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

}  // namespace

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

}  // namespace infolens::shapes_detail
