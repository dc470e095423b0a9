#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "infolens/io/ImageIO.h"

// An image unlike any ShapesWorld scene but like a photograph's statistics: colour value noise
// summed over octaves with amplitude halving per octave (a roughly 1/f spectrum, as natural images
// have), smooth shading and texture everywhere, no flat background and no sharp shape. Seeded, so
// a test sees the same pixels every run.
inline infolens::Image photoLikeImage(int size, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> field(static_cast<std::size_t>(size * size * 3), 0.0);
    double total = 0.0;
    for (int octave = 0, cells = 2; cells <= size; ++octave, cells *= 2) {
        const double amplitude = std::pow(0.5, octave);
        total += amplitude;
        std::vector<double> grid(static_cast<std::size_t>((cells + 1) * (cells + 1) * 3));
        for (double& g : grid)
            g = u(rng);
        for (int y = 0; y < size; ++y) {
            for (int x = 0; x < size; ++x) {
                const double gx = static_cast<double>(x) * cells / size;
                const double gy = static_cast<double>(y) * cells / size;
                const int x0 = static_cast<int>(gx), y0 = static_cast<int>(gy);
                // Smoothstep between the lattice values.
                double fx = gx - x0, fy = gy - y0;
                fx = fx * fx * (3 - 2 * fx);
                fy = fy * fy * (3 - 2 * fy);
                for (int c = 0; c < 3; ++c) {
                    auto at = [&](int i, int j) {
                        return grid[static_cast<std::size_t>(((j * (cells + 1)) + i) * 3 + c)];
                    };
                    const double v = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
                                     fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
                    field[static_cast<std::size_t>((y * size + x) * 3 + c)] += amplitude * v;
                }
            }
        }
    }
    infolens::Image image;
    image.width = size;
    image.height = size;
    image.rgb.resize(field.size());
    for (std::size_t i = 0; i < field.size(); ++i) {
        const double v = field[i] / total;  // in [0, 1], mostly around 0.5
        image.rgb[i] = static_cast<std::uint8_t>(std::clamp(255.0 * (2.0 * v - 0.5), 0.0, 255.0));
    }
    return image;
}
