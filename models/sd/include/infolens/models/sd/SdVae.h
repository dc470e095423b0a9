#pragma once

#include <torch/types.h>

#include <string>
#include <unordered_map>

#include "infolens/model/Placement.h"

namespace infolens {

class SdWeights;

// Stable Diffusion's KL autoencoder (LDM naming under `first_stage_model.`), structure read from
// the keys: levels, blocks per level, shortcuts and attention are taken as the checkpoint has
// them. GroupNorm(32, eps 1e-6); the encoder's downsampling pads (0, 1, 0, 1) then convolves with
// stride 2 and no padding; upsampling is nearest x2 then a 3x3 convolution.
class SdVae {
  public:
    // Reads the weights under `first_stage_model.` into `placement` (one copy).
    explicit SdVae(const SdWeights& weights, const Placement& placement = {});

    // Inputs on any device; outputs on the weights' device and dtype.
    // image [B, 3, H, W] in [-1, 1] -> moments [B, 2*z, H/f, W/f] (mean, then log-variance).
    [[nodiscard]] torch::Tensor moments(const torch::Tensor& image) const;
    // latent [B, z, h, w] (unscaled: the mean of the moments) -> image [B, 3, h*f, w*f] in ~[-1,
    // 1].
    [[nodiscard]] torch::Tensor decode(const torch::Tensor& latent) const;
    [[nodiscard]] int downsampling() const { return 1 << m_downsamples; }
    [[nodiscard]] int latentChannels() const { return m_latentChannels; }
    [[nodiscard]] int64_t parameterCount() const;

  private:
    const torch::Tensor& w(const std::string& name) const;
    [[nodiscard]] bool has(const std::string& name) const { return m_weights.count(name) != 0; }
    torch::Tensor conv(const torch::Tensor& x, const std::string& name, int stride = 1,
                       int padding = -1) const;
    torch::Tensor norm(const torch::Tensor& x, const std::string& name) const;
    torch::Tensor resnet(const torch::Tensor& x, const std::string& name) const;
    torch::Tensor attention(const torch::Tensor& x, const std::string& name) const;
    torch::Tensor level(const torch::Tensor& x, const std::string& name, int blocks) const;

    std::string m_path;
    Placement m_placement;
    std::unordered_map<std::string, torch::Tensor> m_weights;  // without the prefix
    int m_encoderLevels = 0, m_encoderBlocks = 0, m_decoderLevels = 0, m_decoderBlocks = 0;
    int m_downsamples = 0;
    int m_latentChannels = 0;
};

}  // namespace infolens
