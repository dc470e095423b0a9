#pragma once

#include <torch/types.h>

namespace infolens {

// softmax(q kᵀ / √d + mask) v for q [B, H, N, D], k and v [B, H, M, D]; mask (optional) is
// additive and broadcasts to [B, H, N, M]. On LibTorch 2.x this is the fused
// scaled_dot_product_attention (flash / memory-efficient kernels on CUDA); LibTorch 1.13 has none,
// so there it is the plain formula. Attention probabilities are not returned: code that reads them
// (the attention readout) computes them itself.
[[nodiscard]] torch::Tensor scaledDotProductAttention(const torch::Tensor& q,
                                                      const torch::Tensor& k,
                                                      const torch::Tensor& v,
                                                      const torch::Tensor& mask = {});

// True when scaledDotProductAttention uses LibTorch's fused kernel.
[[nodiscard]] bool fusedAttentionAvailable();

}  // namespace infolens
