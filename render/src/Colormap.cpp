#include "infolens/render/Colormap.h"

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
    // Nine anchors sampled from the published maps (matplotlib's magma, inferno and cividis,
    // Google's turbo, MATLAB's jet); linear interpolation between them stays within a few
    // levels of the originals.
    static const std::vector<Rgb8> magma = {{0, 0, 4},      {28, 16, 68},    {79, 18, 123},
                                            {129, 37, 129}, {181, 54, 122},  {229, 80, 100},
                                            {251, 135, 97}, {254, 194, 135}, {252, 253, 191}};
    static const std::vector<Rgb8> inferno = {{0, 0, 4},      {31, 12, 72},   {85, 15, 109},
                                              {136, 34, 106}, {186, 54, 85},  {227, 89, 51},
                                              {249, 140, 10}, {249, 201, 50}, {252, 255, 164}};
    static const std::vector<Rgb8> cividis = {{0, 34, 78},     {18, 53, 112},   {59, 73, 108},
                                              {87, 93, 109},   {112, 113, 115}, {138, 134, 120},
                                              {166, 157, 117}, {199, 182, 102}, {254, 232, 56}};
    static const std::vector<Rgb8> turbo = {{48, 18, 59},   {70, 107, 227}, {40, 187, 236},
                                            {50, 241, 152}, {164, 252, 60}, {237, 208, 58},
                                            {251, 128, 34}, {210, 49, 5},   {122, 4, 3}};
    static const std::vector<Rgb8> jet = {{0, 0, 128},   {0, 0, 255},     {0, 128, 255},
                                          {0, 255, 255}, {128, 255, 128}, {255, 255, 0},
                                          {255, 128, 0}, {255, 0, 0},     {128, 0, 0}};
    static const std::vector<Rgb8> gray = {{0, 0, 0}, {255, 255, 255}};
    if (name == "viridis")
        return viridis;
    if (name == "magma")
        return magma;
    if (name == "inferno")
        return inferno;
    if (name == "cividis")
        return cividis;
    if (name == "turbo")
        return turbo;
    if (name == "jet")
        return jet;
    if (name == "gray")
        return gray;
    throw Error("unknown colormap '" + name +
                "' (available: viridis, magma, inferno, cividis, turbo, jet, gray)");
}

}  // namespace

const std::vector<std::string>& colormapNames() {
    static const std::vector<std::string> names = {"viridis", "magma", "inferno", "cividis",
                                                   "turbo",   "jet",   "gray"};
    return names;
}

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
