#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "infolens/model/Placement.h"

namespace infolens {

class SdWeights;

// The two text encoders of Stable Diffusion, one transformer with two naming schemes and output
// rules (../shared/SD-NOTES.md 2.2, 2.5):
// - Sd1: OpenAI CLIP ViT-L/14 in Hugging Face naming under
//   `cond_stage_model.transformer.text_model.`, QuickGELU, every layer then final_layer_norm.
// - Sd2: OpenCLIP ViT-H/14 under `cond_stage_model.model.`, erf GELU, q/k/v packed in
//   in_proj_weight, every layer but the last ("penultimate") then ln_final.
// A diffusers SD 2 text encoder is the OpenCLIP one converted to HF naming with its last layer
// dropped: HF naming, erf GELU, every stored layer then the final norm (SD-NOTES 2.6).
// A causal mask and learned positions; no padding mask (SD passes none).
enum class ClipTextKind { Sd1, Sd2 };
enum class ClipNaming { HfClip, OpenClip };

struct ClipTextConfig {
    ClipTextKind kind = ClipTextKind::Sd1;  // the SD version: pad id and UNet head rule
    ClipNaming naming = ClipNaming::HfClip;
    bool quickGelu = true;     // SD 1 (OpenAI CLIP); SD 2 uses erf GELU
    bool penultimate = false;  // run all stored layers but the last (SD 2 in LDM naming)
    int width = 768;
    int heads = 12;
    int layers = 12;  // stored layers
    int vocabulary = 49408;
    int context = 77;
    [[nodiscard]] int layersRun() const { return penultimate ? layers - 1 : layers; }
};

class ClipTextEncoder {
  public:
    // Reads every weight it runs (shapes checked against the config) into `placement`; `heads`
    // cannot be read from the shapes and comes from the config. Throws ModelError naming what is
    // missing.
    ClipTextEncoder(const SdWeights& weights, const ClipTextConfig& config,
                    const Placement& placement = {});

    // The config a checkpoint implies: naming from its key names (HF: SD 1 rules; OpenCLIP: SD 2
    // rules), width, layers and vocabulary from shapes, heads = width / 64 (both released models)
    // unless `heads` > 0 overrides it.
    static ClipTextConfig detect(const SdWeights& weights, int heads = 0);

    // ids [B, context] int64 (any device) -> conditioning [B, context, width] on the weights'
    // device and dtype, as SD feeds cross-attention.
    [[nodiscard]] torch::Tensor forward(const torch::Tensor& ids) const;
    [[nodiscard]] const ClipTextConfig& config() const { return m_config; }
    // Parameters held (the layers run, not a skipped last one).
    [[nodiscard]] int64_t parameterCount() const;

  private:
    struct Layer {
        torch::Tensor ln1Weight, ln1Bias, ln2Weight, ln2Bias;
        torch::Tensor qkvWeight, qkvBias;  // [3W, W], [3W]: q, k, v rows
        torch::Tensor outWeight, outBias;
        torch::Tensor fc1Weight, fc1Bias, fc2Weight, fc2Bias;
    };
    ClipTextConfig m_config;
    Placement m_placement;
    torch::Tensor m_tokenEmbedding;     // [V, W]
    torch::Tensor m_positionEmbedding;  // [context, W]
    std::vector<Layer> m_layers;
    torch::Tensor m_finalWeight, m_finalBias;
};

}  // namespace infolens
