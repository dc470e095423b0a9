#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "infolens/render/OverlayCompositor.h"

namespace infolens::test {

// Deterministic noise, so that a wrong base texel shows up as a large difference rather than
// blending in with its neighbours.
inline std::vector<std::uint8_t> noisyBase(int width, int height, std::uint32_t seed = 1) {
    std::vector<std::uint8_t> rgba(static_cast<std::size_t>(width) * height * 4);
    std::uint32_t state = seed * 2654435761u + 12345u;
    for (std::size_t i = 0; i < rgba.size(); ++i) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        rgba[i] = (i % 4 == 3) ? 255 : static_cast<std::uint8_t>(state >> 24);
    }
    return rgba;
}

inline std::vector<std::uint8_t> solidBase(int width, int height, std::uint8_t grey) {
    std::vector<std::uint8_t> rgba(static_cast<std::size_t>(width) * height * 4, grey);
    for (std::size_t i = 3; i < rgba.size(); i += 4)
        rgba[i] = 255;
    return rgba;
}

// Smooth values spanning about [-0.2, 1.2], so that a [0.1, 0.9] range clamps at both ends and a
// 0.5 threshold crosses the map several times.
inline std::vector<float> smoothMap(int width, int height) {
    std::vector<float> values(static_cast<std::size_t>(width) * height);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            const double fx = (x + 0.5) / width, fy = (y + 0.5) / height;
            values[static_cast<std::size_t>(y) * width + x] =
                static_cast<float>(0.5 + 0.7 * std::sin(6.0 * fx + 1.0) * std::cos(4.5 * fy - 0.3));
        }
    }
    return values;
}

inline std::uint32_t pixelAt(const std::vector<std::uint8_t>& rgba, int width, int x, int y) {
    const std::size_t i = (static_cast<std::size_t>(y) * width + x) * 4;
    return rgba[i] | (rgba[i + 1] << 8) | (rgba[i + 2] << 16) |
           (static_cast<std::uint32_t>(rgba[i + 3]) << 24);
}

// The largest per-channel difference between two RGBA8 images of the same size, and where.
struct Difference {
    int maxChannel = 0;
    long pixelsOverTwo = 0;
    int x = -1, y = -1;  // a pixel with the largest difference
};

inline Difference compareImages(const std::vector<std::uint8_t>& a,
                                const std::vector<std::uint8_t>& b, int width) {
    Difference d;
    const std::size_t n = std::min(a.size(), b.size()) / 4;
    for (std::size_t i = 0; i < n; ++i) {
        int worst = 0;
        for (int c = 0; c < 4; ++c)
            worst = std::max(worst, std::abs(int(a[i * 4 + c]) - int(b[i * 4 + c])));
        if (worst > 2)
            ++d.pixelsOverTwo;
        if (worst > d.maxChannel) {
            d.maxChannel = worst;
            d.x = static_cast<int>(i % width);
            d.y = static_cast<int>(i / width);
        }
    }
    return d;
}

}  // namespace infolens::test
