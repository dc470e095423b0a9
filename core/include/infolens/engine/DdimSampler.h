#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "infolens/model/TextEncoder.h"

namespace infolens {

class Denoiser;
class CancelToken;

struct DdimSettings {
    int steps = 40;  // at most 50 by design; the log-SNR grid is linear over the trained range
    double guidance = 3.0;   // classifier-free guidance scale (1 = none)
    std::uint64_t seed = 0;  // starting noise for generation
    // Checked before every step; a cancelled run throws infolens::Cancelled.
    const CancelToken* cancel = nullptr;
};

// Deterministic DDIM (eta = 0) over a continuous log-SNR grid from the trained minimum to maximum.
// Generation starts from N(0, I) at the lowest log-SNR; inversion runs the same grid backwards
// from a clean latent to the noise that regenerates it.
class DdimSampler {
  public:
    DdimSampler(Denoiser& denoiser, const DdimSettings& settings);

    // Latent [C, H, W] for the prompt's encoding (null = the encoding of "").
    torch::Tensor generate(const TextEncoding& prompt, const TextEncoding& null) const;
    torch::Tensor generateFrom(const torch::Tensor& noise, const TextEncoding& prompt,
                               const TextEncoding& null) const;
    // The noise that DDIM maps back to `latent` under the prompt (no guidance, so the round trip is
    // the model's own ODE).
    torch::Tensor invert(const torch::Tensor& latent, const TextEncoding& prompt) const;
    std::vector<double> logSnrGrid() const;

  private:
    torch::Tensor eps(const torch::Tensor& z, double logSnr, const TextEncoding& prompt,
                      const TextEncoding* null, double guidance) const;
    Denoiser& m_denoiser;
    DdimSettings m_settings;
};

}  // namespace infolens
