#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace infolens {

using Rgb8 = std::array<std::uint8_t, 3>;

// 256-entry colour lookup tables: viridis (the default), magma, inferno, cividis, turbo, jet, gray.
std::vector<Rgb8> colormapLut(const std::string& name);
const std::vector<std::string>& colormapNames();

// Maps values to colours with [lo, hi] -> [0, 1] clamped; returns interleaved RGB.
std::vector<std::uint8_t> applyColormap(const std::vector<float>& values, float lo, float hi,
                                        const std::vector<Rgb8>& lut);

}  // namespace infolens
