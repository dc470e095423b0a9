#include "infolens/render/OverlayCompositor.h"

#include <algorithm>
#include <cmath>

#include "infolens/render/Colormap.h"

namespace infolens {

namespace {

// Every step below is mirrored line for line in shaders/overlay.comp; keep them in float32 and
// in the same order so the two renderers round the same way.
float channel(std::uint32_t rgba, int c) {
    return static_cast<float>((rgba >> (8 * c)) & 0xffu);
}

std::uint8_t toByte(float v) {
    return static_cast<std::uint8_t>(std::floor(std::clamp(v, 0.0f, 255.0f) + 0.5f));
}

}  // namespace

OverlayShaderParams shaderParams(const OverlayInputs& in, const OverlayParams& p) {
    OverlayShaderParams s{};
    s.outWidth = p.outWidth;
    s.outHeight = p.outHeight;
    s.baseWidth = in.baseWidth;
    s.baseHeight = in.baseHeight;
    s.mapWidth = in.mapWidth;
    s.mapHeight = in.mapHeight;
    s.flags = (in.map ? 1 : 0) | (p.maskBelowThreshold ? 2 : 0) | (p.contour ? 4 : 0) |
              (p.fadeLowValues ? 8 : 0);
    s.backgroundRgba = p.backgroundRgba;
    s.scale = p.scale;
    s.offsetX = p.offsetX;
    s.offsetY = p.offsetY;
    s.lo = p.lo;
    s.hi = p.hi;
    s.opacity = p.opacity;
    s.threshold = p.threshold;
    s.contourRgba = p.contourRgba;
    s.invScale = 1.0f / p.scale;
    s.mapScaleX = in.baseWidth > 0 ? static_cast<float>(in.mapWidth) / in.baseWidth : 0.0f;
    s.mapScaleY = in.baseHeight > 0 ? static_cast<float>(in.mapHeight) / in.baseHeight : 0.0f;
    s.invSpan = p.hi > p.lo ? 1.0f / (p.hi - p.lo) : 1.0f;
    return s;
}

float sampleMap(const float* map, int mapWidth, int mapHeight, int baseWidth, int baseHeight,
                float u, float v) {
    return sampleMapScaled(map, mapWidth, mapHeight,
                           static_cast<float>(mapWidth) / static_cast<float>(baseWidth),
                           static_cast<float>(mapHeight) / static_cast<float>(baseHeight), u, v);
}

float sampleMapScaled(const float* map, int mapWidth, int mapHeight, float mapScaleX,
                      float mapScaleY, float u, float v) {
    const float mu = u * mapScaleX - 0.5f;
    const float mv = v * mapScaleY - 0.5f;
    const float fx = std::floor(mu), fy = std::floor(mv);
    const float tx = mu - fx, ty = mv - fy;
    const int x0 = std::clamp(static_cast<int>(fx), 0, mapWidth - 1);
    const int x1 = std::clamp(static_cast<int>(fx) + 1, 0, mapWidth - 1);
    const int y0 = std::clamp(static_cast<int>(fy), 0, mapHeight - 1);
    const int y1 = std::clamp(static_cast<int>(fy) + 1, 0, mapHeight - 1);
    const float top = map[y0 * mapWidth + x0] * (1.0f - tx) + map[y0 * mapWidth + x1] * tx;
    const float bottom = map[y1 * mapWidth + x0] * (1.0f - tx) + map[y1 * mapWidth + x1] * tx;
    return top * (1.0f - ty) + bottom * ty;
}

std::vector<std::uint8_t> compositeOverlay(const OverlayInputs& in, const OverlayParams& p) {
    std::vector<std::uint8_t> out(static_cast<std::size_t>(p.outWidth) * p.outHeight * 4);
    const OverlayShaderParams s = shaderParams(in, p);
    auto valueAt = [&](float ox, float oy) {
        const float u = (ox - s.offsetX) * s.invScale, v = (oy - s.offsetY) * s.invScale;
        return sampleMapScaled(in.map, s.mapWidth, s.mapHeight, s.mapScaleX, s.mapScaleY, u, v);
    };
    for (int y = 0; y < p.outHeight; ++y) {
        for (int x = 0; x < p.outWidth; ++x) {
            std::uint8_t* px = &out[(static_cast<std::size_t>(y) * p.outWidth + x) * 4];
            const float ox = static_cast<float>(x) + 0.5f, oy = static_cast<float>(y) + 0.5f;
            const float u = (ox - s.offsetX) * s.invScale, v = (oy - s.offsetY) * s.invScale;
            // Written so that a NaN position (zero scale, NaN offset) counts as outside: it
            // would otherwise reach the texel index below as an undefined int.
            if (!(u >= 0.0f) || !(v >= 0.0f) || u >= static_cast<float>(s.baseWidth) ||
                v >= static_cast<float>(s.baseHeight)) {
                for (int c = 0; c < 3; ++c)
                    px[c] = toByte(channel(s.backgroundRgba, c));
                px[3] = 255;
                continue;
            }
            const int bx = std::min(static_cast<int>(u), s.baseWidth - 1);
            const int by = std::min(static_cast<int>(v), s.baseHeight - 1);
            const std::uint8_t* b = &in.base[(static_cast<std::size_t>(by) * s.baseWidth + bx) * 4];
            float rgb[3] = {static_cast<float>(b[0]), static_cast<float>(b[1]),
                            static_cast<float>(b[2])};
            if (s.flags & 1) {
                const float value = valueAt(ox, oy);
                // NaN (in the map, or in lo/hi) is caught before clamping: GLSL's clamp of NaN
                // is undefined, std::clamp passes it through. Such values show the LUT's low end.
                float t = (value - s.lo) * s.invSpan;
                if (!(t >= 0.0f))
                    t = 0.0f;
                t = std::min(t, 1.0f);
                const float position = t * 255.0f;
                const int i0 = std::min(static_cast<int>(std::floor(position)), 254);
                const float f = position - static_cast<float>(i0);
                float alpha = s.opacity;
                // Fade: low values let the image show through, full opacity from half scale up.
                if (s.flags & 8)
                    alpha = s.opacity * std::min(1.0f, 2.0f * t);
                if ((s.flags & 2) && value < s.threshold)
                    alpha = 0.0f;
                for (int c = 0; c < 3; ++c) {
                    const float lutColour = static_cast<float>(in.lut[i0 * 4 + c]) * (1.0f - f) +
                                            static_cast<float>(in.lut[(i0 + 1) * 4 + c]) * f;
                    rgb[c] = rgb[c] * (1.0f - alpha) + lutColour * alpha;
                }
                if (s.flags & 4) {
                    const bool inside = value >= s.threshold;
                    const bool right = valueAt(ox + 1.0f, oy) >= s.threshold;
                    const bool below = valueAt(ox, oy + 1.0f) >= s.threshold;
                    if (inside != right || inside != below) {
                        for (int c = 0; c < 3; ++c)
                            rgb[c] = channel(s.contourRgba, c);
                    }
                }
            }
            for (int c = 0; c < 3; ++c)
                px[c] = toByte(rgb[c]);
            px[3] = 255;
        }
    }
    return out;
}

std::vector<std::uint8_t> lutRgba(const char* colormapName) {
    const std::vector<Rgb8> lut = colormapLut(colormapName);
    std::vector<std::uint8_t> out(256 * 4);
    for (int i = 0; i < 256; ++i) {
        for (int c = 0; c < 3; ++c)
            out[i * 4 + c] = lut[i][c];
        out[i * 4 + 3] = 255;
    }
    return out;
}

}  // namespace infolens
