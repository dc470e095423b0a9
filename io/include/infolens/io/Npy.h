#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace infolens {

// NumPy .npy (format 1.0, little-endian float32, C order), written atomically.
void writeNpyFloat32(const std::string& path, const std::vector<float>& values,
                     const std::vector<std::int64_t>& shape);

struct NpyArray {
    std::vector<std::int64_t> shape;
    std::vector<float> values;
};
// Reads float32, or float64 converted to float32 (what NumPy writes by default).
NpyArray readNpyFloat32(const std::string& path);

}  // namespace infolens
