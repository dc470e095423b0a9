#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

// The safetensors format (huggingface/safetensors, README "Format"): 8 bytes little-endian header
// length N, N bytes of JSON ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
// optional "__metadata__": {string: string}}), then the data buffer. No LibTorch here: the model
// families turn the bytes into tensors of their run dtype.
namespace infolens {

enum class TensorDtype { Bool, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

[[nodiscard]] std::size_t byteSize(TensorDtype dtype);
[[nodiscard]] const char* toString(TensorDtype dtype);  // the file's code: "F16", "BF16", ...

struct TensorInfo {
    std::string name;
    TensorDtype dtype = TensorDtype::F32;
    std::vector<std::int64_t> shape;  // empty for a scalar
    std::uint64_t begin = 0;          // byte range in the data buffer (after the header)
    std::uint64_t end = 0;
    [[nodiscard]] std::uint64_t numel() const;
};

struct SafeTensorsHeader {
    std::uint64_t headerBytes = 0;    // N
    std::uint64_t dataBytes = 0;      // size of the buffer after the header
    std::vector<TensorInfo> tensors;  // sorted by name
    std::map<std::string, std::string> metadata;
};

inline constexpr std::uint64_t kMaxSafeTensorsHeader = 100'000'000;  // as the reference reader
inline constexpr int kMaxTensorRank = 8;

// Validates a whole file image (header and data), naming `what` (the file) in every error
// (infolens::FormatError): N within the file and at most 100 MB, a JSON object that starts with
// '{' (trailing spaces allowed), no duplicate names, known dtypes (F8 types are refused by name),
// shapes of at most 8 non-negative dimensions whose byte size does not overflow, offsets that lie
// in the buffer and match dtype x shape, and tensors that cover the buffer exactly (sorted by
// offset, contiguous, no holes, no overlaps). Nothing is allocated from an unchecked size.
SafeTensorsHeader parseSafeTensors(const unsigned char* data, std::size_t size,
                                   const std::string& what);

// A read-only memory map of a validated .safetensors file. Tensors are copied out (the data may
// start at an unaligned offset in files written before 2023, so the map is never reinterpreted).
class SafeTensorsFile {
  public:
    // Throws FormatError (bad content) or IoError (cannot open or map); refuses anything that is
    // not a regular file (FIFOs, devices, directories).
    explicit SafeTensorsFile(const std::string& path);
    ~SafeTensorsFile();
    SafeTensorsFile(const SafeTensorsFile&) = delete;
    SafeTensorsFile& operator=(const SafeTensorsFile&) = delete;

    [[nodiscard]] const std::string& path() const { return m_path; }
    [[nodiscard]] const SafeTensorsHeader& header() const { return m_header; }
    [[nodiscard]] const std::vector<TensorInfo>& tensors() const { return m_header.tensors; }
    [[nodiscard]] const TensorInfo* find(const std::string& name) const;  // null when absent

    // The tensor's raw little-endian bytes, copied into aligned storage.
    void copyBytes(const TensorInfo& tensor, void* destination) const;
    // F32, F16, BF16 and F64 tensors (and integer ones) converted to float32, row-major.
    [[nodiscard]] std::vector<float> toFloat32(const TensorInfo& tensor) const;

  private:
    std::string m_path;
    const unsigned char* m_map = nullptr;
    std::size_t m_size = 0;
    SafeTensorsHeader m_header;
};

// IEEE half and bfloat16 to float (exact).
[[nodiscard]] float halfToFloat(std::uint16_t bits);
[[nodiscard]] float bfloat16ToFloat(std::uint16_t bits);
[[nodiscard]] std::uint16_t floatToHalf(float value);  // round to nearest even
[[nodiscard]] std::uint16_t floatToBfloat16(float value);

// For tests and reference data: one tensor to write.
struct SafeTensorToWrite {
    std::string name;
    TensorDtype dtype = TensorDtype::F32;
    std::vector<std::int64_t> shape;
    std::vector<unsigned char> bytes;  // little-endian, row-major
};

// The bytes of a .safetensors file. `alignHeader` pads the header with spaces to a multiple of 8
// as writers since 2023 do; without it the data starts wherever the JSON ends (older files).
[[nodiscard]] std::string encodeSafeTensors(const std::vector<SafeTensorToWrite>& tensors,
                                            const std::map<std::string, std::string>& metadata,
                                            bool alignHeader = true);

}  // namespace infolens
