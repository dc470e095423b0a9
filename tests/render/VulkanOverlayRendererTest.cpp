#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "OverlayTestData.h"
#include "infolens/Error.h"
#include "infolens/render/Colormap.h"
#include "infolens/render/OverlayCompositor.h"
#include "infolens/render/OverlayRenderer.h"

using namespace infolens;
using infolens::test::compareImages;
using infolens::test::Difference;
using infolens::test::noisyBase;
using infolens::test::pixelAt;
using infolens::test::smoothMap;

namespace {

constexpr int kTolerance = 2;  // per channel, of 255

bool skipRequested() {
    const char* skip = std::getenv("INFOLENS_SKIP_GPU_TESTS");
    return skip && std::strcmp(skip, "1") == 0;
}

// Null when the calling test must stop: skipped on request (with a warning), failed otherwise, so
// that a machine that silently lost its Vulkan driver does not pass the GPU tests by default.
std::unique_ptr<VulkanOverlayRenderer> rendererOrSkip() {
    std::string whyNot;
    std::unique_ptr<VulkanOverlayRenderer> renderer = VulkanOverlayRenderer::create(&whyNot);
    if (renderer)
        return renderer;
    if (skipRequested()) {
        WARN("skipped, INFOLENS_SKIP_GPU_TESTS=1 and no Vulkan device: " << whyNot);
        return nullptr;
    }
    FAIL("no Vulkan device: " << whyNot
                              << ". Install a Vulkan driver (Debian: mesa-vulkan-drivers provides "
                                 "lavapipe) or set INFOLENS_SKIP_GPU_TESTS=1 to skip these tests.");
    return nullptr;
}

// Sets an environment variable for one scope and restores the previous state after.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : m_name(name) {
        if (const char* old = std::getenv(name))
            m_old = old;
        if (value)
            setenv(name, value, 1);
        else
            unsetenv(name);
    }
    ~ScopedEnv() {
        if (m_old)
            setenv(m_name.c_str(), m_old->c_str(), 1);
        else
            unsetenv(m_name.c_str());
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    std::string m_name;
    std::optional<std::string> m_old;
};

// Renders on the GPU and the CPU and returns how far apart they are, failing the test beyond the
// tolerance with the worst pixel of both.
Difference compareWithReference(OverlayRenderer& gpu, const OverlayInputs& in,
                                const OverlayParams& p, const std::string& label) {
    const std::vector<std::uint8_t> expected = compositeOverlay(in, p);
    const std::vector<std::uint8_t> got = gpu.render(in, p);
    INFO(label);
    REQUIRE(got.size() == expected.size());
    const Difference d = compareImages(got, expected, p.outWidth);
    if (d.maxChannel > kTolerance) {
        char worst[160];
        std::snprintf(worst, sizeof worst, "worst pixel %d,%d: GPU 0x%08x, CPU 0x%08x", d.x, d.y,
                      pixelAt(got, p.outWidth, d.x, d.y), pixelAt(expected, p.outWidth, d.x, d.y));
        INFO(worst << "; " << d.pixelsOverTwo << " pixels differ by more than " << kTolerance);
        CHECK(d.maxChannel <= kTolerance);
    }
    return d;
}

void report(const std::string& label, int maxChannel, int renders) {
    std::printf("[gpu] %-58s max diff %d/255 over %d renders\n", label.c_str(), maxChannel,
                renders);
    std::fflush(stdout);
}

std::string decimal(float v) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", v);
    return text;
}

struct Geometry {
    const char* name;
    int outWidth, outHeight;
    float scale, offsetX, offsetY;
};

double medianMs(std::vector<double> samples) {
    std::sort(samples.begin(), samples.end());
    const std::size_t n = samples.size();
    return n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
}

template <typename F>
std::vector<double> timeMs(int repeats, F&& f) {
    std::vector<double> samples;
    for (int i = 0; i < repeats; ++i) {
        const auto start = std::chrono::steady_clock::now();
        f();
        const auto end = std::chrono::steady_clock::now();
        samples.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
    return samples;
}

}  // namespace

TEST_CASE("the Vulkan renderer names its device", "[gpu]") {
    auto renderer = rendererOrSkip();
    if (!renderer)
        return;
    const std::string description = renderer->description();
    std::printf("[gpu] device: %s\n", description.c_str());
    CHECK(description.rfind("Vulkan: ", 0) == 0);
    CHECK(description.size() > std::strlen("Vulkan: "));
    CHECK(renderer->isVulkan());
}

TEST_CASE("the Vulkan renderer matches the CPU reference", "[gpu]") {
    auto renderer = rendererOrSkip();
    if (!renderer)
        return;
    const int bw = 64, bh = 64, mw = 16, mh = 16;
    const auto base = noisyBase(bw, bh);
    const auto map = smoothMap(mw, mh);

    const Geometry geometry =
        GENERATE(Geometry{"300x200, scale 3.7, partly outside", 300, 200, 3.7f, -40.3f, -25.6f},
                 Geometry{"300x200, scale 0.5", 300, 200, 0.5f, 10.25f, 7.5f},
                 Geometry{"64x64, scale 1", 64, 64, 1.0f, 0.0f, 0.0f},
                 Geometry{"77x45, scale 1.3, not a multiple of 16", 77, 45, 1.3f, 5.5f, -3.2f});
    OverlayParams p;
    p.outWidth = geometry.outWidth;
    p.outHeight = geometry.outHeight;
    p.scale = geometry.scale;
    p.offsetX = geometry.offsetX;
    p.offsetY = geometry.offsetY;
    p.lo = 0.1f;
    p.hi = 0.9f;
    p.threshold = 0.5f;
    p.contourRgba = 0xff00ffffu;
    p.backgroundRgba = 0xff402010u;

    int worstOverall = 0, rendersOverall = 0;
    for (const std::string& name : colormapNames()) {
        const auto lut = lutRgba(name.c_str());
        int worst = 0, renders = 0;
        for (const bool withMap : {true, false}) {
            const float* mapValues = withMap ? map.data() : nullptr;
            const OverlayInputs in{base.data(), bw, bh, mapValues, mw, mh, lut.data()};
            for (const bool mask : {false, true}) {
                for (const bool contour : {false, true}) {
                    for (const float opacity : {0.0f, 0.5f, 1.0f}) {
                        for (const bool fade : {false, true}) {
                            p.maskBelowThreshold = mask;
                            p.contour = contour;
                            p.opacity = opacity;
                            p.fadeLowValues = fade;
                            const std::string label =
                                std::string(geometry.name) + ", " + name +
                                (withMap ? "" : ", no map") + (mask ? ", mask" : "") +
                                (contour ? ", contour" : "") + (fade ? ", fade" : "") +
                                ", opacity " + decimal(opacity);
                            const Difference d = compareWithReference(*renderer, in, p, label);
                            worst = std::max(worst, d.maxChannel);
                            ++renders;
                        }
                    }
                }
            }
        }
        report(std::string(geometry.name) + ", " + name, worst, renders);
        worstOverall = std::max(worstOverall, worst);
        rendersOverall += renders;
    }
    report(std::string(geometry.name) + ", all colormaps", worstOverall, rendersOverall);
}

TEST_CASE("the Vulkan renderer matches the reference for a degenerate range", "[gpu]") {
    auto renderer = rendererOrSkip();
    if (!renderer)
        return;
    const auto base = noisyBase(32, 32, 11);
    const auto map = smoothMap(8, 8);
    const auto lut = lutRgba("inferno");
    const OverlayInputs in{base.data(), 32, 32, map.data(), 8, 8, lut.data()};
    OverlayParams p;
    p.outWidth = 96;
    p.outHeight = 96;
    p.scale = 3.0f;
    p.lo = 0.4f;
    p.hi = GENERATE(0.4f, 0.2f);  // hi <= lo: the reference then uses a span of 1
    p.opacity = 0.75f;
    p.contour = true;
    p.threshold = 0.45f;
    const Difference d =
        compareWithReference(*renderer, in, p, "96x96, hi " + decimal(p.hi) + " <= lo 0.4");
    report("96x96, hi " + decimal(p.hi) + " <= lo 0.4", d.maxChannel, 1);
}

TEST_CASE("the Vulkan renderer handles mirrored, degenerate and NaN input", "[gpu]") {
    auto renderer = rendererOrSkip();
    if (!renderer)
        return;
    const int bw = 64, bh = 64, mw = 16, mh = 16;
    const auto base = noisyBase(bw, bh, 21);
    auto map = smoothMap(mw, mh);
    const auto lut = lutRgba("viridis");
    OverlayParams p;
    p.outWidth = 80;
    p.outHeight = 80;
    p.opacity = 0.5f;
    p.maskBelowThreshold = true;
    p.contour = true;
    p.threshold = 0.5f;

    SECTION("a negative scale mirrors the image, as in the reference") {
        const OverlayInputs in{base.data(), bw, bh, map.data(), mw, mh, lut.data()};
        p.scale = -1.25f;
        p.offsetX = 75.3f;
        p.offsetY = 70.1f;
        const Difference d = compareWithReference(*renderer, in, p, "scale -1.25");
        report("80x80, scale -1.25 (mirrored)", d.maxChannel, 1);
    }
    SECTION("a zero scale still draws an opaque frame") {
        // x / 0 is undefined in Vulkan's precision rules, so only safety is checked here: no
        // exception, no out-of-bounds read, the right size, opaque.
        const OverlayInputs in{base.data(), bw, bh, map.data(), mw, mh, lut.data()};
        p.scale = 0.0f;
        p.offsetX = 0.25f;
        p.offsetY = 0.25f;
        const auto out = renderer->render(in, p);
        REQUIRE(out.size() == std::size_t(p.outWidth) * p.outHeight * 4);
        for (std::size_t i = 3; i < out.size(); i += 4)
            REQUIRE(out[i] == 255);
    }
    SECTION("a NaN in the map stays local") {
        // Vulkan does not promise IEEE NaN behaviour without VK_KHR_shader_float_controls, so the
        // NaN texel's reach (base pixels 18..26, plus one for the contour) is only reported; the
        // rest must match.
        map[5 * mw + 5] = std::nanf("");
        const OverlayInputs in{base.data(), bw, bh, map.data(), mw, mh, lut.data()};
        p.outWidth = bw;
        p.outHeight = bh;
        const auto expected = compositeOverlay(in, p);
        const auto got = renderer->render(in, p);
        REQUIRE(got.size() == expected.size());
        int inside = 0, outside = 0;
        for (int y = 0; y < bh; ++y) {
            for (int x = 0; x < bw; ++x) {
                const bool nearNan = x >= 14 && x <= 30 && y >= 14 && y <= 30;
                for (int c = 0; c < 4; ++c) {
                    const std::size_t i = (std::size_t(y) * bw + x) * 4 + c;
                    const int diff = std::abs(int(got[i]) - int(expected[i]));
                    (nearNan ? inside : outside) = std::max(nearNan ? inside : outside, diff);
                }
            }
        }
        CHECK(outside <= kTolerance);
        report("64x64, NaN texel: away from it", outside, 1);
        report("64x64, NaN texel: within its reach (informative)", inside, 1);
    }
}

TEST_CASE("one Vulkan renderer serves frames of changing sizes", "[gpu]") {
    auto renderer = rendererOrSkip();
    if (!renderer)
        return;
    struct Frame {
        int baseWidth, baseHeight, mapWidth, mapHeight;  // mapWidth 0: no map
        int outWidth, outHeight;
        float scale;
        const char* colormap;
    };
    // Grows every buffer, shrinks them, changes the base and map sizes, drops and restores the
    // map, and ends where it started, so a stale size or binding anywhere shows.
    const Frame frames[] = {
        {64, 64, 16, 16, 300, 200, 3.7f, "viridis"},    {64, 64, 16, 16, 800, 600, 9.0f, "turbo"},
        {64, 64, 16, 16, 10, 10, 0.2f, "gray"},         {128, 96, 7, 5, 256, 192, 2.0f, "magma"},
        {128, 96, 0, 0, 256, 192, 2.0f, "magma"},       {17, 13, 3, 2, 1, 1, 1.0f, "jet"},
        {512, 384, 64, 48, 640, 480, 1.25f, "cividis"}, {64, 64, 16, 16, 300, 200, 3.7f, "viridis"},
    };
    int worst = 0, index = 0;
    for (const Frame& f : frames) {
        const auto base = noisyBase(f.baseWidth, f.baseHeight, 100 + index);
        const auto map = smoothMap(std::max(f.mapWidth, 1), std::max(f.mapHeight, 1));
        const auto lut = lutRgba(f.colormap);
        OverlayInputs in{base.data(), f.baseWidth, f.baseHeight, nullptr, 0, 0, lut.data()};
        if (f.mapWidth > 0) {
            in.map = map.data();
            in.mapWidth = f.mapWidth;
            in.mapHeight = f.mapHeight;
        }
        OverlayParams p;
        p.outWidth = f.outWidth;
        p.outHeight = f.outHeight;
        p.scale = f.scale;
        p.offsetX = 3.5f;
        p.offsetY = -2.0f;
        p.opacity = 0.6f;
        p.contour = index % 2 == 0;
        p.maskBelowThreshold = index % 3 == 0;
        p.threshold = 0.5f;
        const std::string label = "frame " + std::to_string(index) + ": " +
                                  std::to_string(f.outWidth) + "x" + std::to_string(f.outHeight) +
                                  " from " + std::to_string(f.baseWidth) + "x" +
                                  std::to_string(f.baseHeight) + (f.mapWidth ? "" : ", no map");
        const Difference d = compareWithReference(*renderer, in, p, label);
        report("reuse, " + label, d.maxChannel, 1);
        worst = std::max(worst, d.maxChannel);
        ++index;
    }
    report("reuse, all frames", worst, index);
}

TEST_CASE("the Vulkan renderer rejects what it cannot draw", "[gpu]") {
    auto renderer = rendererOrSkip();
    if (!renderer)
        return;
    const auto base = noisyBase(8, 8);
    const auto lut = lutRgba("gray");
    OverlayInputs in{base.data(), 8, 8, nullptr, 0, 0, lut.data()};
    OverlayParams p;
    p.outWidth = 0;
    p.outHeight = 10;
    CHECK(renderer->render(in, p).empty());
    p.outWidth = 16;
    p.outHeight = 16;
    in.base = nullptr;
    CHECK_THROWS_AS(renderer->render(in, p), Error);
    in.base = base.data();
    in.lut = nullptr;
    CHECK_THROWS_AS(renderer->render(in, p), Error);
    in.lut = lut.data();
    // Still usable after rejected calls.
    CHECK(renderer->render(in, p) == compositeOverlay(in, p));
}

TEST_CASE("INFOLENS_VULKAN_DEVICE picks the device by name", "[gpu]") {
    std::string name;
    {
        auto renderer = rendererOrSkip();
        if (!renderer)
            return;
        name = renderer->description().substr(std::strlen("Vulkan: "));
    }
    {
        ScopedEnv env("INFOLENS_VULKAN_DEVICE", "no-such-device-xyz");
        std::string whyNot;
        CHECK(VulkanOverlayRenderer::create(&whyNot) == nullptr);
        INFO(whyNot);
        CHECK(whyNot.find("no-such-device-xyz") != std::string::npos);
        CHECK(whyNot.find(name) != std::string::npos);  // lists what there is
    }
    {
        // Case-insensitive substring of the name the default choice reported.
        std::string part = name.substr(0, std::min<std::size_t>(name.size(), 6));
        std::transform(part.begin(), part.end(), part.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        ScopedEnv env("INFOLENS_VULKAN_DEVICE", part.c_str());
        std::string whyNot;
        auto renderer = VulkanOverlayRenderer::create(&whyNot);
        INFO("INFOLENS_VULKAN_DEVICE=" << part << ": " << whyNot);
        REQUIRE(renderer != nullptr);
        CHECK(renderer->description().find(part.substr(0, 1)) != std::string::npos);
    }
}

TEST_CASE("createOverlayRenderer falls back to the CPU on request", "[gpu]") {
    {
        ScopedEnv env("INFOLENS_RENDERER", "cpu");
        std::string note;
        auto renderer = createOverlayRenderer(&note);
        REQUIRE(renderer != nullptr);
        CHECK_FALSE(renderer->isVulkan());
        CHECK(renderer->description() == "CPU renderer");
        CHECK(note.find("INFOLENS_RENDERER=cpu") != std::string::npos);
    }
    {
        ScopedEnv env("INFOLENS_VULKAN_DEVICE", "no-such-device-xyz");
        std::string note;
        auto renderer = createOverlayRenderer(&note);
        REQUIRE(renderer != nullptr);
        CHECK_FALSE(renderer->isVulkan());
        INFO(note);
        CHECK(note.rfind("no Vulkan device: ", 0) == 0);
        CHECK(note.find("using the CPU renderer") != std::string::npos);
    }
    if (!rendererOrSkip())
        return;
    ScopedEnv env("INFOLENS_RENDERER", nullptr);
    std::string note = "stale";
    auto renderer = createOverlayRenderer(&note);
    REQUIRE(renderer != nullptr);
    CHECK(renderer->isVulkan());
    CHECK(note.empty());
}

// Hidden (not run by ctest): ./infolens_gpu_tests "[bench]"
TEST_CASE("time of one 800x800 frame, Vulkan and CPU", "[.][bench]") {
    auto renderer = rendererOrSkip();
    if (!renderer)
        return;
    const int bw = 512, bh = 512, mw = 64, mh = 64;
    const auto base = noisyBase(bw, bh);
    const auto map = smoothMap(mw, mh);
    const auto lut = lutRgba("viridis");
    const OverlayInputs in{base.data(), bw, bh, map.data(), mw, mh, lut.data()};
    CpuOverlayRenderer cpu;
    for (const bool options : {false, true}) {
        OverlayParams p;
        p.outWidth = 800;
        p.outHeight = 800;
        p.scale = 800.0f / 512.0f;
        p.opacity = 0.6f;
        p.maskBelowThreshold = options;
        p.contour = options;
        p.threshold = 0.5f;
        for (int i = 0; i < 3; ++i)  // first frames allocate buffers and warm caches
            renderer->render(in, p);
        const double gpuMs = medianMs(timeMs(20, [&] { renderer->render(in, p); }));
        const double cpuMs = medianMs(timeMs(20, [&] { cpu.render(in, p); }));
        std::printf(
            "[bench] 800x800 from 512x512 + 64x64 map%s: %s %.2f ms, CPU %.2f ms "
            "(median of 20)\n",
            options ? ", mask + contour" : "", renderer->description().c_str(), gpuMs, cpuMs);
        CHECK(compareImages(renderer->render(in, p), cpu.render(in, p), 800).maxChannel <=
              kTolerance);
    }
}
