#include "infolens/io/ImageIO.h"

#include <algorithm>
#include <string>

#include <stb_image_write.h>

#include "TestFiles.h"
#include "infolens/Error.h"

#include <catch2/catch.hpp>

using infolens::Error;
using infolens::loadImage;

namespace {

std::vector<std::uint8_t> gradient(int w, int h) {
    std::vector<std::uint8_t> rgb(static_cast<std::size_t>(w) * h * 3);
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
            std::uint8_t* p = &rgb[(static_cast<std::size_t>(y) * w + x) * 3];
            p[0] = static_cast<std::uint8_t>(x * 4);
            p[1] = static_cast<std::uint8_t>(y * 4);
            p[2] = 128;
        }
    }
    return rgb;
}

void appendBytes(void* context, void* data, int size) {
    auto* out = static_cast<std::vector<unsigned char>*>(context);
    out->insert(out->end(), static_cast<unsigned char*>(data),
                static_cast<unsigned char*>(data) + size);
}

std::string messageOf(const std::string& path) {
    try {
        loadImage(path);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// A PNG signature and IHDR chunk that claim the given size, with no image data.
std::vector<unsigned char> pngHeaderClaiming(std::uint32_t w, std::uint32_t h) {
    std::vector<unsigned char> b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                    0,    0,   0,   13,  'I',  'H',  'D',  'R'};
    for (std::uint32_t v : {w, h}) {
        for (int s = 24; s >= 0; s -= 8)
            b.push_back(static_cast<unsigned char>(v >> s));
    }
    for (unsigned char c : {8, 2, 0, 0, 0, 0, 0, 0, 0})
        b.push_back(c);  // depth, colour, ..., CRC
    return b;
}

}  // namespace

TEST_CASE("a PNG written by writePng loads back identically", "[image]") {
    TempDir dir;
    const auto rgb = gradient(32, 24);
    infolens::writePng(dir.file("g.png"), 32, 24, 3, rgb);
    const infolens::Image image = loadImage(dir.file("g.png"));
    CHECK(image.width == 32);
    CHECK(image.height == 24);
    CHECK(image.rgb == rgb);
}

TEST_CASE("JPEG and BMP load", "[image]") {
    TempDir dir;
    const auto rgb = gradient(16, 16);
    stbi_write_bmp(dir.file("g.bmp").c_str(), 16, 16, 3, rgb.data());
    stbi_write_jpg(dir.file("g.jpg").c_str(), 16, 16, 3, rgb.data(), 95);
    CHECK(loadImage(dir.file("g.bmp")).rgb == rgb);
    CHECK(loadImage(dir.file("g.jpg")).width == 16);
}

TEST_CASE("a progressive JPEG loads: the Huffman table check follows what each scan uses",
          "[image]") {
    // Its first (DC) scan names AC table 0 before any AC table is defined, which is legal: DC
    // scans decode no AC codes. A check that required every named table would refuse it.
    const infolens::Image image = loadImage(std::string(INFOLENS_SOURCE_DIR) +
                                            "/tests/data/images/progressive-420-64x48.jpg");
    CHECK(image.width == 64);
    CHECK(image.height == 48);
    // Not flat grey: the scans were decoded, not skipped.
    const auto [lo, hi] = std::minmax_element(image.rgb.begin(), image.rgb.end());
    CHECK(int(*hi) - int(*lo) > 100);
}

TEST_CASE("bad image files are refused with a clear message", "[image]") {
    TempDir dir;
    SECTION("missing") {
        CHECK_THAT(messageOf(dir.file("nope.png")), Catch::Contains("cannot open"));
    }
    SECTION("zero size") {
        writeBytes(dir.file("empty.png"), {});
        CHECK_THAT(messageOf(dir.file("empty.png")), Catch::Contains("empty"));
    }
    SECTION("corrupt") {
        writeBytes(dir.file("junk.png"), std::vector<unsigned char>(500, 0x42));
        CHECK_THAT(messageOf(dir.file("junk.png")), Catch::Contains("only PNG, JPEG and BMP"));
    }
    SECTION("truncated PNG") {
        infolens::writePng(dir.file("g.png"), 64, 64, 3, gradient(64, 64));
        auto bytes = readBytes(dir.file("g.png"));
        bytes.resize(bytes.size() / 2);
        writeBytes(dir.file("cut.png"), bytes);
        CHECK_THAT(messageOf(dir.file("cut.png")), Catch::Contains("corrupt or truncated"));
    }
    SECTION("a PNG chunk longer than the file") {
        // stb grew its buffer to the declared length first: 2 GiB for a tiny file (fuzz_image).
        infolens::writePng(dir.file("g.png"), 8, 8, 3, gradient(8, 8));
        auto bytes = readBytes(dir.file("g.png"));
        const std::string text(bytes.begin(), bytes.end());
        const std::size_t idat = text.find("IDAT");
        REQUIRE(idat != std::string::npos);
        bytes[idat - 4] = 0x80;  // declared length 2^31 + the real one's low bytes
        writeBytes(dir.file("huge-chunk.png"), bytes);
        const std::string message = messageOf(dir.file("huge-chunk.png"));
        CHECK_THAT(message, Catch::Contains("corrupt or truncated"));
        CHECK_THAT(message, Catch::Contains("IDAT chunk claims"));
    }
    SECTION("truncated JPEG") {
        std::vector<unsigned char> jpg;
        const auto rgb = gradient(64, 64);
        stbi_write_jpg_to_func(appendBytes, &jpg, 64, 64, 3, rgb.data(), 90);
        jpg.resize(jpg.size() * 2 / 3);
        writeBytes(dir.file("cut.jpg"), jpg);
        CHECK_THAT(messageOf(dir.file("cut.jpg")), Catch::Contains("truncated"));
    }
    SECTION("absurdly large header") {
        writeBytes(dir.file("huge.png"), pngHeaderClaiming(20000, 20000));
        CHECK_THAT(messageOf(dir.file("huge.png")), Catch::Contains("20000x20000"));
        CHECK_THAT(messageOf(dir.file("huge.png")), Catch::Contains("8192x8192"));
    }
}

TEST_CASE("writePng refuses a buffer that does not match its size and leaves no file", "[image]") {
    TempDir dir;
    CHECK_THROWS_AS(infolens::writePng(dir.file("x.png"), 4, 4, 3, std::vector<std::uint8_t>(5)),
                    Error);
    CHECK_FALSE(std::filesystem::exists(dir.file("x.png")));
}
