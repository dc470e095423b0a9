#pragma once

#include <torch/nn.h>

#include <nlohmann/json_fwd.hpp>

#include "infolens/model/Denoiser.h"

namespace infolens {

// Architecture of the miniature latent diffusion model (a small Stable Diffusion): an
// autoencoder to latents, a word-level transformer text encoder, and a UNet eps-denoiser with
// cross-attention to the text at every resolution and continuous log-SNR input.
struct ShapesModelConfig {
    int imageSize = 64;
    int latentChannels = 4;
    int downsample = 4;  // image side / latent side (two stride-2 stages)
    int aeChannels = 64;
    int vocabularySize = 64;
    int maxTokens = 24;  // including [BOS]
    int textDim = 64;
    int textLayers = 2;
    int textHeads = 4;
    int unetChannels = 64;
    int attentionHeads = 4;
    // 1: one residual block per level, cross-attention only (shapes-v1). 2: a second residual
    // block at the latent resolution and self-attention at the two coarser levels, so distant
    // objects can see each other (relations, which colour goes with which shape).
    int unetLayout = 1;
    double logSnrLo = -7.0;  // trained range
    double logSnrHi = 9.0;
    double latentScale = 1.0;  // multiplies encoder output so latents have unit variance

    int latentSize() const { return imageSize / downsample; }
};

nlohmann::json toJson(const ShapesModelConfig& config);
ShapesModelConfig shapesModelConfigFromJson(const nlohmann::json& json);
// Every number in range and consistent (heads divide widths, positive scale); throws ModelError.
void validateShapesConfig(const ShapesModelConfig& config);

struct ResidualConvImpl : torch::nn::Module {
    explicit ResidualConvImpl(int channels);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
};
TORCH_MODULE(ResidualConv);

struct AutoencoderImpl : torch::nn::Module {
    explicit AutoencoderImpl(const ShapesModelConfig& config);
    // images in [-1, 1], [B, 3, S, S] -> unscaled latents [B, C, S/4, S/4]
    torch::Tensor encode(const torch::Tensor& images);
    torch::Tensor decode(const torch::Tensor& latents);
    torch::nn::Sequential encoder{nullptr}, decoder{nullptr};
};
TORCH_MODULE(Autoencoder);

struct TransformerLayerImpl : torch::nn::Module {
    TransformerLayerImpl(int dim, int heads);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keyMask);
    int heads;
    torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
    torch::nn::Linear qkv{nullptr}, proj{nullptr}, fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(TransformerLayer);

struct TextTransformerImpl : torch::nn::Module {
    explicit TextTransformerImpl(const ShapesModelConfig& config);
    // ids [B, L] (int64), mask [B, L] (1 = token) -> [B, L, D]
    torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask);
    torch::nn::Embedding tokens{nullptr}, positions{nullptr};
    torch::nn::ModuleList layers;
    torch::nn::LayerNorm norm{nullptr};
};
TORCH_MODULE(TextTransformer);

struct TimeResBlockImpl : torch::nn::Module {
    TimeResBlockImpl(int in, int out, int timeDim);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& time);
    torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, skip{nullptr};
    torch::nn::Linear timeProj{nullptr};
};
TORCH_MODULE(TimeResBlock);

struct CrossAttentionImpl : torch::nn::Module {
    CrossAttentionImpl(int channels, int textDim, int heads);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& text,
                          const torch::Tensor& textMask);
    int heads;
    torch::nn::GroupNorm norm{nullptr};
    torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, out{nullptr};
    bool capture = false;
    // While capture is on: each forward()'s probabilities averaged over heads, [B, L, H, W].
    std::vector<torch::Tensor> captured;
};
TORCH_MODULE(CrossAttention);

// Spatial self-attention over the positions of a feature map, with a residual connection.
struct SelfAttentionImpl : torch::nn::Module {
    SelfAttentionImpl(int channels, int heads);
    torch::Tensor forward(const torch::Tensor& x);
    int heads;
    torch::nn::GroupNorm norm{nullptr};
    torch::nn::Linear qkv{nullptr}, out{nullptr};
};
TORCH_MODULE(SelfAttention);

struct ShapesUNetImpl : torch::nn::Module, AttentionCapture {
    explicit ShapesUNetImpl(const ShapesModelConfig& config);
    // z [B, C, h, w], logSnr [B], text [B, L, D], textMask [B, L] -> eps [B, C, h, w]
    torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& logSnr,
                          const torch::Tensor& text, const torch::Tensor& textMask);
    // Cross-attention readout of the five cross-attention layers (see AttentionCapture).
    void setCaptureAttention(bool on) override;
    std::vector<torch::Tensor> takeCapturedAttention() override;

    ShapesModelConfig config;
    torch::nn::Linear time1{nullptr}, time2{nullptr};
    torch::nn::Conv2d input{nullptr}, down1{nullptr}, down2{nullptr}, up1{nullptr}, up2{nullptr},
        output{nullptr};
    TimeResBlock res16a{nullptr}, res8a{nullptr}, mid1{nullptr}, mid2{nullptr}, res8b{nullptr},
        res16b{nullptr};
    CrossAttention att16a{nullptr}, att8a{nullptr}, attMid{nullptr}, att8b{nullptr},
        att16b{nullptr};
    // Layout 2 only.
    TimeResBlock res16a2{nullptr}, res16b2{nullptr};
    SelfAttention self8a{nullptr}, selfMid{nullptr}, self8b{nullptr};
    torch::nn::GroupNorm outNorm{nullptr};
};
TORCH_MODULE(ShapesUNet);

}  // namespace infolens
