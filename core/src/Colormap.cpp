#include "infolens/Colormap.h"

#include <algorithm>
#include <cmath>

#include "infolens/Error.h"

namespace infolens {

namespace {

// Anchor colours at evenly spaced positions; the LUT interpolates linearly between them.
const std::vector<Rgb8>& anchorsFor(const std::string& name) {
    static const std::vector<Rgb8> viridis = {{68, 1, 84},    {72, 40, 120},  {62, 73, 137},
                                              {49, 104, 142}, {38, 130, 142}, {31, 158, 137},
                                              {53, 183, 121}, {110, 206, 88}, {253, 231, 37}};
    static const std::vector<Rgb8> gray = {{0, 0, 0}, {255, 255, 255}};
    if (name == "viridis")
        return viridis;
    if (name == "gray")
        return gray;
    throw Error("unknown colormap '" + name + "' (available: viridis, gray)");
}

}  // namespace

std::vector<Rgb8> colormapLut(const std::string& name) {
    const std::vector<Rgb8>& anchors = anchorsFor(name);
    std::vector<Rgb8> lut(256);
    const double segments = static_cast<double>(anchors.size() - 1);
    for (int i = 0; i < 256; ++i) {
        const double t = i / 255.0 * segments;
        const auto k = std::min(static_cast<std::size_t>(t), anchors.size() - 2);
        const double f = t - static_cast<double>(k);
        for (int c = 0; c < 3; ++c) {
            const double v = anchors[k][c] * (1.0 - f) + anchors[k + 1][c] * f;
            lut[i][c] = static_cast<std::uint8_t>(std::lround(v));
        }
    }
    return lut;
}

std::vector<std::uint8_t> applyColormap(const std::vector<float>& values, float lo, float hi,
                                        const std::vector<Rgb8>& lut) {
    std::vector<std::uint8_t> rgb(values.size() * 3);
    const float span = hi > lo ? hi - lo : 1.0f;
    for (std::size_t i = 0; i < values.size(); ++i) {
        float t = (values[i] - lo) / span;
        if (!std::isfinite(t))
            t = 0.0f;
        const auto index =
            static_cast<std::size_t>(std::lround(std::clamp(t, 0.0f, 1.0f) * 255.0f));
        std::copy(lut[index].begin(), lut[index].end(),
                  rgb.begin() + static_cast<std::ptrdiff_t>(3 * i));
    }
    return rgb;
}

}  // namespace infolens
