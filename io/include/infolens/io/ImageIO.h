#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace infolens {

// 8-bit RGB image, row-major, 3 bytes per pixel.
struct Image {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> rgb;
};

// Limits checked on the header, before any pixel is decoded: each side at most kMaxImageSide, at
// most kMaxImagePixels pixels (decoded RGB: at most 192 MiB), and the file at most
// kMaxImageFileBytes (checked before it is read).
constexpr std::int64_t kMaxImageSide = 8192;
constexpr std::int64_t kMaxImagePixels = kMaxImageSide * kMaxImageSide;
constexpr std::int64_t kMaxImageFileBytes = std::int64_t(256) << 20;

// Loads PNG, JPEG or BMP, the decoder chosen by the file's first bytes (never by its extension;
// only these three decoders are compiled in). Refuses, with a message naming the file and the
// reason, a missing or empty file, a folder, FIFO or device, a file over kMaxImageFileBytes, any
// other format (a GIF renamed .png is named as a GIF), a header over the size limits, and
// truncated or corrupt data. Throws infolens::Error.
Image loadImage(const std::string& path);
Image decodeImage(const std::vector<unsigned char>& bytes, const std::string& nameForErrors);

// Centre-crops to the target aspect ratio and resamples to width x height. `notice` (optional)
// receives a sentence for the user when anything changed, empty otherwise.
Image fitImage(const Image& image, int width, int height, std::string* notice = nullptr);

// The image as opaque RGBA8 (what the overlay compositor and renderers take).
std::vector<std::uint8_t> toRgba(const Image& image);

// PNG encoding of RGB (channels = 3) or gray (channels = 1) pixels, written atomically.
void writePng(const std::string& path, int width, int height, int channels,
              const std::vector<std::uint8_t>& pixels);

}  // namespace infolens
