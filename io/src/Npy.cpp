#include "infolens/io/Npy.h"

#include <cstring>
#include <limits>
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

namespace {

// The header is a Python dict literal written by NumPy, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// Parsed strictly by hand (no std::stoll, whose exceptions would escape as "internal error"): keys
// once each, a little-endian float dtype, C order, and non-negative dimensions whose product fits.
class NpyHeaderParser {
  public:
    NpyHeaderParser(const std::string& text, const std::string& path) : m_t(text), m_path(path) {}

    void parse(std::string& descr, bool& fortran, std::vector<std::int64_t>& shape) {
        bool haveDescr = false, haveOrder = false, haveShape = false;
        expect('{');
        while (true) {
            skipSpace();
            if (peek() == '}') {
                ++m_pos;
                break;
            }
            const std::string key = quoted();
            expect(':');
            if (key == "descr" && !haveDescr) {
                descr = quoted();
                haveDescr = true;
            } else if (key == "fortran_order" && !haveOrder) {
                fortran = boolean();
                haveOrder = true;
            } else if (key == "shape" && !haveShape) {
                shape = tuple();
                haveShape = true;
            } else {
                fail("has an unexpected or repeated key '" + key + "'");
            }
            skipSpace();
            if (peek() == ',') {
                ++m_pos;
            } else if (peek() != '}') {
                fail("is malformed near offset " + std::to_string(m_pos));
            }
        }
        if (!haveDescr || !haveOrder || !haveShape)
            fail("lacks one of 'descr', 'fortran_order' and 'shape'");
        skipSpace();
        if (m_pos != m_t.size())
            fail("has text after its closing brace");
    }

  private:
    [[noreturn]] void fail(const std::string& why) const {
        throw FormatError("'" + m_path + "': the .npy header " + why);
    }
    char peek() const { return m_pos < m_t.size() ? m_t[m_pos] : '\0'; }
    void skipSpace() {
        while (m_pos < m_t.size() && (m_t[m_pos] == ' ' || m_t[m_pos] == '\n' ||
                                      m_t[m_pos] == '\t' || m_t[m_pos] == '\r'))
            ++m_pos;
    }
    void expect(char c) {
        skipSpace();
        if (peek() != c)
            fail(std::string("is malformed: expected '") + c + "' at offset " +
                 std::to_string(m_pos));
        ++m_pos;
    }
    std::string quoted() {
        skipSpace();
        const char q = peek();
        if (q != '\'' && q != '"')
            fail("is malformed: expected a quoted name at offset " + std::to_string(m_pos));
        const std::size_t end = m_t.find(q, m_pos + 1);
        if (end == std::string::npos)
            fail("has an unterminated string");
        std::string text = m_t.substr(m_pos + 1, end - m_pos - 1);
        m_pos = end + 1;
        return text;
    }
    bool boolean() {
        skipSpace();
        if (m_t.compare(m_pos, 4, "True") == 0) {
            m_pos += 4;
            return true;
        }
        if (m_t.compare(m_pos, 5, "False") == 0) {
            m_pos += 5;
            return false;
        }
        fail("has a 'fortran_order' that is neither True nor False");
    }
    std::vector<std::int64_t> tuple() {
        constexpr std::size_t kMaxDims = 32;  // NumPy's own limit
        std::vector<std::int64_t> dims;
        expect('(');
        while (true) {
            skipSpace();
            if (peek() == ')') {
                ++m_pos;
                return dims;
            }
            if (peek() == '-')
                fail("has a negative dimension in its shape");
            if (peek() < '0' || peek() > '9')
                fail("has a shape that is not a tuple of non-negative integers");
            std::int64_t value = 0;
            while (peek() >= '0' && peek() <= '9') {
                const int digit = peek() - '0';
                if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10)
                    fail("has a dimension too large to represent");
                value = value * 10 + digit;
                ++m_pos;
            }
            if (peek() == 'L')  // Python 2 long literal
                ++m_pos;
            dims.push_back(value);
            if (dims.size() > kMaxDims)
                fail("has more than 32 dimensions");
            skipSpace();
            if (peek() == ',')
                ++m_pos;
            else if (peek() != ')')
                fail("has a malformed shape");
        }
    }

    const std::string& m_t;
    const std::string& m_path;
    std::size_t m_pos = 0;
};

}  // namespace

NpyArray readNpyFloat32(const std::string& path) {
    const std::vector<unsigned char> bytes = readFileBytes(path, kMaxNpyBytes);
    return parseNpyFloat32(bytes, path);
}

NpyArray parseNpyFloat32(const std::vector<unsigned char>& bytes, const std::string& path) {
    if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
        throw FormatError("'" + path + "' is not a .npy file (no \\x93NUMPY magic)");
    const int major = bytes[6];
    if (major < 1 || major > 3) {
        throw FormatError("'" + path + "' is .npy format version " + std::to_string(major) +
                          ", which this build does not read (1 to 3)");
    }
    // Version 1: 16-bit header length at offset 8; versions 2 and 3: 32-bit.
    const std::size_t prefix = major == 1 ? 10 : 12;
    if (bytes.size() < prefix)
        throw FormatError("'" + path + "' has a truncated header");
    std::uint64_t headerLength = bytes[8] | (bytes[9] << 8);
    if (major > 1)
        headerLength |= (std::uint64_t(bytes[10]) << 16) | (std::uint64_t(bytes[11]) << 24);
    if (headerLength > bytes.size() - prefix)
        throw FormatError("'" + path + "' has a truncated header");
    const std::string header(reinterpret_cast<const char*>(bytes.data()) + prefix,
                             static_cast<std::size_t>(headerLength));
    std::string descr;
    bool fortran = false;
    NpyArray array;
    NpyHeaderParser(header, path).parse(descr, fortran, array.shape);
    const bool doubles = descr == "<f8";
    if ((!doubles && descr != "<f4") || fortran) {
        throw FormatError("'" + path + "' holds dtype '" + descr +
                          (fortran ? "' in Fortran order" : "'") +
                          "; only C-ordered little-endian float32 or float64 arrays are read");
    }
    const std::size_t width = doubles ? sizeof(double) : sizeof(float);
    const std::size_t dataOffset = prefix + static_cast<std::size_t>(headerLength);
    const std::uint64_t dataBytes = bytes.size() - dataOffset;
    // Product checked against the data present, so it cannot overflow: any factor that would
    // take it past the data length stops the loop (a zero dimension makes an empty array).
    std::uint64_t count = 1;
    bool empty = false;
    for (const std::int64_t d : array.shape)
        empty = empty || d == 0;
    if (!empty) {
        for (const std::int64_t d : array.shape) {
            if (static_cast<std::uint64_t>(d) > dataBytes / width / count) {
                throw FormatError("'" + path + "' has shape " + shapeText(array.shape) +
                                  ", more values than its " + std::to_string(dataBytes) +
                                  " bytes of data hold");
            }
            count *= static_cast<std::uint64_t>(d);
        }
    } else {
        count = 0;
    }
    if (count * width != dataBytes) {
        throw FormatError("'" + path + "' holds " + std::to_string(dataBytes) +
                          " bytes of data, but its shape " + shapeText(array.shape) + " needs " +
                          std::to_string(count * width));
    }
    array.values.resize(static_cast<std::size_t>(count));
    if (!doubles) {
        if (count > 0)
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
