#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "OverlayTestData.h"
#include "infolens/Error.h"
#include "infolens/render/Colormap.h"
#include "infolens/render/OverlayCompositor.h"

using namespace infolens;
using infolens::test::noisyBase;
using infolens::test::pixelAt;
using infolens::test::smoothMap;
using infolens::test::solidBase;

namespace {

constexpr std::uint32_t kRed = 0xff0000ffu;

// Integer floor division, so that the expected texel below is exact rather than a second
// float computation that could round like the one under test.
int floorDiv(int a, int b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// The value the reference samples at output pixel (x, y); the transform is the documented one.
float valueAtPixel(const OverlayInputs& in, const OverlayParams& p, int x, int y) {
    const float u = (static_cast<float>(x) + 0.5f - p.offsetX) / p.scale;
    const float v = (static_cast<float>(y) + 0.5f - p.offsetY) / p.scale;
    return sampleMap(in.map, in.mapWidth, in.mapHeight, in.baseWidth, in.baseHeight, u, v);
}

std::uint32_t lutEntry(const std::vector<std::uint8_t>& lut, int i) {
    return pixelAt(lut, 256, i, 0);
}

}  // namespace

TEST_CASE("opacity 0 shows the base image exactly", "[overlay]") {
    const int bw = 40, bh = 30;
    const auto base = noisyBase(bw, bh);
    const auto map = smoothMap(8, 6);
    const auto lut = lutRgba("viridis");
    const OverlayInputs in{base.data(), bw, bh, map.data(), 8, 6, lut.data()};
    OverlayParams p;
    p.opacity = 0.0f;

    SECTION("at scale 1") {
        p.outWidth = bw;
        p.outHeight = bh;
        CHECK(compositeOverlay(in, p) == base);
    }
    SECTION("under zoom, each pixel shows its nearest base texel") {
        // u = (x + 0.5 - 3) / 2.5 = (2x - 5) / 5 and v = (2y - 1) / 5: every texel boundary falls
        // exactly on a pixel centre or at least 0.2 texels from one, so the floor is unambiguous.
        p.outWidth = 110;
        p.outHeight = 80;
        p.scale = 2.5f;
        p.offsetX = 3.0f;
        p.offsetY = 1.0f;
        const auto out = compositeOverlay(in, p);
        REQUIRE(out.size() == std::size_t(110 * 80 * 4));
        int inside = 0;
        for (int y = 0; y < p.outHeight; ++y) {
            for (int x = 0; x < p.outWidth; ++x) {
                const int bx = floorDiv(2 * x - 5, 5), by = floorDiv(2 * y - 1, 5);
                const bool inImage = bx >= 0 && by >= 0 && bx < bw && by < bh;
                const std::uint32_t expected =
                    inImage ? pixelAt(base, bw, bx, by) : p.backgroundRgba;
                INFO("pixel " << x << "," << y);
                REQUIRE(pixelAt(out, p.outWidth, x, y) == expected);
                inside += inImage;
            }
        }
        CHECK(inside > 0);
        CHECK(inside < p.outWidth * p.outHeight);
    }
}

TEST_CASE("pixels outside the image get the background colour", "[overlay]") {
    const int bw = 30, bh = 20;
    const auto base = noisyBase(bw, bh, 7);
    const auto map = smoothMap(6, 4);
    const auto lut = lutRgba("turbo");
    const OverlayInputs in{base.data(), bw, bh, map.data(), 6, 4, lut.data()};
    OverlayParams p;
    p.outWidth = 64;
    p.outHeight = 64;
    p.scale = 1.5f;
    p.offsetX = -10.5f;
    p.offsetY = 20.0f;
    p.opacity = 1.0f;
    p.contour = true;
    p.threshold = 0.5f;
    p.backgroundRgba = 0xff102030u;
    const auto out = compositeOverlay(in, p);
    int outside = 0;
    for (int y = 0; y < p.outHeight; ++y) {
        for (int x = 0; x < p.outWidth; ++x) {
            // u = (2x + 22) / 3 and v = (2y - 39) / 3, in exact integers.
            const bool inImage = 2 * x + 22 < 3 * bw && 2 * y - 39 >= 0 && 2 * y - 39 < 3 * bh;
            const std::uint32_t got = pixelAt(out, p.outWidth, x, y);
            INFO("pixel " << x << "," << y);
            CHECK((got >> 24) == 255u);
            if (!inImage) {
                REQUIRE(got == p.backgroundRgba);
                ++outside;
            }
        }
    }
    CHECK(outside > 0);
    CHECK(outside < p.outWidth * p.outHeight);
}

TEST_CASE("with the mask on, values below the threshold show the base", "[overlay]") {
    const int bw = 48, bh = 32;
    const auto base = noisyBase(bw, bh, 3);
    const auto map = smoothMap(12, 8);
    const auto lut = lutRgba("magma");
    const OverlayInputs in{base.data(), bw, bh, map.data(), 12, 8, lut.data()};
    OverlayParams p;
    p.outWidth = bw;
    p.outHeight = bh;
    p.opacity = 1.0f;
    p.maskBelowThreshold = true;
    p.threshold = 0.5f;
    p.lo = 0.0f;
    p.hi = 1.0f;
    const auto out = compositeOverlay(in, p);
    int masked = 0, shown = 0;
    for (int y = 0; y < bh; ++y) {
        for (int x = 0; x < bw; ++x) {
            const float value = valueAtPixel(in, p, x, y);
            const std::uint32_t got = pixelAt(out, bw, x, y);
            INFO("pixel " << x << "," << y << " value " << value);
            if (value < p.threshold) {
                REQUIRE(got == pixelAt(base, bw, x, y));
                ++masked;
            } else {
                // At opacity 1 the colormap alone: the LUT interpolated at the value.
                const double position = std::min(std::max(double(value), 0.0), 1.0) * 255.0;
                const int i0 = std::min(static_cast<int>(position), 254);
                const double f = position - i0;
                for (int c = 0; c < 3; ++c) {
                    const double expected = lut[i0 * 4 + c] * (1.0 - f) + lut[(i0 + 1) * 4 + c] * f;
                    REQUIRE(std::abs(double((got >> (8 * c)) & 0xffu) - expected) <= 1.0);
                }
                ++shown;
            }
        }
    }
    CHECK(masked > 50);
    CHECK(shown > 50);
}

TEST_CASE("values at or beyond the range show the LUT's end colours at opacity 1", "[overlay]") {
    const int bw = 64, bh = 16;
    const auto base = noisyBase(bw, bh, 5);
    // Far below the range on the left, far above on the right, a ramp through it in between.
    const std::vector<float> map = {-1.0f, -1.0f, 2.0f, 2.0f};
    const std::string name = GENERATE(as<std::string>{}, "viridis", "gray", "jet");
    const auto lut = lutRgba(name.c_str());
    const OverlayInputs in{base.data(), bw, bh, map.data(), 4, 1, lut.data()};
    OverlayParams p;
    p.outWidth = bw;
    p.outHeight = bh;
    p.opacity = 1.0f;
    p.lo = 0.0f;
    p.hi = 1.0f;
    const auto out = compositeOverlay(in, p);
    int low = 0, high = 0;
    for (int y = 0; y < bh; ++y) {
        for (int x = 0; x < bw; ++x) {
            const float value = valueAtPixel(in, p, x, y);
            INFO(name << " pixel " << x << "," << y << " value " << value);
            if (value <= p.lo) {
                REQUIRE(pixelAt(out, bw, x, y) == lutEntry(lut, 0));
                ++low;
            } else if (value >= p.hi) {
                REQUIRE(pixelAt(out, bw, x, y) == lutEntry(lut, 255));
                ++high;
            }
        }
    }
    CHECK(low > 0);
    CHECK(high > 0);
    CHECK(low + high < bw * bh);  // the ramp in between exists too
}

TEST_CASE("the contour follows the threshold crossing and nothing else", "[overlay]") {
    const int bw = 64, bh = 64, mw = 16, mh = 16;
    const auto base = solidBase(bw, bh, 128);
    const auto lut = lutRgba("gray");
    OverlayParams p;
    p.outWidth = bw;
    p.outHeight = bh;
    p.opacity = 0.0f;  // so that every pixel is either the base grey or the contour colour
    p.contour = true;
    p.contourRgba = kRed;
    p.threshold = 0.5f;
    const std::uint32_t grey = pixelAt(base, bw, 0, 0);

    SECTION("a horizontal ramp gives a vertical line at the crossing") {
        // Map column i holds i / 15, so 0.5 lies halfway between columns 7 and 8, i.e. at base
        // (and output) x = 32: the pixel whose right neighbour crosses is x = 31.
        std::vector<float> map(mw * mh);
        for (int i = 0; i < mw * mh; ++i)
            map[i] = static_cast<float>(i % mw) / 15.0f;
        const OverlayInputs in{base.data(), bw, bh, map.data(), mw, mh, lut.data()};
        const auto out = compositeOverlay(in, p);
        for (int y = 0; y < bh; ++y) {
            int onRow = 0;
            for (int x = 0; x < bw; ++x) {
                const std::uint32_t got = pixelAt(out, bw, x, y);
                INFO("pixel " << x << "," << y);
                REQUIRE((got == kRed || got == grey));
                if (got == kRed) {
                    CHECK(std::abs(x - 31) <= 1);
                    ++onRow;
                }
            }
            INFO("row " << y);
            CHECK(onRow >= 1);
        }
    }
    SECTION("a vertical ramp gives a horizontal line (the pixel below is compared too)") {
        std::vector<float> map(mw * mh);
        for (int i = 0; i < mw * mh; ++i)
            map[i] = static_cast<float>(i / mw) / 15.0f;
        const OverlayInputs in{base.data(), bw, bh, map.data(), mw, mh, lut.data()};
        const auto out = compositeOverlay(in, p);
        for (int x = 0; x < bw; ++x) {
            int onColumn = 0;
            for (int y = 0; y < bh; ++y) {
                const std::uint32_t got = pixelAt(out, bw, x, y);
                if (got == kRed) {
                    INFO("pixel " << x << "," << y);
                    CHECK(std::abs(y - 31) <= 1);
                    ++onColumn;
                }
            }
            INFO("column " << x);
            CHECK(onColumn >= 1);
        }
    }
    SECTION("a constant map has no contour, even exactly at the threshold") {
        const float level = GENERATE(0.2f, 0.5f, 0.9f);
        const std::vector<float> map(mw * mh, level);
        const OverlayInputs in{base.data(), bw, bh, map.data(), mw, mh, lut.data()};
        const auto out = compositeOverlay(in, p);
        for (int y = 0; y < bh; ++y)
            for (int x = 0; x < bw; ++x)
                REQUIRE(pixelAt(out, bw, x, y) == grey);
    }
}

TEST_CASE("NaN in the map or the transform never reaches an index", "[overlay]") {
    const int bw = 64, bh = 64, mw = 16, mh = 16;
    const auto base = noisyBase(bw, bh, 9);
    auto map = smoothMap(mw, mh);
    map[5 * mw + 5] = std::nanf("");
    const auto lut = lutRgba("viridis");
    const OverlayInputs in{base.data(), bw, bh, map.data(), mw, mh, lut.data()};
    OverlayParams p;
    p.outWidth = bw;
    p.outHeight = bh;
    p.opacity = 1.0f;
    p.maskBelowThreshold = true;
    p.contour = true;
    p.threshold = 0.5f;

    SECTION("a NaN value shows the LUT's low end") {
        // Pixel 22 samples between map texels 5 and 6, so its value is NaN; NaN is neither below
        // the threshold (no mask) nor on either side of it (no contour).
        const auto out = compositeOverlay(in, p);
        CHECK(pixelAt(out, bw, 22, 22) == lutEntry(lut, 0));
        CHECK(pixelAt(out, bw, 60, 60) != lutEntry(lut, 0));
    }
    SECTION("a NaN range shows the LUT's low end everywhere") {
        p.lo = std::nanf("");  // hi > NaN is false, so the span is 1 and every t NaN
        p.maskBelowThreshold = false;
        p.contour = false;
        const auto out = compositeOverlay(in, p);
        for (int y = 0; y < bh; ++y)
            for (int x = 0; x < bw; ++x)
                REQUIRE(pixelAt(out, bw, x, y) == lutEntry(lut, 0));
    }
    SECTION("a NaN position is outside the image") {
        p.scale = std::nanf("");
        const auto out = compositeOverlay(in, p);
        for (int y = 0; y < bh; ++y)
            for (int x = 0; x < bw; ++x)
                REQUIRE(pixelAt(out, bw, x, y) == p.backgroundRgba);
    }
}

TEST_CASE("sampleMap reproduces texel centres and interpolates between them", "[overlay]") {
    const int mw = 5, mh = 4;
    std::vector<float> map(mw * mh);
    for (int y = 0; y < mh; ++y)
        for (int x = 0; x < mw; ++x)
            map[y * mw + x] = static_cast<float>(x * 10 + y * y);
    auto at = [&](int x, int y) { return map[y * mw + x]; };
    // One base size that divides evenly by the map and one that does not.
    const int bw = GENERATE(50, 37), bh = GENERATE(20, 23);
    const float sx = static_cast<float>(bw) / mw, sy = static_cast<float>(bh) / mh;
    auto sample = [&](float u, float v) { return sampleMap(map.data(), mw, mh, bw, bh, u, v); };
    INFO("base " << bw << " x " << bh);

    for (int y = 0; y < mh; ++y) {
        for (int x = 0; x < mw; ++x) {
            INFO("texel " << x << "," << y);
            CHECK(sample((x + 0.5f) * sx, (y + 0.5f) * sy) == Approx(at(x, y)).margin(1e-4));
        }
    }
    // Halfway between horizontal, vertical and diagonal neighbours: the mean of the two or four.
    CHECK(sample(2.0f * sx, 1.5f * sy) == Approx((at(1, 1) + at(2, 1)) / 2).margin(1e-4));
    CHECK(sample(3.5f * sx, 2.0f * sy) == Approx((at(3, 1) + at(3, 2)) / 2).margin(1e-4));
    CHECK(sample(4.0f * sx, 3.0f * sy) ==
          Approx((at(3, 2) + at(4, 2) + at(3, 3) + at(4, 3)) / 4).margin(1e-4));
    // A quarter of the way: linear, not nearest.
    CHECK(sample(1.75f * sx, 0.5f * sy) ==
          Approx(0.75f * at(1, 0) + 0.25f * at(2, 0)).margin(1e-4));
    // Beyond the outer texel centres the edge value holds (clamp to edge).
    CHECK(sample(0.0f, 0.0f) == Approx(at(0, 0)).margin(1e-4));
    CHECK(sample(float(bw) - 0.01f, float(bh) - 0.01f) == Approx(at(mw - 1, mh - 1)).margin(1e-4));
    CHECK(sample(0.0f, 2.0f * sy) == Approx((at(0, 1) + at(0, 2)) / 2).margin(1e-4));
}

TEST_CASE("colormaps: every listed name works and unknown names throw", "[overlay]") {
    CHECK_THROWS_AS(colormapLut("no-such-map"), Error);
    CHECK_THROWS_AS(lutRgba("no-such-map"), Error);
    REQUIRE(!colormapNames().empty());
    for (const std::string& name : colormapNames()) {
        INFO(name);
        const std::vector<Rgb8> lut = colormapLut(name);
        REQUIRE(lut.size() == 256u);
        const std::vector<std::uint8_t> rgba = lutRgba(name.c_str());
        REQUIRE(rgba.size() == 256u * 4);
        for (int i = 0; i < 256; ++i) {
            CHECK(rgba[i * 4 + 0] == lut[i][0]);
            CHECK(rgba[i * 4 + 1] == lut[i][1]);
            CHECK(rgba[i * 4 + 2] == lut[i][2]);
            CHECK(rgba[i * 4 + 3] == 255);
        }
        CHECK(lut.front() != lut.back());
    }
}

TEST_CASE("shaderParams encodes the options as flags", "[overlay]") {
    const auto base = noisyBase(4, 4);
    const auto lut = lutRgba("gray");
    const std::vector<float> map(4, 0.0f);
    OverlayInputs in{base.data(), 4, 4, nullptr, 0, 0, lut.data()};
    OverlayParams p;
    p.maskBelowThreshold = true;
    p.contour = true;
    CHECK(shaderParams(in, p).flags == 6);  // no map: the shader must not read binding 1
    in.map = map.data();
    in.mapWidth = in.mapHeight = 2;
    CHECK(shaderParams(in, p).flags == 7);
    p.maskBelowThreshold = false;
    p.contour = false;
    CHECK(shaderParams(in, p).flags == 1);
}

TEST_CASE("fade lets the image through where the value is low, full opacity from half scale",
          "[overlay]") {
    const int bw = 48, bh = 32;
    const auto base = noisyBase(bw, bh, 5);
    const auto map = smoothMap(12, 8);
    const auto lut = lutRgba("viridis");
    const OverlayInputs in{base.data(), bw, bh, map.data(), 12, 8, lut.data()};
    OverlayParams p;
    p.outWidth = bw;
    p.outHeight = bh;
    p.opacity = 1.0f;
    p.fadeLowValues = true;
    p.lo = 0.0f;
    p.hi = 1.0f;
    const auto faded = compositeOverlay(in, p);
    p.fadeLowValues = false;
    const auto solid = compositeOverlay(in, p);
    int full = 0, partial = 0;
    for (int y = 0; y < bh; ++y) {
        for (int x = 0; x < bw; ++x) {
            const float value = valueAtPixel(in, p, x, y);
            INFO("pixel " << x << "," << y << " value " << value);
            if (value >= 0.5f) {
                REQUIRE(pixelAt(faded, bw, x, y) == pixelAt(solid, bw, x, y));
                ++full;
            } else {
                // alpha = 2 * value: the base contributes (1 - 2 value) of each channel.
                const double a = 2.0 * std::max(0.0f, value);
                for (int c = 0; c < 3; ++c) {
                    const double b = (pixelAt(base, bw, x, y) >> (8 * c)) & 0xffu;
                    const double s = (pixelAt(solid, bw, x, y) >> (8 * c)) & 0xffu;
                    const double got = (pixelAt(faded, bw, x, y) >> (8 * c)) & 0xffu;
                    REQUIRE(std::abs(got - (b * (1.0 - a) + s * a)) <= 1.5);
                }
                ++partial;
            }
        }
    }
    CHECK(full > 20);
    CHECK(partial > 20);
}
