#pragma once

#include <algorithm>
#include <vector>

namespace infolens::cli {

// Benchmarks report medians: robust to the noisy machines they run on.
inline double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace infolens::cli
