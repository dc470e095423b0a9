#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "infolens/engine/LogSnrSampler.h"
#include "infolens/models/shapes/ShapesScene.h"

// Drawing a scene: platform-independent random draws, object layouts and backgrounds in
// image-side units, and their rasterisation with anti-aliased coverage. Internal to ShapesWorld.
namespace infolens::shapes_detail {

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

// Object attributes and placement in image-side units, before rasterisation.
struct Layout {
    ShapeKind shape;
    ShapeColor color;
    ShapeSize sizeClass;
    double x = 0.0;
    double y = 0.0;
    double radius = 0.0;
};

struct BackgroundStyle {
    BackgroundColor color;
    BackgroundKind kind;
    bool vertical = false;  // gradient runs top to bottom / stripes are horizontal bands
    bool lighter = false;
    bool stripes = false;
    bool diagonal = false;
    double period = 0.1;  // stripes, in image sides
};

BackgroundStyle drawBackground(Draw& draw);
std::vector<double> renderBackground(const BackgroundStyle& b, int size, std::uint64_t seed);
// (u, v): offset from the centre in bounding radii, v down. Every shape lies in the unit disc.
bool insideShape(ShapeKind shape, double u, double v);
void rasterise(const Layout& layout, int size, std::vector<double>& canvas, ShapesObject& object);

}  // namespace infolens::shapes_detail
