#pragma once

#include <torch/types.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "infolens/model/Denoiser.h"
#include "infolens/model/Placement.h"

namespace infolens {

class SdWeights;

// How the UNet's attention splits into heads: the checkpoint cannot say (SD-NOTES 2.1). SD 1.x
// uses 8 heads at every width; SD 2.x uses heads of 64 channels.
struct SdHeads {
    int count = -1;     // fixed number of heads (SD 1.x: 8), or -1
    int channels = -1;  // fixed channels per head (SD 2.x: 64), or -1
    [[nodiscard]] int headsFor(int width) const;
};

// Stable Diffusion's denoising UNet in LDM naming (`model.diffusion_model.`). The block sequence
// is read from the keys (ResBlocks, SpatialTransformers with conv or linear projections,
// down- and upsamplers), so SD 1.x and 2.x and other channel layouts run from one definition.
// The timestep may be fractional; it goes into the sinusoidal embedding as is (cos first).
class SdUNet : public AttentionCapture {
  public:
    // Reads the weights under `model.diffusion_model.` into `placement` (one copy).
    SdUNet(const SdWeights& weights, SdHeads heads, const Placement& placement = {});

    // x [B, C, h, w], t [B] (float timesteps in [0, 1000)), context [B, L, D], on any device ->
    // eps (or v) [B, C, h, w] on the weights' device and dtype.
    [[nodiscard]] torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t,
                                        const torch::Tensor& context) const;
    [[nodiscard]] int inChannels() const { return m_inChannels; }
    [[nodiscard]] int contextDim() const { return m_contextDim; }
    // Spatial sides must be multiples of this (one halving per downsampler).
    [[nodiscard]] int sideMultiple() const { return 1 << m_downsamples; }
    [[nodiscard]] const Placement& placement() const { return m_placement; }
    // Parameters held (for tests and reports).
    [[nodiscard]] int64_t parameterCount() const;
    // The cross-attention (attn2) probabilities of every SpatialTransformer block, recorded by
    // forward() while on; see AttentionCapture.
    void setCaptureAttention(bool on) override;
    std::vector<torch::Tensor> takeCapturedAttention() override;

  private:
    const torch::Tensor& w(const std::string& name) const;
    [[nodiscard]] bool has(const std::string& name) const { return m_weights.count(name) != 0; }
    torch::Tensor linear(const torch::Tensor& x, const std::string& name) const;
    torch::Tensor conv(const torch::Tensor& x, const std::string& name, int stride = 1) const;
    torch::Tensor groupNorm(const torch::Tensor& x, const std::string& name, double eps) const;
    torch::Tensor layerNorm(const torch::Tensor& x, const std::string& name) const;
    torch::Tensor resBlock(const torch::Tensor& x, const torch::Tensor& emb,
                           const std::string& name) const;
    // recordHeight/recordWidth > 0: the queries are that feature map's pixels and, while capture
    // is on, the probabilities are recorded.
    torch::Tensor attention(const torch::Tensor& x, const torch::Tensor& context,
                            const std::string& name, int64_t recordHeight = 0,
                            int64_t recordWidth = 0) const;
    torch::Tensor transformer(const torch::Tensor& x, const torch::Tensor& context,
                              const std::string& name) const;
    torch::Tensor block(torch::Tensor h, const torch::Tensor& emb, const torch::Tensor& context,
                        const std::string& name) const;

    std::string m_path;
    SdHeads m_heads;
    Placement m_placement;
    std::unordered_map<std::string, torch::Tensor> m_weights;  // without the prefix
    int m_modelChannels = 0, m_inChannels = 0, m_contextDim = 0;
    int m_inputBlocks = 0, m_outputBlocks = 0, m_downsamples = 0;
    // Attention capture: per attn2 layer (forward order), the recorded [b, L, h, w] of each call.
    bool m_capture = false;
    mutable std::vector<std::vector<torch::Tensor>> m_captured;
    mutable std::size_t m_captureLayer = 0;
};

}  // namespace infolens
