#pragma once

#include <memory>
#include <string>

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
    std::string hash;  // sha256 of the manifest, or of the generating parameters
    std::shared_ptr<Denoiser> denoiser;
    std::shared_ptr<TextEncoder> textEncoder;
    std::shared_ptr<Codec> codec;
    // Set for kind "gaussian", where the CLI needs to draw (x, y) from the world.
    std::shared_ptr<GaussianDenoiser> gaussian;
    std::shared_ptr<GaussianTextEncoder> gaussianEncoder;
};

// spec: "gaussian" or "gaussian:dim=D,words=K,seed=N" for the built-in exact model, or the path of
// a bundle directory. Throws infolens::Error with a clear message for anything else.
std::shared_ptr<Model> loadModel(const std::string& spec);

std::shared_ptr<Model> makeGaussianModel(int dim, int words, std::uint64_t seed);

}  // namespace infolens
