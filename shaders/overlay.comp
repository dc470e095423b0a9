#version 450

// The image view's compositing on the GPU. This is compositeOverlay() from
// core/src/OverlayCompositor.cpp transcribed step for step: the renderer is tested against that
// CPU reference to within 2/255, and a flipped comparison (which base texel, which side of the
// threshold) costs far more than 2/255, so every float result below must round exactly as the
// C++ one does. Hence `precise` on every float that feeds a comparison or a colour: without it
// the compiler may fuse a*b+c into one FMA, which rounds once instead of twice.

layout(local_size_x = 16, local_size_y = 16, local_size_z = 1) in;

// Same members, order and types as infolens::OverlayShaderParams (80 bytes). Divisions are done
// on the CPU (the reciprocals below): Vulkan lets float division be off by 2.5 ulp.
layout(push_constant, std430) uniform Params {
    int outWidth;
    int outHeight;
    int baseWidth;
    int baseHeight;
    int mapWidth;
    int mapHeight;
    int flags;  // 1 map present, 2 mask below threshold, 4 contour, 8 fade low values
    uint backgroundRgba;
    float scale;
    float offsetX;
    float offsetY;
    float lo;
    float hi;
    float opacity;
    float threshold;
    uint contourRgba;
    float invScale;
    float mapScaleX;
    float mapScaleY;
    float invSpan;
}
pc;

// Colours are packed 0xAABBGGRR, i.e. the RGBA8 bytes of the CPU side read as little-endian uints.
layout(std430, set = 0, binding = 0) readonly buffer BaseBuffer {
    uint basePixels[];
};
// Only read when flags & 1; otherwise a small placeholder is bound.
layout(std430, set = 0, binding = 1) readonly buffer MapBuffer {
    float mapValues[];
};
layout(std430, set = 0, binding = 2) readonly buffer LutBuffer {
    uint lutEntries[256];
};
layout(std430, set = 0, binding = 3) writeonly buffer OutBuffer {
    uint outPixels[];
};

float channel(uint rgba, int c) {
    return float((rgba >> uint(8 * c)) & 0xffu);
}

uint toByte(float v) {
    return uint(floor(clamp(v, 0.0, 255.0) + 0.5));
}

uint packOpaque(vec3 rgb) {
    return toByte(rgb.r) | (toByte(rgb.g) << 8) | (toByte(rgb.b) << 16) | 0xff000000u;
}

float sampleMap(float u, float v) {
    precise float mu = u * pc.mapScaleX - 0.5;
    precise float mv = v * pc.mapScaleY - 0.5;
    precise float fx = floor(mu);
    precise float fy = floor(mv);
    precise float tx = mu - fx;
    precise float ty = mv - fy;
    int x0 = clamp(int(fx), 0, pc.mapWidth - 1);
    int x1 = clamp(int(fx) + 1, 0, pc.mapWidth - 1);
    int y0 = clamp(int(fy), 0, pc.mapHeight - 1);
    int y1 = clamp(int(fy) + 1, 0, pc.mapHeight - 1);
    precise float top =
        mapValues[y0 * pc.mapWidth + x0] * (1.0 - tx) + mapValues[y0 * pc.mapWidth + x1] * tx;
    precise float bottom =
        mapValues[y1 * pc.mapWidth + x0] * (1.0 - tx) + mapValues[y1 * pc.mapWidth + x1] * tx;
    precise float value = top * (1.0 - ty) + bottom * ty;
    return value;
}

float valueAt(float ox, float oy) {
    precise float u = (ox - pc.offsetX) * pc.invScale;
    precise float v = (oy - pc.offsetY) * pc.invScale;
    precise float value = sampleMap(u, v);
    return value;
}

void main() {
    int x = int(gl_GlobalInvocationID.x);
    int y = int(gl_GlobalInvocationID.y);
    if (x >= pc.outWidth || y >= pc.outHeight) {
        return;
    }
    uint outIndex = uint(y) * uint(pc.outWidth) + uint(x);

    precise float ox = float(x) + 0.5;
    precise float oy = float(y) + 0.5;
    precise float u = (ox - pc.offsetX) * pc.invScale;
    precise float v = (oy - pc.offsetY) * pc.invScale;
    if (!(u >= 0.0) || !(v >= 0.0) || u >= float(pc.baseWidth) || v >= float(pc.baseHeight)) {
        outPixels[outIndex] =
            packOpaque(vec3(channel(pc.backgroundRgba, 0), channel(pc.backgroundRgba, 1),
                            channel(pc.backgroundRgba, 2)));
        return;
    }

    // The lower clamps change nothing for the positions that get here (u, v >= 0); they keep the
    // reads in bounds even on a driver that assumes no NaN and so lets one through above.
    int bx = clamp(int(u), 0, pc.baseWidth - 1);
    int by = clamp(int(v), 0, pc.baseHeight - 1);
    uint b = basePixels[by * pc.baseWidth + bx];
    precise vec3 rgb = vec3(channel(b, 0), channel(b, 1), channel(b, 2));

    if ((pc.flags & 1) != 0) {
        precise float value = valueAt(ox, oy);
        precise float t = (value - pc.lo) * pc.invSpan;
        if (!(t >= 0.0)) {
            t = 0.0;  // NaN, before clamping (GLSL's clamp of NaN is undefined), as in the reference
        }
        t = min(t, 1.0);
        precise float position = t * 255.0;
        int i0 = clamp(int(floor(position)), 0, 254);  // lower clamp: as for bx, by above
        precise float f = position - float(i0);
        precise float alpha = pc.opacity;
        if ((pc.flags & 8) != 0) {
            alpha = pc.opacity * min(1.0, 2.0 * t);  // fade: as in the reference
        }
        if ((pc.flags & 2) != 0 && value < pc.threshold) {
            alpha = 0.0;
        }
        uint lut0 = lutEntries[i0];
        uint lut1 = lutEntries[i0 + 1];
        for (int c = 0; c < 3; ++c) {
            precise float lutColour = channel(lut0, c) * (1.0 - f) + channel(lut1, c) * f;
            rgb[c] = rgb[c] * (1.0 - alpha) + lutColour * alpha;
        }
        if ((pc.flags & 4) != 0) {
            bool inside = value >= pc.threshold;
            bool right = valueAt(ox + 1.0, oy) >= pc.threshold;
            bool below = valueAt(ox, oy + 1.0) >= pc.threshold;
            if (inside != right || inside != below) {
                rgb = vec3(channel(pc.contourRgba, 0), channel(pc.contourRgba, 1),
                           channel(pc.contourRgba, 2));
            }
        }
    }

    outPixels[outIndex] = packOpaque(rgb);
}
