#include "infolens/models/sd/SdVae.h"

#include <torch/torch.h>

#include "infolens/Error.h"
#include "infolens/models/sd/SdWeights.h"

namespace infolens {

namespace {

constexpr const char* kPrefix = "first_stage_model.";
constexpr int kGroups = 32;
constexpr double kNormEps = 1e-6;

int count(const SdWeights& ck, const std::string& before, const std::string& after) {
    int n = 0;
    while (ck.has(kPrefix + before + std::to_string(n) + after))
        ++n;
    return n;
}

}  // namespace

SdVae::SdVae(const SdWeights& ck, const Placement& placement)
    : m_path(ck.path()), m_placement(placement) {
    for (const std::string& name : ck.namesWithPrefix(kPrefix))
        m_weights.emplace(name.substr(std::string(kPrefix).size()), ck.tensor(name, placement));
    if (m_weights.empty())
        throw ModelError("checkpoint '" + m_path + "' has no autoencoder (" + kPrefix + " keys)");
    m_encoderLevels = count(ck, "encoder.down.", ".block.0.norm1.weight");
    m_encoderBlocks = count(ck, "encoder.down.0.block.", ".norm1.weight");
    m_decoderLevels = count(ck, "decoder.up.", ".block.0.norm1.weight");
    m_decoderBlocks = count(ck, "decoder.up.0.block.", ".norm1.weight");
    for (int i = 0; i < m_encoderLevels; ++i)
        m_downsamples += has("encoder.down." + std::to_string(i) + ".downsample.conv.weight");
    if (m_encoderLevels < 1 || m_encoderBlocks < 1 || m_decoderLevels < 1 || m_decoderBlocks < 1)
        throw ModelError("checkpoint '" + m_path + "': the autoencoder's blocks are incomplete");
    m_latentChannels = static_cast<int>(w("post_quant_conv.weight").size(0));
}

int64_t SdVae::parameterCount() const {
    int64_t n = 0;
    for (const auto& entry : m_weights)
        n += entry.second.numel();
    return n;
}

const torch::Tensor& SdVae::w(const std::string& name) const {
    const auto it = m_weights.find(name);
    if (it == m_weights.end())
        throw ModelError("checkpoint '" + m_path + "' has no tensor '" + kPrefix + name + "'");
    return it->second;
}

torch::Tensor SdVae::conv(const torch::Tensor& x, const std::string& name, int stride,
                          int padding) const {
    const torch::Tensor& weight = w(name + ".weight");
    const int64_t pad = padding >= 0 ? padding : weight.size(-1) / 2;
    return torch::conv2d(x, weight, w(name + ".bias"), stride, pad);
}

torch::Tensor SdVae::norm(const torch::Tensor& x, const std::string& name) const {
    // In float32 whatever the run dtype (a no-op in float32).
    return torch::group_norm(x.to(torch::kFloat32), kGroups,
                             w(name + ".weight").to(torch::kFloat32),
                             w(name + ".bias").to(torch::kFloat32), kNormEps)
        .to(x.scalar_type());
}

torch::Tensor SdVae::resnet(const torch::Tensor& x, const std::string& name) const {
    torch::Tensor h = conv(torch::silu(norm(x, name + ".norm1")), name + ".conv1");
    h = conv(torch::silu(norm(h, name + ".norm2")), name + ".conv2");
    const torch::Tensor skip =
        has(name + ".nin_shortcut.weight") ? conv(x, name + ".nin_shortcut") : x;
    return skip + h;
}

// Single-head self-attention over positions with 1x1-convolution projections, scale c^-1/2.
torch::Tensor SdVae::attention(const torch::Tensor& x, const std::string& name) const {
    const torch::Tensor h = norm(x, name + ".norm");
    const int64_t b = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3);
    const torch::Tensor q = conv(h, name + ".q").reshape({b, c, hw}).transpose(1, 2);  // [b,hw,c]
    const torch::Tensor k = conv(h, name + ".k").reshape({b, c, hw});                  // [b,c,hw]
    const torch::Tensor v = conv(h, name + ".v").reshape({b, c, hw});
    const torch::Tensor weights =
        torch::softmax(torch::bmm(q, k) * (1.0 / std::sqrt(static_cast<double>(c))), 2);
    const torch::Tensor out = torch::bmm(v, weights.transpose(1, 2)).reshape(x.sizes());
    return x + conv(out, name + ".proj_out");
}

torch::Tensor SdVae::level(const torch::Tensor& xIn, const std::string& name, int blocks) const {
    torch::Tensor x = xIn;
    for (int j = 0; j < blocks; ++j) {
        x = resnet(x, name + ".block." + std::to_string(j));
        const std::string attn = name + ".attn." + std::to_string(j);
        if (has(attn + ".q.weight"))
            x = attention(x, attn);
    }
    return x;
}

torch::Tensor SdVae::moments(const torch::Tensor& image) const {
    if (image.dim() != 4 || image.size(1) != 3)
        throw Error("the autoencoder takes images [batch, 3, H, W]");
    if (image.size(2) % downsampling() != 0 || image.size(3) % downsampling() != 0)
        throw Error("image sides must be multiples of " + std::to_string(downsampling()));
    const auto options = torch::TensorOptions().device(m_placement.device).dtype(m_placement.dtype);
    torch::Tensor x = conv(image.to(options), "encoder.conv_in");
    for (int i = 0; i < m_encoderLevels; ++i) {
        const std::string name = "encoder.down." + std::to_string(i);
        x = level(x, name, m_encoderBlocks);
        if (has(name + ".downsample.conv.weight")) {
            // Asymmetric padding, as the original: right and bottom only.
            x = conv(torch::constant_pad_nd(x, {0, 1, 0, 1}), name + ".downsample.conv", 2, 0);
        }
    }
    x = resnet(x, "encoder.mid.block_1");
    x = attention(x, "encoder.mid.attn_1");
    x = resnet(x, "encoder.mid.block_2");
    x = conv(torch::silu(norm(x, "encoder.norm_out")), "encoder.conv_out");
    return conv(x, "quant_conv");
}

torch::Tensor SdVae::decode(const torch::Tensor& latent) const {
    if (latent.dim() != 4 || latent.size(1) != m_latentChannels)
        throw Error("the autoencoder decodes latents [batch, " + std::to_string(m_latentChannels) +
                    ", h, w]");
    const auto options = torch::TensorOptions().device(m_placement.device).dtype(m_placement.dtype);
    torch::Tensor x = conv(conv(latent.to(options), "post_quant_conv"), "decoder.conv_in");
    x = resnet(x, "decoder.mid.block_1");
    x = attention(x, "decoder.mid.attn_1");
    x = resnet(x, "decoder.mid.block_2");
    for (int i = m_decoderLevels - 1; i >= 0; --i) {
        const std::string name = "decoder.up." + std::to_string(i);
        x = level(x, name, m_decoderBlocks);
        if (has(name + ".upsample.conv.weight")) {
            x = torch::upsample_nearest2d(x, std::vector<int64_t>{x.size(2) * 2, x.size(3) * 2});
            x = conv(x, name + ".upsample.conv");
        }
    }
    return conv(torch::silu(norm(x, "decoder.norm_out")), "decoder.conv_out");
}

}  // namespace infolens
