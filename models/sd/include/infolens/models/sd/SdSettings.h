#pragma once

#include <optional>
#include <string>

#include "infolens/model/Denoiser.h"
#include "infolens/models/sd/SdUNet.h"

namespace infolens {

// What a Stable Diffusion checkpoint cannot say about itself, each item optional. Several layers
// are merged, the first that sets an item wins: spec options > config file (`config=FILE`,
// `--model-config`) > sidecar (`<checkpoint>.infolens.json`, `infolens.json` in a diffusers
// folder) > what the source's own configs say (diffusers) > the version's rules.
struct SdSettings {
    std::optional<SdHeads> unetHeads;
    std::optional<int> textHeads;
    std::optional<int> imageSize;
    std::optional<PredictionType> prediction;

    // Fills what this layer leaves unset from `lower`.
    void fillFrom(const SdSettings& lower);
};

// A settings file: a JSON object with the keys heads, head_channels (not both), text_heads,
// image_size and prediction ("eps" or "v"). Throws ModelError naming the file for an unreadable
// file, bad JSON, an unknown key or a value out of range.
[[nodiscard]] SdSettings readSdSettingsFile(const std::string& path);

}  // namespace infolens
