#include "infolens/io/Npy.h"

#include <cstring>
#include <numeric>

#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"

namespace infolens {

namespace {

std::int64_t elementCount(const std::vector<std::int64_t>& shape) {
    return std::accumulate(shape.begin(), shape.end(), std::int64_t(1), std::multiplies<>());
}

std::string shapeText(const std::vector<std::int64_t>& shape) {
    std::string text = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        text += std::to_string(shape[i]);
        if (shape.size() == 1 || i + 1 < shape.size())
            text += ",";
        if (i + 1 < shape.size())
            text += " ";
    }
    return text + ")";
}

}  // namespace

void writeNpyFloat32(const std::string& path, const std::vector<float>& values,
                     const std::vector<std::int64_t>& shape) {
    if (elementCount(shape) != static_cast<std::int64_t>(values.size())) {
        throw Error("npy shape does not match the number of values");
    }
    std::string header =
        "{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeText(shape) + ", }";
    // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64, then
    // \n.
    const std::size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header += '\n';
    std::string bytes("\x93NUMPY\x01\x00", 8);
    const auto length = static_cast<std::uint16_t>(header.size());
    bytes += static_cast<char>(length & 0xff);
    bytes += static_cast<char>(length >> 8);
    bytes += header;
    const std::size_t offset = bytes.size();
    bytes.resize(offset + values.size() * sizeof(float));
    std::memcpy(bytes.data() + offset, values.data(), values.size() * sizeof(float));
    writeFileAtomically(path, bytes);
}

NpyArray readNpyFloat32(const std::string& path) {
    const std::vector<unsigned char> bytes = readFileBytes(path);
    if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0 || bytes[6] != 1) {
        throw Error("'" + path + "' is not a version 1 .npy file");
    }
    const std::size_t headerLength = bytes[8] | (bytes[9] << 8);
    if (10 + headerLength > bytes.size())
        throw Error("'" + path + "' has a truncated header");
    const std::string header(reinterpret_cast<const char*>(bytes.data()) + 10, headerLength);
    const bool doubles = header.find("'<f8'") != std::string::npos;
    if ((!doubles && header.find("'<f4'") == std::string::npos) ||
        header.find("'fortran_order': False") == std::string::npos) {
        throw Error("'" + path + "' is not a C-ordered little-endian float32 or float64 array");
    }
    const std::size_t open = header.find('(', header.find("'shape'"));
    const std::size_t close = header.find(')', open);
    if (open == std::string::npos || close == std::string::npos)
        throw Error("'" + path + "' has no shape");
    NpyArray array;
    std::size_t pos = open + 1;
    while (pos < close) {
        while (pos < close && (header[pos] == ' ' || header[pos] == ','))
            ++pos;
        if (pos >= close)
            break;
        std::size_t used = 0;
        array.shape.push_back(std::stoll(header.substr(pos, close - pos), &used));
        pos += used;
    }
    const std::int64_t count = elementCount(array.shape);
    const std::size_t dataOffset = 10 + headerLength;
    const std::size_t width = doubles ? sizeof(double) : sizeof(float);
    if (count < 0 || bytes.size() - dataOffset != static_cast<std::size_t>(count) * width) {
        throw Error("'" + path + "' holds a different number of values than its shape says");
    }
    array.values.resize(static_cast<std::size_t>(count));
    if (!doubles) {
        std::memcpy(array.values.data(), bytes.data() + dataOffset,
                    array.values.size() * sizeof(float));
        return array;
    }
    for (std::size_t i = 0; i < array.values.size(); ++i) {
        double v = 0.0;
        std::memcpy(&v, bytes.data() + dataOffset + i * sizeof(double), sizeof(double));
        array.values[i] = static_cast<float>(v);
    }
    return array;
}

}  // namespace infolens
