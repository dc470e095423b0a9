#include "infolens/io/ImageIO.h"

#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>

#include <algorithm>
#include <climits>
#include <string>

#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"

namespace infolens {

namespace {

bool isJpeg(const std::vector<unsigned char>& bytes) {
    return bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
}

// stb_image decodes a JPEG cut short without complaint (missing rows come out grey), so require the
// end-of-image marker, allowing trailing padding.
bool jpegHasEndMarker(const std::vector<unsigned char>& bytes) {
    std::size_t end = bytes.size();
    while (end > 2 && bytes[end - 1] == 0x00)
        --end;
    return end >= 4 && bytes[end - 2] == 0xFF && bytes[end - 1] == 0xD9;
}

std::uint32_t bigEndian32(const unsigned char* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
           p[3];
}

// stb_image refuses very large PNGs before reporting their size, which would leave the user with
// "unknown image type"; read the size from the IHDR chunk so the message says what is wrong.
bool pngHeaderSize(const std::vector<unsigned char>& bytes, std::int64_t& width,
                   std::int64_t& height) {
    static const unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (bytes.size() < 24 || !std::equal(kSignature, kSignature + 8, bytes.begin()))
        return false;
    if (!std::equal(bytes.begin() + 12, bytes.begin() + 16, "IHDR"))
        return false;
    width = bigEndian32(&bytes[16]);
    height = bigEndian32(&bytes[20]);
    return true;
}

void refuseOversized(std::int64_t width, std::int64_t height, const std::string& name) {
    if (width * height > kMaxImagePixels) {
        throw Error("'" + name + "' claims " + std::to_string(width) + "x" +
                    std::to_string(height) +
                    " pixels, more than the limit of 2^28; refusing to decode it");
    }
}

void appendToString(void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                               static_cast<std::size_t>(size));
}

}  // namespace

Image decodeImage(const std::vector<unsigned char>& bytes, const std::string& name) {
    if (bytes.empty())
        throw Error("'" + name + "' is empty (0 bytes)");
    if (static_cast<std::int64_t>(bytes.size()) > kMaxImageFileBytes || bytes.size() > INT_MAX) {
        throw Error("'" + name + "' is too large to be an image this program reads");
    }
    const auto* data = bytes.data();
    const int length = static_cast<int>(bytes.size());
    std::int64_t headerWidth = 0, headerHeight = 0;
    if (pngHeaderSize(bytes, headerWidth, headerHeight))
        refuseOversized(headerWidth, headerHeight, name);
    int width = 0, height = 0, channels = 0;
    if (!stbi_info_from_memory(data, length, &width, &height, &channels)) {
        throw Error("'" + name + "' is not a readable PNG, JPEG or BMP image (" +
                    stbi_failure_reason() + ")");
    }
    if (width <= 0 || height <= 0)
        throw Error("'" + name + "' has no pixels");
    refuseOversized(width, height, name);
    if (isJpeg(bytes) && !jpegHasEndMarker(bytes)) {
        throw Error("'" + name + "' is a truncated JPEG (no end-of-image marker)");
    }
    unsigned char* pixels = stbi_load_from_memory(data, length, &width, &height, &channels, 3);
    if (!pixels) {
        throw Error("'" + name + "' is corrupt or truncated (" + stbi_failure_reason() + ")");
    }
    Image image;
    image.width = width;
    image.height = height;
    image.rgb.assign(pixels, pixels + static_cast<std::size_t>(width) * height * 3);
    stbi_image_free(pixels);
    return image;
}

Image loadImage(const std::string& path) {
    return decodeImage(readFileBytes(path), path);
}

Image fitImage(const Image& image, int width, int height, std::string* notice) {
    if (notice)
        notice->clear();
    if (width <= 0 || height <= 0) {
        throw Error("cannot fit an image to " + std::to_string(width) + "x" +
                    std::to_string(height) + " pixels (the model does not work on images)");
    }
    if (image.width <= 0 || image.height <= 0)
        throw Error("cannot fit an empty image");
    if (image.width == width && image.height == height)
        return image;
    // Largest centred crop with the target's aspect ratio.
    int cropW = image.width, cropH = image.height;
    if (static_cast<std::int64_t>(image.width) * height >
        static_cast<std::int64_t>(image.height) * width) {
        cropW = static_cast<int>(static_cast<std::int64_t>(image.height) * width / height);
    } else {
        cropH = static_cast<int>(static_cast<std::int64_t>(image.width) * height / width);
    }
    const int x0 = (image.width - cropW) / 2, y0 = (image.height - cropH) / 2;
    Image out;
    out.width = width;
    out.height = height;
    out.rgb.resize(static_cast<std::size_t>(width) * height * 3);
    const std::uint8_t* start =
        image.rgb.data() + (static_cast<std::size_t>(y0) * image.width + x0) * 3;
    if (!stbir_resize_uint8(start, cropW, cropH, image.width * 3, out.rgb.data(), width, height,
                            width * 3, 3)) {
        throw Error("cannot resample the image");
    }
    if (notice) {
        *notice = "the image is " + std::to_string(image.width) + "x" +
                  std::to_string(image.height) + "; the model works at " + std::to_string(width) +
                  "x" + std::to_string(height) +
                  (cropW != image.width || cropH != image.height
                       ? ", so it was centre-cropped and resized"
                       : ", so it was resized");
    }
    return out;
}

std::vector<std::uint8_t> toRgba(const Image& image) {
    const std::size_t n = static_cast<std::size_t>(image.width) * image.height;
    std::vector<std::uint8_t> rgba(n * 4, 255);
    for (std::size_t i = 0; i < n; ++i) {
        for (int c = 0; c < 3; ++c)
            rgba[i * 4 + c] = image.rgb[i * 3 + c];
    }
    return rgba;
}

void writePng(const std::string& path, int width, int height, int channels,
              const std::vector<std::uint8_t>& pixels) {
    if (width <= 0 || height <= 0 || (channels != 1 && channels != 3 && channels != 4) ||
        pixels.size() != static_cast<std::size_t>(width) * height * channels) {
        throw Error("cannot write '" + path + "': pixel buffer does not match its size");
    }
    std::string encoded;
    if (!stbi_write_png_to_func(appendToString, &encoded, width, height, channels, pixels.data(),
                                width * channels)) {
        throw Error("cannot encode PNG for '" + path + "'");
    }
    writeFileAtomically(path, encoded);
}

}  // namespace infolens
