#include "infolens/io/SafeTensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "infolens/Error.h"

namespace infolens {

namespace {

struct DtypeName {
    const char* code;
    TensorDtype dtype;
    std::size_t bytes;
};

constexpr DtypeName kDtypes[] = {
    {"BOOL", TensorDtype::Bool, 1}, {"U8", TensorDtype::U8, 1},   {"I8", TensorDtype::I8, 1},
    {"I16", TensorDtype::I16, 2},   {"U16", TensorDtype::U16, 2}, {"F16", TensorDtype::F16, 2},
    {"BF16", TensorDtype::BF16, 2}, {"I32", TensorDtype::I32, 4}, {"U32", TensorDtype::U32, 4},
    {"F32", TensorDtype::F32, 4},   {"F64", TensorDtype::F64, 8}, {"I64", TensorDtype::I64, 8},
    {"U64", TensorDtype::U64, 8},
};

[[noreturn]] void bad(const std::string& what, const std::string& problem) {
    throw FormatError("'" + what + "' is not a valid safetensors file: " + problem);
}

TensorDtype dtypeFromCode(const std::string& code, const std::string& what,
                          const std::string& name) {
    for (const DtypeName& d : kDtypes) {
        if (code == d.code)
            return d.dtype;
    }
    if (code.rfind("F8", 0) == 0 || code.rfind("F4", 0) == 0 || code.rfind("F6", 0) == 0) {
        bad(what, "tensor '" + name + "' has dtype " + code +
                      ", an 8-bit-or-smaller float that InfoLens does not read (convert the "
                      "checkpoint to F16 or F32)");
    }
    bad(what, "tensor '" + name + "' has an unknown dtype '" + code + "'");
}

std::uint64_t readLittleEndian64(const unsigned char* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

std::uint64_t unsignedField(const nlohmann::json& value, const std::string& what,
                            const std::string& context) {
    if (!value.is_number_integer() || (value.is_number_integer() && !value.is_number_unsigned() &&
                                       value.get<std::int64_t>() < 0)) {
        bad(what, context + " must be a non-negative integer");
    }
    return value.get<std::uint64_t>();
}

}  // namespace

std::size_t byteSize(TensorDtype dtype) {
    for (const DtypeName& d : kDtypes) {
        if (d.dtype == dtype)
            return d.bytes;
    }
    return 0;
}

const char* toString(TensorDtype dtype) {
    for (const DtypeName& d : kDtypes) {
        if (d.dtype == dtype)
            return d.code;
    }
    return "?";
}

std::uint64_t TensorInfo::numel() const {
    std::uint64_t n = 1;
    for (const std::int64_t d : shape)
        n *= static_cast<std::uint64_t>(d);
    return n;
}

SafeTensorsHeader parseSafeTensors(const unsigned char* data, std::size_t size,
                                   const std::string& what) {
    if (size < 8)
        bad(what, "shorter than the 8-byte header length");
    SafeTensorsHeader header;
    header.headerBytes = readLittleEndian64(data);
    if (header.headerBytes > kMaxSafeTensorsHeader)
        bad(what,
            "the header claims " + std::to_string(header.headerBytes) + " bytes (at most 100 MB)");
    if (header.headerBytes > size - 8)
        bad(what, "the header claims " + std::to_string(header.headerBytes) +
                      " bytes but the file has only " + std::to_string(size - 8) + " after it");
    if (header.headerBytes < 2 || data[8] != '{')
        bad(what, "the header does not start with '{'");
    header.dataBytes = size - 8 - header.headerBytes;
    const char* text = reinterpret_cast<const char*>(data + 8);

    // nlohmann keeps the last of duplicate keys silently; the callback sees every key.
    // The callback also bounds the document while it is built: the valid structure is at most
    // three levels deep ({name: {"shape": [dims]}}) with at most 8 values in any array, so a
    // 100 MB header of nested or huge arrays is refused before it is allocated.
    std::set<std::string> names;
    std::string duplicate;
    std::string structure;
    std::vector<std::size_t> arrayValues;  // values seen in each open array
    nlohmann::json root;
    using Event = nlohmann::json::parse_event_t;
    try {
        root = nlohmann::json::parse(
            text, text + header.headerBytes, [&](int depth, Event event, nlohmann::json& parsed) {
                if (event == Event::key && depth == 1 &&
                    !names.insert(parsed.get<std::string>()).second && duplicate.empty()) {
                    duplicate = parsed.get<std::string>();
                }
                if ((event == Event::object_start || event == Event::array_start) && depth > 2)
                    structure = "the header nests deeper than a tensor entry";
                if (event == Event::array_start)
                    arrayValues.push_back(0);
                if (event == Event::array_end && !arrayValues.empty())
                    arrayValues.pop_back();
                if (event == Event::value && !arrayValues.empty() &&
                    ++arrayValues.back() > static_cast<std::size_t>(kMaxTensorRank))
                    structure = "an array in the header has more than 8 values";
                if (!structure.empty())
                    throw FormatError(structure);
                return true;
            });
    } catch (const FormatError& e) {
        bad(what, e.what());
    } catch (const nlohmann::json::exception& e) {
        bad(what, std::string("the header is not valid JSON (") + e.what() + ")");
    }
    if (!duplicate.empty())
        bad(what, "the tensor name '" + duplicate + "' appears twice");
    if (!root.is_object())
        bad(what, "the header is not a JSON object");

    for (auto& [name, entry] : root.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object())
                bad(what, "__metadata__ must be an object of strings");
            for (auto& [key, value] : entry.items()) {
                if (!value.is_string())
                    bad(what, "__metadata__ value '" + key + "' is not a string");
                header.metadata[key] = value.get<std::string>();
            }
            continue;
        }
        if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
            !entry.contains("data_offsets")) {
            bad(what, "tensor '" + name + "' needs dtype, shape and data_offsets");
        }
        if (!entry["dtype"].is_string())
            bad(what, "tensor '" + name + "': dtype must be a string");
        TensorInfo t;
        t.name = name;
        t.dtype = dtypeFromCode(entry["dtype"].get<std::string>(), what, name);
        const nlohmann::json& shape = entry["shape"];
        if (!shape.is_array() || shape.size() > static_cast<std::size_t>(kMaxTensorRank))
            bad(what, "tensor '" + name + "': shape must be an array of at most 8 dimensions");
        // Byte size without overflow: every factor is bounded by the data size (or is 0).
        std::uint64_t bytes = byteSize(t.dtype);
        bool empty = false;
        for (const nlohmann::json& d : shape) {
            const std::uint64_t dim = unsignedField(d, what, "tensor '" + name + "': a dimension");
            if (dim > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                bad(what, "tensor '" + name + "': a dimension is too large");
            t.shape.push_back(static_cast<std::int64_t>(dim));
            if (dim == 0)
                empty = true;
            else if (!empty && bytes > header.dataBytes / dim)
                bad(what, "tensor '" + name + "' is larger than the file's data");
            else if (!empty)
                bytes *= dim;
        }
        if (empty)
            bytes = 0;
        const nlohmann::json& offsets = entry["data_offsets"];
        if (!offsets.is_array() || offsets.size() != 2)
            bad(what, "tensor '" + name + "': data_offsets must be [begin, end]");
        t.begin = unsignedField(offsets[0], what, "tensor '" + name + "': data_offsets");
        t.end = unsignedField(offsets[1], what, "tensor '" + name + "': data_offsets");
        if (t.begin > t.end || t.end > header.dataBytes)
            bad(what, "tensor '" + name + "': data_offsets [" + std::to_string(t.begin) + ", " +
                          std::to_string(t.end) + "] lie outside the " +
                          std::to_string(header.dataBytes) + "-byte data");
        if (t.end - t.begin != bytes)
            bad(what, "tensor '" + name + "': " + std::to_string(t.end - t.begin) + " bytes for " +
                          toString(t.dtype) + " of " + std::to_string(bytes) +
                          " bytes by its shape");
        header.tensors.push_back(std::move(t));
    }

    // The buffer is covered exactly: contiguous in offset order, no holes, nothing after.
    std::vector<const TensorInfo*> byOffset;
    for (const TensorInfo& t : header.tensors)
        byOffset.push_back(&t);
    std::sort(byOffset.begin(), byOffset.end(), [](const TensorInfo* a, const TensorInfo* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    std::uint64_t covered = 0;
    for (const TensorInfo* t : byOffset) {
        if (t->begin != covered)
            bad(what, "tensor '" + t->name + "' starts at " + std::to_string(t->begin) + " where " +
                          std::to_string(covered) + " was expected (a hole or an overlap)");
        covered = t->end;
    }
    if (covered != header.dataBytes)
        bad(what, std::to_string(header.dataBytes - covered) +
                      " bytes after the last tensor belong to none");
    std::sort(header.tensors.begin(), header.tensors.end(),
              [](const TensorInfo& a, const TensorInfo& b) { return a.name < b.name; });
    return header;
}

SafeTensorsFile::SafeTensorsFile(const std::string& path) : m_path(path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        throw IoError("cannot open '" + path + "': " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw FormatError("'" + path + "' is not a regular file");
    }
    m_size = static_cast<std::size_t>(st.st_size);
    if (m_size > 0) {
        void* map = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            const int error = errno;
            ::close(fd);
            throw IoError("cannot map '" + path + "': " + std::strerror(error));
        }
        m_map = static_cast<const unsigned char*>(map);
    }
    ::close(fd);
    try {
        m_header = parseSafeTensors(m_map, m_size, path);
    } catch (...) {
        if (m_map)
            ::munmap(const_cast<unsigned char*>(m_map), m_size);
        throw;
    }
}

SafeTensorsFile::~SafeTensorsFile() {
    if (m_map)
        ::munmap(const_cast<unsigned char*>(m_map), m_size);
}

const TensorInfo* SafeTensorsFile::find(const std::string& name) const {
    const auto it =
        std::lower_bound(m_header.tensors.begin(), m_header.tensors.end(), name,
                         [](const TensorInfo& t, const std::string& n) { return t.name < n; });
    return it != m_header.tensors.end() && it->name == name ? &*it : nullptr;
}

void SafeTensorsFile::copyBytes(const TensorInfo& t, void* destination) const {
    const std::size_t offset = 8 + m_header.headerBytes + t.begin;
    if (t.end > m_header.dataBytes || t.begin > t.end)
        throw FormatError("'" + m_path + "': tensor '" + t.name + "' lies outside the file");
    if (t.end > t.begin)
        std::memcpy(destination, m_map + offset, t.end - t.begin);
}

std::vector<float> SafeTensorsFile::toFloat32(const TensorInfo& t) const {
    const std::size_t n = static_cast<std::size_t>(t.numel());
    const std::size_t width = byteSize(t.dtype);
    // The info may have been edited by the caller: never read more than its byte range holds.
    if (width == 0 || t.end - t.begin != n * width)
        throw FormatError("'" + m_path + "': tensor '" + t.name + "' has " +
                          std::to_string(t.end - t.begin) + " bytes but its shape needs " +
                          std::to_string(n * width));
    std::vector<unsigned char> raw(static_cast<std::size_t>(t.end - t.begin));
    copyBytes(t, raw.data());
    std::vector<float> out(n);
    auto load = [&](std::size_t i, auto zero) {
        decltype(zero) v;
        std::memcpy(&v, raw.data() + i * width, sizeof v);
        return v;
    };
    for (std::size_t i = 0; i < n; ++i) {
        switch (t.dtype) {
            case TensorDtype::F32:
                out[i] = load(i, 0.0f);
                break;
            case TensorDtype::F64:
                out[i] = static_cast<float>(load(i, 0.0));
                break;
            case TensorDtype::F16:
                out[i] = halfToFloat(load(i, std::uint16_t{}));
                break;
            case TensorDtype::BF16:
                out[i] = bfloat16ToFloat(load(i, std::uint16_t{}));
                break;
            case TensorDtype::Bool:
            case TensorDtype::U8:
                out[i] = static_cast<float>(raw[i]);
                break;
            case TensorDtype::I8:
                out[i] = static_cast<float>(static_cast<std::int8_t>(raw[i]));
                break;
            case TensorDtype::I16:
                out[i] = static_cast<float>(load(i, std::int16_t{}));
                break;
            case TensorDtype::U16:
                out[i] = static_cast<float>(load(i, std::uint16_t{}));
                break;
            case TensorDtype::I32:
                out[i] = static_cast<float>(load(i, std::int32_t{}));
                break;
            case TensorDtype::U32:
                out[i] = static_cast<float>(load(i, std::uint32_t{}));
                break;
            case TensorDtype::I64:
                out[i] = static_cast<float>(load(i, std::int64_t{}));
                break;
            case TensorDtype::U64:
                out[i] = static_cast<float>(load(i, std::uint64_t{}));
                break;
        }
    }
    return out;
}

float halfToFloat(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    std::uint32_t exponent = (h >> 10) & 0x1fu;
    std::uint32_t mantissa = h & 0x3ffu;
    std::uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            exponent = 127 - 15 + 1;
            while ((mantissa & 0x400u) == 0) {
                mantissa <<= 1;
                --exponent;
            }
            mantissa &= 0x3ffu;
            bits = sign | (exponent << 23) | (mantissa << 13);
        }
    } else if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | (mantissa << 13);  // inf or NaN
    } else {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

float bfloat16ToFloat(std::uint16_t b) {
    const std::uint32_t bits = static_cast<std::uint32_t>(b) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

std::uint16_t floatToHalf(float value) {
    std::uint32_t x;
    std::memcpy(&x, &value, sizeof x);
    const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
    const std::uint32_t absBits = x & 0x7fffffffu;
    if (absBits >= 0x7f800000u)  // inf or NaN
        return sign | 0x7c00u | (absBits > 0x7f800000u ? 0x200u : 0u);
    if (absBits >= 0x477ff000u)  // rounds beyond the largest half: inf
        return sign | 0x7c00u;
    if (absBits < 0x38800000u) {  // subnormal half (or zero): round the scaled value
        float a;
        std::memcpy(&a, &absBits, sizeof a);
        const float scaled = a * 16777216.0f;  // 2^24: one half-subnormal step is 1
        const auto rounded = static_cast<std::uint32_t>(std::nearbyint(scaled));
        return sign | static_cast<std::uint16_t>(rounded);
    }
    const std::uint32_t exponent = (absBits >> 23) - 127 + 15;
    std::uint32_t mantissa = absBits & 0x7fffffu;
    std::uint32_t half = (exponent << 10) | (mantissa >> 13);
    const std::uint32_t rest = mantissa & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u)))
        ++half;  // may carry into the exponent, which is correct
    return sign | static_cast<std::uint16_t>(half);
}

std::uint16_t floatToBfloat16(float value) {
    std::uint32_t x;
    std::memcpy(&x, &value, sizeof x);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return static_cast<std::uint16_t>((x >> 16) | 0x40u);  // quiet NaN
    const std::uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
    return static_cast<std::uint16_t>((x + rounding) >> 16);
}

std::string encodeSafeTensors(const std::vector<SafeTensorToWrite>& tensors,
                              const std::map<std::string, std::string>& metadata,
                              bool alignHeader) {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty())
        header["__metadata__"] = metadata;
    std::uint64_t offset = 0;
    std::string data;
    for (const SafeTensorToWrite& t : tensors) {
        header[t.name] = {{"dtype", toString(t.dtype)},
                          {"shape", t.shape},
                          {"data_offsets", {offset, offset + t.bytes.size()}}};
        offset += t.bytes.size();
        data.append(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
    }
    std::string json = header.dump();
    if (alignHeader)
        json.append((8 - json.size() % 8) % 8, ' ');
    std::string out(8, '\0');
    const std::uint64_t n = json.size();
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<char>((n >> (8 * i)) & 0xffu);
    return out + json + data;
}

}  // namespace infolens
