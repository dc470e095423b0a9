#pragma once

#include <memory>
#include <string>

#include "infolens/model/Model.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/models/sd/SdUNet.h"

namespace infolens {

// What a Stable Diffusion checkpoint cannot say about itself (SD-NOTES 2.1). The defaults are the
// released models': heads by version, 512 px, eps prediction, latent scale 0.18215.
struct SdModelOptions {
    SdHeads unetHeads;    // unset: SD 1 -> 8 heads, SD 2 -> 64 channels per head
    int textHeads = 0;    // 0: text width / 64
    int imageSize = 512;  // SD 2 768-v: 768
    PredictionType prediction = PredictionType::Eps;  // SD 2 768-v: V
    double scaleFactor = 0.18215;
    int batchRows = 4;  // UNet rows per call (memory), see Denoiser::preferredBatchRows
};

// Opens a single-file checkpoint in LDM naming (.safetensors; pickles are refused). The model's
// hash is the SHA-256 of the file. Throws ModelError/FormatError naming the file and the problem.
std::shared_ptr<Model> openStableDiffusion(const std::string& path,
                                           const SdModelOptions& options = {});

// Specs: a path ending in .safetensors (or .ckpt/.pt, refused with the reason), or
// "sd:PATH[,heads=N][,head-channels=N][,text-heads=N][,image=PX][,prediction=eps|v]".
void registerSdFamily(ModelRegistry& registry);

// The fractional DDPM timestep whose trained log-SNR is `logSnr` (linear interpolation on the
// schedule's table, clamped to [0, T-1]). Exposed for tests.
double timestepForLogSnr(const std::vector<double>& logSnrByStep, double logSnr);

}  // namespace infolens
