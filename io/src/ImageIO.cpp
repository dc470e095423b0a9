#include "infolens/io/ImageIO.h"

#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"

namespace infolens {

namespace {

enum class ImageFormat { Png, Jpeg, Bmp };

bool startsWith(const std::vector<unsigned char>& bytes, const char* magic, std::size_t n) {
    return bytes.size() >= n && std::memcmp(bytes.data(), magic, n) == 0;
}

// What a file that is not PNG, JPEG or BMP most likely is, for the message; empty if unknown.
std::string otherFormatName(const std::vector<unsigned char>& bytes) {
    if (startsWith(bytes, "GIF8", 4))
        return "a GIF image";
    if (startsWith(bytes, "RIFF", 4) && bytes.size() >= 12 &&
        std::memcmp(bytes.data() + 8, "WEBP", 4) == 0)
        return "a WebP image";
    if (startsWith(bytes, "II*\0", 4) || startsWith(bytes, "MM\0*", 4))
        return "a TIFF image";
    if (startsWith(bytes, "8BPS", 4))
        return "a Photoshop (PSD) image";
    if (startsWith(bytes, "#?RADIANCE", 10) || startsWith(bytes, "#?RGBE", 6))
        return "a Radiance HDR image";
    if (startsWith(bytes, "\x53\x80\xF6\x34", 4))
        return "a Softimage PIC image";
    if (bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '7')
        return "a PNM/PGM/PPM image";
    if (startsWith(bytes,
                   "\0\0\0\x0C"
                   "jP",
                   6) ||
        startsWith(bytes, "\0\0\0 ftypavif", 12))
        return "a JPEG 2000 or AVIF image";
    static const char kTgaFooter[] = "TRUEVISION-XFILE.";
    if (bytes.size() >= 18 &&
        std::memcmp(bytes.data() + bytes.size() - 18, kTgaFooter, sizeof kTgaFooter - 1) == 0)
        return "a TGA image";
    // TGA has no magic number; its header's image type byte is 1-3 or 9-11 with colour-map type
    // 0 or 1.
    if (bytes.size() >= 18 && bytes[1] <= 1 &&
        ((bytes[2] >= 1 && bytes[2] <= 3) || (bytes[2] >= 9 && bytes[2] <= 11)))
        return "probably a TGA image";
    return {};
}

ImageFormat detectFormat(const std::vector<unsigned char>& bytes, const std::string& name) {
    if (startsWith(bytes, "\x89PNG\r\n\x1a\n", 8))
        return ImageFormat::Png;
    if (startsWith(bytes, "\xFF\xD8\xFF", 3))
        return ImageFormat::Jpeg;
    if (startsWith(bytes, "BM", 2) && bytes.size() >= 26)
        return ImageFormat::Bmp;
    const std::string other = otherFormatName(bytes);
    throw FormatError(
        "'" + name + "' is " + (other.empty() ? "not an image this program knows" : other) +
        "; only PNG, JPEG and BMP are read (the format is taken from the content, not " +
        "the file name)");
}

// stb_image decodes a JPEG cut short without complaint (missing rows come out grey), so require the
// end-of-image marker, allowing trailing padding.
bool jpegHasEndMarker(const std::vector<unsigned char>& bytes) {
    std::size_t end = bytes.size();
    while (end > 2 && bytes[end - 1] == 0x00)
        --end;
    return end >= 4 && bytes[end - 2] == 0xFF && bytes[end - 1] == 0xD9;
}

// stb_image 2.27 (Debian's) trusts a JPEG's Huffman tables (both found by fuzz_image; fixed
// upstream in 2.28). (1) More than 256 codes in a table write past its 257-entry size table and
// 256-entry value table. (2) A scan may name a table no DHT segment defined: stb's tables live in
// memory it never clears, so decoding reads values[] at an index taken from garbage (16711680 in
// the fuzz input). The header is Debian's, so every DHT and SOS segment is checked here before stb
// sees the file. Walks the marker segments by their lengths (skipping entropy-coded data between
// scans, where 0xFF is always stuffed as FF 00), so payloads of other segments are never misread as
// markers.
std::string jpegHuffmanProblem(const std::vector<unsigned char>& bytes) {
    const std::size_t n = bytes.size();
    // defined[class][id]: class 0 = DC, 1 = AC; ids 0-3 (stb refuses others itself).
    bool defined[2][4] = {};
    bool progressive = false;
    std::size_t p = 2;
    while (p + 1 < n) {
        if (bytes[p] != 0xFF) {
            ++p;
            continue;
        }
        const unsigned char marker = bytes[p + 1];
        if (marker == 0xFF) {
            ++p;
            continue;
        }
        if (marker == 0x00 || marker == 0x01 || marker == 0xD8 ||
            (marker >= 0xD0 && marker <= 0xD7)) {
            p += 2;
            continue;
        }
        if (marker == 0xD9 || p + 4 > n)
            break;
        const std::size_t length = (std::size_t(bytes[p + 2]) << 8) | bytes[p + 3];
        // Past the end of the file stb reads zeros.
        const auto at = [&](std::size_t i) -> unsigned { return i < n ? bytes[i] : 0u; };
        if (marker == 0xC2)
            progressive = true;
        if (marker == 0xC4) {
            // Exactly stb's loop: tables are read while the declared length lasts, and the last
            // one is read whole even if it runs past the segment's end or the file's.
            std::int64_t left = static_cast<std::int64_t>(length) - 2;
            std::size_t q = p + 4;
            while (left > 0 && q < n) {
                std::size_t codes = 0;
                for (std::size_t i = 1; i <= 16; ++i)
                    codes += at(q + i);
                if (codes > 256) {
                    return "has a Huffman table with " + std::to_string(codes) +
                           " codes (a JPEG allows at most 256)";
                }
                const unsigned tableClass = at(q) >> 4, id = at(q) & 15;
                if (tableClass <= 1 && id <= 3)
                    defined[tableClass][id] = true;
                q += 17 + codes;
                left -= static_cast<std::int64_t>(17 + codes);
            }
        }
        if (marker == 0xDA) {
            // Which tables a scan decodes with, as stb uses them: sequential scans both; a
            // progressive DC scan its DC table on the first pass only, an AC scan its AC table.
            const std::size_t components = at(p + 4);
            const std::size_t tail = p + 5 + 2 * components;
            const unsigned spectralStart = at(tail), approximationHigh = at(tail + 2) >> 4;
            const bool usesDc = !progressive || (spectralStart == 0 && approximationHigh == 0);
            const bool usesAc = !progressive || spectralStart != 0;
            for (std::size_t c = 0; c < components; ++c) {
                const unsigned selectors = at(p + 6 + 2 * c);
                const unsigned dc = selectors >> 4, ac = selectors & 15;
                const bool dcMissing = usesDc && dc <= 3 && !defined[0][dc];
                const bool acMissing = usesAc && ac <= 3 && !defined[1][ac];
                if (dcMissing || acMissing) {
                    return std::string("has a scan that uses Huffman table ") +
                           (dcMissing ? "DC " + std::to_string(dc) : "AC " + std::to_string(ac)) +
                           ", which no table segment before it defines";
                }
            }
        }
        p += 2 + length;
    }
    return {};
}

std::uint32_t bigEndian32(const unsigned char* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
           p[3];
}

std::int32_t littleEndian32(const unsigned char* p) {
    return static_cast<std::int32_t>(std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8) |
                                     (std::uint32_t(p[2]) << 16) | (std::uint32_t(p[3]) << 24));
}

// stb_image refuses very large headers before reporting their size, which would leave the user
// with "too large"; read the size from the header ourselves so the message says what it claims.
bool headerSize(ImageFormat format, const std::vector<unsigned char>& bytes, std::int64_t& width,
                std::int64_t& height) {
    if (format == ImageFormat::Png) {
        if (bytes.size() < 24 || std::memcmp(bytes.data() + 12, "IHDR", 4) != 0)
            return false;
        width = bigEndian32(&bytes[16]);
        height = bigEndian32(&bytes[20]);
        return true;
    }
    if (format == ImageFormat::Bmp) {
        // BITMAPINFOHEADER and later: signed 32-bit; a negative height means top-down rows.
        width = std::abs(static_cast<std::int64_t>(littleEndian32(&bytes[18])));
        height = std::abs(static_cast<std::int64_t>(littleEndian32(&bytes[22])));
        return true;
    }
    return false;
}

void refuseOversized(std::int64_t width, std::int64_t height, const std::string& name) {
    if (width > kMaxImageSide || height > kMaxImageSide || width * height > kMaxImagePixels) {
        throw FormatError("'" + name + "' claims " + std::to_string(width) + "x" +
                          std::to_string(height) + " pixels, more than the limit of " +
                          std::to_string(kMaxImageSide) + "x" + std::to_string(kMaxImageSide) +
                          "; refusing to decode it");
    }
}

void appendToString(void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                               static_cast<std::size_t>(size));
}

}  // namespace

// stb_image grows its IDAT buffer to a chunk's *declared* length before reading it, so a 123-byte
// PNG claiming a 2 GiB chunk made it allocate 2 GiB (found by fuzz_image). A chunk cannot be longer
// than what is left of the file: check every declared length before stb sees the file.
std::string pngChunkProblem(const std::vector<unsigned char>& bytes) {
    std::size_t at = 8;  // after the signature
    while (at + 8 <= bytes.size()) {
        const std::uint64_t declared = bigEndian32(&bytes[at]);
        const std::string type(reinterpret_cast<const char*>(&bytes[at + 4]), 4);
        const std::uint64_t left = bytes.size() - at - 8;
        if (declared > left) {
            return "its " + type + " chunk claims " + std::to_string(declared) + " bytes, only " +
                   std::to_string(left) + " follow";
        }
        if (type == "IEND")
            break;
        at += 8 + declared + 4;  // length and type, data, CRC
    }
    return {};
}

Image decodeImage(const std::vector<unsigned char>& bytes, const std::string& name) {
    if (bytes.empty())
        throw FormatError("'" + name + "' is empty (0 bytes)");
    if (static_cast<std::int64_t>(bytes.size()) > kMaxImageFileBytes || bytes.size() > INT_MAX) {
        throw FormatError("'" + name + "' is too large to be an image this program reads");
    }
    const ImageFormat format = detectFormat(bytes, name);
    // Before stbi_info: reading a JPEG's header already builds its Huffman tables.
    if (format == ImageFormat::Jpeg) {
        const std::string problem = jpegHuffmanProblem(bytes);
        if (!problem.empty())
            throw FormatError("'" + name + "' is a corrupt JPEG: it " + problem);
    }
    if (format == ImageFormat::Png) {
        const std::string problem = pngChunkProblem(bytes);
        if (!problem.empty())
            throw FormatError("'" + name + "' is corrupt or truncated (" + problem + ")");
    }
    const auto* data = bytes.data();
    const int length = static_cast<int>(bytes.size());
    std::int64_t headerWidth = 0, headerHeight = 0;
    if (headerSize(format, bytes, headerWidth, headerHeight))
        refuseOversized(headerWidth, headerHeight, name);
    int width = 0, height = 0, channels = 0;
    if (!stbi_info_from_memory(data, length, &width, &height, &channels)) {
        throw FormatError("'" + name + "' is not a readable PNG, JPEG or BMP image (" +
                          stbi_failure_reason() + ")");
    }
    if (width <= 0 || height <= 0)
        throw FormatError("'" + name + "' has no pixels");
    refuseOversized(width, height, name);
    if (format == ImageFormat::Jpeg && !jpegHasEndMarker(bytes)) {
        throw FormatError("'" + name + "' is a truncated JPEG (no end-of-image marker)");
    }
    unsigned char* pixels = stbi_load_from_memory(data, length, &width, &height, &channels, 3);
    if (!pixels) {
        throw FormatError("'" + name + "' is corrupt or truncated (" + stbi_failure_reason() + ")");
    }
    Image image;
    image.width = width;
    image.height = height;
    image.rgb.assign(pixels, pixels + static_cast<std::size_t>(width) * height * 3);
    stbi_image_free(pixels);
    return image;
}

Image loadImage(const std::string& path) {
    return decodeImage(readFileBytes(path, static_cast<std::uint64_t>(kMaxImageFileBytes)), path);
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
