#pragma once

#include <memory>
#include <string>

#include "infolens/model/Codec.h"
#include "infolens/model/Denoiser.h"
#include "infolens/model/Placement.h"
#include "infolens/model/TextEncoder.h"

namespace infolens {

// An image and prompt that a model family offers as its out-of-the-box example (the app opens it
// when no image is given). Empty paths mean the family has none.
struct SampleRef {
    std::string imagePath;
    std::string prompt;
};

// A loaded model: what the engine needs plus identity for session files. Family-specific state
// lives in the family's own Denoiser/TextEncoder/Codec classes, never here.
struct Model {
    std::string kind;  // the family's bundle kind, e.g. "gaussian", "shapes-ldm"
    std::string name;
    std::string hash;       // sha256 of the manifest, or of the generating parameters
    std::string directory;  // bundle directory, empty for built-in models
    int imageWidth = 0;     // image size the model works at (0 for models without images)
    int imageHeight = 0;
    SampleRef sample;
    Placement placement;  // where the weights are and their dtype
    std::shared_ptr<Denoiser> denoiser;
    std::shared_ptr<TextEncoder> textEncoder;
    std::shared_ptr<Codec> codec;  // null for models that do not work on images

    [[nodiscard]] bool worksOnImages() const { return codec && imageWidth > 0 && imageHeight > 0; }
};

}  // namespace infolens
