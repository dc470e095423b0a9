#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace infolens {

// NumPy .npy (written as format 1.0, little-endian float32, C order), written atomically.
void writeNpyFloat32(const std::string& path, const std::vector<float>& values,
                     const std::vector<std::int64_t>& shape);

struct NpyArray {
    std::vector<std::int64_t> shape;
    std::vector<float> values;
};
// Float arrays InfoLens reads (maps, latents, images) are far below this; checked before reading.
inline constexpr std::uint64_t kMaxNpyBytes = std::uint64_t(1) << 30;

// Reads float32, or float64 converted to float32 (what NumPy writes by default), format versions
// 1 to 3. The header is parsed strictly: keys 'descr', 'fortran_order' and 'shape' once each, a
// little-endian float dtype, C order, non-negative dimensions whose product matches the data
// exactly (checked without overflow). Any problem throws infolens::FormatError naming the file; a
// file that is not a regular file or exceeds kMaxNpyBytes is refused before it is read.
NpyArray readNpyFloat32(const std::string& path);
// The same from bytes in memory (nameForErrors names them in messages).
NpyArray parseNpyFloat32(const std::vector<unsigned char>& bytes, const std::string& nameForErrors);

}  // namespace infolens
