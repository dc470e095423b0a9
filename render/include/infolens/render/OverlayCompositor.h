#pragma once

#include <cstdint>
#include <vector>

namespace infolens {

// What the image view draws: the base image, one information map through a colormap, a threshold
// mask and a contour, under a pan/zoom transform. This is the CPU reference; the Vulkan renderer
// (render/) runs the same arithmetic in a compute shader and must agree to within 2/255.
struct OverlayInputs {
    const std::uint8_t* base = nullptr;  // RGBA8, row-major, baseWidth x baseHeight
    int baseWidth = 0;
    int baseHeight = 0;
    const float* map = nullptr;  // mapWidth x mapHeight values, row-major; may be null (no overlay)
    int mapWidth = 0;
    int mapHeight = 0;
    const std::uint8_t* lut = nullptr;  // 256 RGBA8 entries
};

struct OverlayParams {
    int outWidth = 0;
    int outHeight = 0;
    float scale = 1.0f;    // output pixels per base-image pixel
    float offsetX = 0.0f;  // output position of the base image's top-left corner
    float offsetY = 0.0f;
    float lo = 0.0f;  // value mapped to the first LUT entry
    float hi = 1.0f;  // value mapped to the last LUT entry
    float opacity = 0.6f;
    bool maskBelowThreshold = false;  // hide the overlay where the value is below the threshold
    bool contour = false;             // draw the threshold's iso-line
    bool fadeLowValues = false;       // opacity grows with the value, full from half scale
    float threshold = 0.0f;
    std::uint32_t contourRgba = 0xffffffffu;     // packed 0xAABBGGRR (R in the low byte)
    std::uint32_t backgroundRgba = 0xff303030u;  // outside the image
};

// Push-constant layout shared with shaders/overlay.comp (std430, 20 x 4 bytes). The reciprocals
// are computed once on the CPU: Vulkan allows float division to be off by 2.5 ulp, while
// multiplication is correctly rounded, so both renderers multiply and round alike.
struct OverlayShaderParams {
    std::int32_t outWidth, outHeight, baseWidth, baseHeight;
    std::int32_t mapWidth, mapHeight, flags;  // flags: 1 map present, 2 mask, 4 contour, 8 fade
    std::uint32_t backgroundRgba;
    float scale, offsetX, offsetY, lo;
    float hi, opacity, threshold;
    std::uint32_t contourRgba;
    float invScale;   // 1 / scale
    float mapScaleX;  // mapWidth / baseWidth
    float mapScaleY;  // mapHeight / baseHeight
    float invSpan;    // 1 / (hi - lo), or 1 when hi <= lo
};
static_assert(sizeof(OverlayShaderParams) == 80, "push constants are 80 bytes");

OverlayShaderParams shaderParams(const OverlayInputs& in, const OverlayParams& p);

// Bilinear value of the map at base-image coordinates (u, v), clamped to the edge; the same
// sampling the view uses, so hover readouts match what is drawn.
float sampleMap(const float* map, int mapWidth, int mapHeight, int baseWidth, int baseHeight,
                float u, float v);
// The same with the map-per-base scale factors given (as the compositor and shader use them).
float sampleMapScaled(const float* map, int mapWidth, int mapHeight, float mapScaleX,
                      float mapScaleY, float u, float v);

// RGBA8 output, outWidth x outHeight, alpha 255.
std::vector<std::uint8_t> compositeOverlay(const OverlayInputs& in, const OverlayParams& p);

// The colormap as 256 RGBA8 entries, for OverlayInputs::lut.
std::vector<std::uint8_t> lutRgba(const char* colormapName);

}  // namespace infolens
