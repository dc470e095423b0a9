#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "infolens/engine/AttentionMaps.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/io/ImageIO.h"

namespace infolens {
struct Model;
}

namespace infolens::cli {

// What `maps` computes for one image and prompt; shared by `maps` and `batch`.
struct MapsRequest {
    std::string image;   // image file, or for the Gaussian model .npy or "sample"
    std::string source;  // how values.json names the image ("" = image); batch keeps it relative
    std::string prompt;
    std::vector<std::string> words;  // words to decompose (case-insensitive); empty = every word
    EngineSettings settings;
    bool placeholder = false;  // replace each word with placeholderText instead of omitting it
    std::string placeholderText = "_";
    bool writeMaps = true;  // false: values.json only (no PNG or NPY)
    bool progress = false;  // draws done on stderr
    // Also each word's DAAM-style attention map (attention.npy [K, h, w], each map summing to 1,
    // and a PNG per word); refused for a model without attention readout.
    bool attention = false;
    AttentionSettings attentionSettings;
};

// Runs the engine and writes the per-word PNG and NPY maps and values.json into outDir (created
// if missing); returns values.json's content. Throws infolens::Error for a prompt the model cannot
// decompose, a requested word that is not in the prompt, or attention asked of a model without
// attention readout.
nlohmann::json computeAndWriteMaps(Model& model, InfoEngine& engine, const MapsRequest& request,
                                   const std::string& outDir);

// The human-readable summary `maps` prints (MI and each word in bits).
void printMapsSummary(const nlohmann::json& values, const std::string& outDir);

// The data tensor the denoiser works on for `image` (see MapsRequest::image) and a description of
// where it came from; baseImage is set for image models.
torch::Tensor loadMapsData(Model& model, const std::string& image, const std::string& source,
                           std::uint64_t seed, nlohmann::json& description, Image& baseImage);

// A map's values as float32 on the CPU, row-major (for NPY and the colormap).
std::vector<float> mapToFloats(const torch::Tensor& map);
// ASCII lower case: words are matched case-insensitively.
std::string lowerAscii(std::string text);

}  // namespace infolens::cli
