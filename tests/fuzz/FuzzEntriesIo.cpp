#include "FuzzEntries.h"

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "infolens/Error.h"
#include "infolens/io/ImageIO.h"
#include "infolens/io/Npy.h"
#include "infolens/io/SafeTensors.h"
#include "infolens/io/SessionFile.h"

namespace infolens::fuzz {

// Files read by io/ (no LibTorch): these targets build in seconds with the sanitizers.
void image(const std::uint8_t* data, std::size_t size) {
    try {
        const Image img = decodeImage(std::vector<unsigned char>(data, data + size), "fuzz");
        require(img.width > 0 && img.height > 0 && img.width <= kMaxImageSide &&
                img.height <= kMaxImageSide);
        require(img.rgb.size() == static_cast<std::size_t>(img.width) * img.height * 3);
    } catch (const Error&) {
    }
}

void session(const std::uint8_t* data, std::size_t size) {
    try {
        const SessionState s = parseSession(std::vector<unsigned char>(data, data + size), "fuzz");
        require(s.sampleCap >= 1 && s.sampleCap <= kMaxSessionSampleCap);
        require(s.opacity >= 0.0 && s.opacity <= 1.0);
        // What was read writes back and reads again to the same state.
        const SessionState again = sessionFromJson(sessionToJson(s), "fuzz");
        require(again.prompt == s.prompt && again.modes == s.modes && again.seed == s.seed);
    } catch (const Error&) {
    }
}

void npy(const std::uint8_t* data, std::size_t size) {
    try {
        const NpyArray a = parseNpyFloat32(std::vector<unsigned char>(data, data + size), "fuzz");
        std::size_t count = 1;
        for (const std::int64_t d : a.shape) {
            require(d >= 0);
            count *= static_cast<std::size_t>(d);
        }
        require(count == a.values.size());
    } catch (const Error&) {
    }
}

void safetensors(const std::uint8_t* data, std::size_t size) {
    try {
        (void)parseSafeTensors(data, size, "fuzz");
    } catch (const Error&) {
    }
}

}  // namespace infolens::fuzz
