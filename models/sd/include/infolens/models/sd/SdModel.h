#pragma once

#include <memory>
#include <string>

#include "infolens/model/Model.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/models/sd/SdSettings.h"
#include "infolens/models/sd/SdUNet.h"

namespace infolens {

// How to open a Stable Diffusion model. `settings` are the spec's own options (highest
// precedence, see SdSettings); unset items come from `configFile`, then the sidecar, then the
// source's configs, then the version's rules (SD 1: 8 UNet heads; SD 2: 64 channels per head;
// text heads width / 64; 512 px; eps prediction).
struct SdModelOptions {
    SdSettings settings;
    std::string configFile;  // `config=FILE` / --model-config; empty: none
    double scaleFactor = 0.18215;
    // UNet rows per call (see Denoiser::preferredBatchRows); 0 chooses by device: 4 on the CPU
    // (cache-sized), 32 on CUDA (an SD UNet at 64x64 latents in float16 takes ~0.3 GB per row of
    // activations; the engine halves the rows when the device runs out of memory).
    int batchRows = 0;
    // false: a log-SNR between two trained steps gets the fractional timestep interpolated in
    // log-SNR (default); true: the nearest trained step, the reference code's behaviour.
    bool nearestTimestep = false;
    Placement placement;  // device and dtype the weights are loaded to, as they are read
};

// Opens a Stable Diffusion 1.x/2.x model from
// - a single-file checkpoint in LDM naming (.safetensors; pickles are refused), with an optional
//   sidecar `<file>.infolens.json`; hash: SHA-256 of the file;
// - a diffusers folder (model_index.json), a Hugging Face cache repo folder (models--org--name)
//   or one of its snapshots, with an optional `infolens.json` inside; hash: SHA-256 over the
//   files read;
// - "sd1-random" / "sd2-random": full-size networks with seeded random weights (no file); hash:
//   SHA-256 of the generating parameters.
// Throws ModelError/FormatError naming the file and the problem.
std::shared_ptr<Model> openStableDiffusion(const std::string& source,
                                           const SdModelOptions& options = {});

// Specs: a path ending in .safetensors (or .ckpt/.pt, refused with the reason), a diffusers or
// Hugging Face cache folder, sd1-random, sd2-random, or "sd:SOURCE[,heads=N][,head-channels=N]
// [,text-heads=N][,image=PX][,prediction=eps|v][,config=FILE]".
void registerSdFamily(ModelRegistry& registry);

// The fractional DDPM timestep whose trained log-SNR is `logSnr` (linear interpolation on the
// schedule's table, clamped to [0, T-1]). Exposed for tests.
double timestepForLogSnr(const std::vector<double>& logSnrByStep, double logSnr);

}  // namespace infolens
