#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace infolens {

class CancelToken;
class Denoiser;
class TextEncoder;

// Averages per-layer cross-attention maps ([B, L, h_l, w_l] each, as AttentionCapture records
// them) over layers after bilinearly resizing each layer's map to height x width:
// [B, L, height, width] float32.
torch::Tensor averageAttentionLayers(const std::vector<torch::Tensor>& layers, int64_t height,
                                     int64_t width);

struct AttentionSettings {
    int passes = 8;  // single denoiser passes averaged
    double clip = 3.0;
    std::uint64_t seed = 0;
};

// DAAM-style attention of a prompt's tokens and words on one image: the mean over `passes` single
// denoiser passes on the image noised at log-SNRs from the engine's truncated logistic proposal
// (stratified, counter-based noise: the maps depend only on the seed, not on batching or device).
struct AttentionMaps {
    torch::Tensor tokens;      // [L, h, w]: every position of the condition (markers, padding)
    torch::Tensor words;       // [words, h, w]: a word's map is the sum over its tokens
    torch::Tensor wordsImage;  // [words, H, W]: `words` bilinearly upsampled to the image
    std::vector<double> logSnrs;
    int firstToken = 0;  // position of the prompt's first token in `tokens`
};

// x: the denoiser's data [C, h, w]. Throws infolens::Error when the denoiser has no attention
// readout, infolens::Cancelled when the token is cancelled (checked before every denoiser call).
// Image size 0 leaves wordsImage undefined.
AttentionMaps computeAttentionMaps(Denoiser& denoiser, TextEncoder& encoder, const torch::Tensor& x,
                                   const std::string& prompt, const AttentionSettings& settings,
                                   int imageHeight = 0, int imageWidth = 0,
                                   const CancelToken* cancel = nullptr);

}  // namespace infolens
