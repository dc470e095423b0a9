#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

namespace infolens {

class SdCheckpoint;

// The two text encoders of Stable Diffusion, one transformer with two naming schemes and output
// rules (../shared/SD-NOTES.md 2.2, 2.5):
// - Sd1: OpenAI CLIP ViT-L/14 in Hugging Face naming under
//   `cond_stage_model.transformer.text_model.`, QuickGELU, every layer then final_layer_norm.
// - Sd2: OpenCLIP ViT-H/14 under `cond_stage_model.model.`, erf GELU, q/k/v packed in
//   in_proj_weight, every layer but the last ("penultimate") then ln_final.
// A causal mask and learned positions; no padding mask (SD passes none).
enum class ClipTextKind { Sd1, Sd2 };

struct ClipTextConfig {
    ClipTextKind kind = ClipTextKind::Sd1;
    int width = 768;
    int heads = 12;
    int layers = 12;  // stored layers (Sd2 runs layers - 1)
    int vocabulary = 49408;
    int context = 77;
};

class ClipTextEncoder {
  public:
    // Reads every weight (shapes checked against the config) in float32 on the CPU; `heads` cannot
    // be read from the shapes and comes from the config. Throws ModelError naming what is missing.
    ClipTextEncoder(const SdCheckpoint& checkpoint, const ClipTextConfig& config);

    // The config a checkpoint implies: kind from its key names, width, layers and vocabulary from
    // shapes, heads = width / 64 (both released models) unless `heads` > 0 overrides it.
    static ClipTextConfig detect(const SdCheckpoint& checkpoint, int heads = 0);

    // ids [B, context] int64 -> conditioning [B, context, width], as SD feeds cross-attention.
    [[nodiscard]] torch::Tensor forward(const torch::Tensor& ids) const;
    [[nodiscard]] const ClipTextConfig& config() const { return m_config; }

  private:
    struct Layer {
        torch::Tensor ln1Weight, ln1Bias, ln2Weight, ln2Bias;
        torch::Tensor qkvWeight, qkvBias;  // [3W, W], [3W]: q, k, v rows
        torch::Tensor outWeight, outBias;
        torch::Tensor fc1Weight, fc1Bias, fc2Weight, fc2Bias;
    };
    ClipTextConfig m_config;
    torch::Tensor m_tokenEmbedding;     // [V, W]
    torch::Tensor m_positionEmbedding;  // [context, W]
    std::vector<Layer> m_layers;
    torch::Tensor m_finalWeight, m_finalBias;
};

}  // namespace infolens
