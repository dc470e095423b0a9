#include "infolens/model/Attention.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <cmath>

namespace infolens {

torch::Tensor scaledDotProductAttention(const torch::Tensor& q, const torch::Tensor& k,
                                        const torch::Tensor& v, const torch::Tensor& mask) {
#if TORCH_VERSION_MAJOR >= 2
    const c10::optional<torch::Tensor> attnMask =
        mask.defined() ? c10::optional<torch::Tensor>(mask.to(q.dtype())) : c10::nullopt;
    return at::scaled_dot_product_attention(q, k, v, attnMask, 0.0, false);
#else
    torch::Tensor scores =
        torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(q.size(-1))));
    if (mask.defined())
        scores = scores + mask.to(scores.dtype());
    return torch::matmul(torch::softmax(scores, -1), v);
#endif
}

bool fusedAttentionAvailable() {
    return TORCH_VERSION_MAJOR >= 2;
}

}  // namespace infolens
