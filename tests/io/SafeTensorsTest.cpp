#include "infolens/io/SafeTensors.h"

#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <random>

#include "TestFiles.h"
#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

template <typename T>
std::vector<unsigned char> bytesOf(const std::vector<T>& values) {
    std::vector<unsigned char> out(values.size() * sizeof(T));
    std::memcpy(out.data(), values.data(), out.size());
    return out;
}

std::vector<SafeTensorToWrite> sampleTensors() {
    std::vector<std::uint16_t> half, bf;
    for (const float v : {1.0f, -2.5f, 0.0f, 65504.0f, 6.103515625e-05f, 5.9604645e-08f}) {
        half.push_back(floatToHalf(v));
        bf.push_back(floatToBfloat16(v));
    }
    return {
        {"b.weight", TensorDtype::F32, {2, 3}, bytesOf(std::vector<float>{1, 2, 3, 4, 5, 6})},
        {"a.half", TensorDtype::F16, {6}, bytesOf(half)},
        {"c.bf16", TensorDtype::BF16, {3, 2}, bytesOf(bf)},
        {"position_ids", TensorDtype::I64, {1, 3}, bytesOf(std::vector<std::int64_t>{0, 1, 2})},
        {"scalar", TensorDtype::F64, {}, bytesOf(std::vector<double>{0.125})},
        {"empty", TensorDtype::F32, {0, 4}, {}},
    };
}

std::string writeFile(const TempDir& dir, const std::string& bytes) {
    const std::string path = dir.file("model.safetensors");
    writeFileAtomically(path, bytes);
    return path;
}

std::string errorOf(const std::string& bytes) {
    try {
        parseSafeTensors(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                         "t.safetensors");
    } catch (const FormatError& e) {
        return e.what();
    }
    return "";
}

// A file whose header is `json` verbatim and whose data is `dataBytes` zero bytes.
std::string withHeader(const std::string& json, std::size_t dataBytes) {
    std::string out(8, '\0');
    const std::uint64_t n = json.size();
    for (int i = 0; i < 8; ++i)
        out[i] = static_cast<char>((n >> (8 * i)) & 0xffu);
    return out + json + std::string(dataBytes, '\0');
}

}  // namespace

TEST_CASE("safetensors round-trip every dtype SD files use, aligned or not", "[safetensors]") {
    const bool aligned = GENERATE(true, false);
    TempDir dir;
    const std::string bytes = encodeSafeTensors(sampleTensors(), {{"format", "pt"}}, aligned);
    const std::uint64_t headerBytes =
        static_cast<unsigned char>(bytes[0]) | (static_cast<std::uint64_t>(bytes[1]) << 8);
    CHECK((headerBytes % 8 == 0) == aligned);  // the unaligned case really is unaligned
    SafeTensorsFile file(writeFile(dir, bytes));
    CHECK(file.tensors().size() == 6);
    CHECK(file.header().metadata.at("format") == "pt");
    CHECK(file.tensors().front().name == "a.half");  // sorted by name
    CHECK(file.toFloat32(*file.find("b.weight")) == std::vector<float>{1, 2, 3, 4, 5, 6});
    CHECK(file.toFloat32(*file.find("a.half")) ==
          std::vector<float>{1.0f, -2.5f, 0.0f, 65504.0f, 6.103515625e-05f, 5.9604645e-08f});
    const std::vector<float> bf = file.toFloat32(*file.find("c.bf16"));
    CHECK(bf[0] == 1.0f);
    CHECK(bf[1] == -2.5f);
    CHECK(bf[3] == 65536.0f);  // bfloat16 has 8 mantissa bits: 65504 rounds up
    CHECK(file.toFloat32(*file.find("position_ids")) == std::vector<float>{0, 1, 2});
    CHECK(file.toFloat32(*file.find("scalar")) == std::vector<float>{0.125f});
    CHECK(file.find("empty")->numel() == 0);
    CHECK(file.find("missing") == nullptr);
}

TEST_CASE("half and bfloat16 conversions are exact where they can be", "[safetensors]") {
    // Every finite half converts to float and back to the same bits.
    for (std::uint32_t bits = 0; bits < 0x10000; ++bits) {
        if ((bits & 0x7c00u) == 0x7c00u)
            continue;  // inf and NaN
        const float f = halfToFloat(static_cast<std::uint16_t>(bits));
        REQUIRE(floatToHalf(f) == bits);
    }
    CHECK(std::isinf(halfToFloat(0x7c00)));
    CHECK(std::isnan(halfToFloat(0x7e00)));
    CHECK(floatToHalf(1e6f) == 0x7c00);                   // overflow is inf
    CHECK(floatToHalf(1.0f + 1.0f / 2048.0f) == 0x3c00);  // ties round to even
    CHECK(bfloat16ToFloat(floatToBfloat16(3.140625f)) == 3.140625f);
}

TEST_CASE("malformed safetensors are refused with the problem named", "[safetensors]") {
    CHECK_THAT(errorOf("abc"), Catch::Contains("shorter than the 8-byte"));
    SECTION("header length beyond the file or above 100 MB") {
        std::string b = withHeader("{}", 0);
        b[0] = static_cast<char>(0xff);
        CHECK_THAT(errorOf(b), Catch::Contains("but the file has only"));
        std::string huge(8, '\0');
        huge[4] = 0x10;  // 2^36 bytes: refused before anything is allocated
        CHECK_THAT(errorOf(huge + "{}"), Catch::Contains("at most 100 MB"));
    }
    SECTION("not JSON, not an object, duplicate names") {
        CHECK_THAT(errorOf(withHeader("[1, 2]", 0)), Catch::Contains("start with '{'"));
        CHECK_THAT(errorOf(withHeader("{\"a\": ", 0)), Catch::Contains("not valid JSON"));
        const std::string dup = R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                                R"( "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})";
        CHECK_THAT(errorOf(withHeader(dup, 8)), Catch::Contains("'w' appears twice"));
    }
    SECTION("headers built to exhaust memory are refused while parsing") {
        std::string nested = R"({"w": {"dtype": "F32", "shape": )";
        nested += std::string(10000, '[') + std::string(10000, ']') + "}}";
        CHECK_THAT(errorOf(withHeader(nested, 0)), Catch::Contains("nests deeper"));
        std::string longShape = R"({"w": {"dtype": "F32", "data_offsets": [0, 0], "shape": [1)";
        for (int i = 0; i < 100000; ++i)
            longShape += ",1";
        CHECK_THAT(errorOf(withHeader(longShape + "]}}", 0)),
                   Catch::Contains("more than 8 values"));
    }
    SECTION("dtypes") {
        CHECK_THAT(errorOf(withHeader(
                       R"({"w": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}})", 1)),
                   Catch::Contains("F8_E4M3"));
        CHECK_THAT(errorOf(withHeader(
                       R"({"w": {"dtype": "Q4", "shape": [1], "data_offsets": [0, 1]}})", 1)),
                   Catch::Contains("unknown dtype"));
    }
    SECTION("shapes and offsets") {
        CHECK_THAT(errorOf(withHeader(
                       R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", 4)),
                   Catch::Contains("non-negative"));
        CHECK_THAT(
            errorOf(withHeader(
                R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 16], "data_offsets": [0, 4]}})",
                4)),
            Catch::Contains("larger than the file"));
        CHECK_THAT(errorOf(withHeader(
                       R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})", 8)),
                   Catch::Contains("bytes by its shape"));
        CHECK_THAT(errorOf(withHeader(
                       R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 8]}})", 4)),
                   Catch::Contains("lie outside"));
        CHECK_THAT(errorOf(withHeader(
                       R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", 8)),
                   Catch::Contains("a hole or an overlap"));
        CHECK_THAT(errorOf(withHeader(
                       R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", 8)),
                   Catch::Contains("belong to none"));
        CHECK_THAT(
            errorOf(withHeader(
                R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                8)),
            Catch::Contains("a hole or an overlap"));
    }
}

TEST_CASE("random corruptions of a valid file are refused or read, never crash", "[safetensors]") {
    // Deterministic fuzzing: byte flips, truncations and extensions of a valid file. Every
    // outcome must be a FormatError or a file whose tensors all read in bounds.
    const std::string valid = encodeSafeTensors(sampleTensors(), {}, false);
    std::mt19937_64 rng(20261201);
    int refused = 0, accepted = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        std::string b = valid;
        switch (trial % 3) {
            case 0:
                for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k)
                    b[rng() % b.size()] = static_cast<char>(rng());
                break;
            case 1:
                b.resize(rng() % b.size());
                break;
            case 2:
                b.append(1 + rng() % 16, static_cast<char>(rng()));
                break;
        }
        try {
            const SafeTensorsHeader h = parseSafeTensors(
                reinterpret_cast<const unsigned char*>(b.data()), b.size(), "fuzz");
            for (const TensorInfo& t : h.tensors)
                REQUIRE(8 + h.headerBytes + t.end <= b.size());
            ++accepted;
        } catch (const FormatError&) {
            ++refused;
        }
    }
    CHECK(refused > 1000);  // the corruptions mostly break the header
    CHECK(accepted > 0);    // flips inside the data leave a valid file
}

TEST_CASE("safetensors files must be regular files", "[safetensors]") {
    TempDir dir;
    CHECK_THROWS_AS(SafeTensorsFile(dir.path()), FormatError);  // a directory
    const std::string fifo = dir.file("pipe.safetensors");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_THROWS_AS(SafeTensorsFile(fifo), FormatError);  // opened without blocking, refused
    CHECK_THROWS_AS(SafeTensorsFile(dir.file("missing.safetensors")), IoError);
}
