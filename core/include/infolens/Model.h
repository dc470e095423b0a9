#pragma once

#include <memory>
#include <string>
#include <vector>

#include "infolens/Codec.h"
#include "infolens/Denoiser.h"
#include "infolens/TextEncoder.h"

namespace infolens {

class GaussianDenoiser;
class GaussianTextEncoder;

// A loaded model: what the engine needs plus identity for session files.
struct Model {
    std::string kind;  // "gaussian", ...
    std::string name;
    std::string hash;       // sha256 of the manifest, or of the generating parameters
    std::string directory;  // bundle directory, empty for built-in models
    int imageWidth = 0;     // image size the model works at (0 for models without images)
    int imageHeight = 0;
    std::shared_ptr<Denoiser> denoiser;
    std::shared_ptr<TextEncoder> textEncoder;
    std::shared_ptr<Codec> codec;
    // Set for kind "gaussian", where the CLI needs to draw (x, y) from the world.
    std::shared_ptr<GaussianDenoiser> gaussian;
    std::shared_ptr<GaussianTextEncoder> gaussianEncoder;
};

// The shipped default model: $INFOLENS_DEFAULT_MODEL, the source tree's resources (build tree),
// <exe>/../share/infolens/models/shapes-v2, then the install prefix. Throws when none exists.
std::string defaultModelDirectory();
std::vector<std::string> defaultModelCandidates();
// The bundled sample images and prompts (resources/samples), resolved like the default model,
// with $INFOLENS_SAMPLES first.
std::string defaultSampleDirectory();

// spec: "default" (the shipped ShapesWorld model), "gaussian" or "gaussian:dim=D,words=K,seed=N"
// for the built-in exact model, or the path of a bundle directory. Throws infolens::Error with a
// clear message for anything else.
std::shared_ptr<Model> loadModel(const std::string& spec);

std::shared_ptr<Model> makeGaussianModel(int dim, int words, std::uint64_t seed);

}  // namespace infolens
