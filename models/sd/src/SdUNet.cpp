#include "infolens/models/sd/SdUNet.h"

#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "infolens/Error.h"
#include "infolens/model/Attention.h"
#include "infolens/models/sd/SdWeights.h"

namespace infolens {

namespace {

constexpr const char* kPrefix = "model.diffusion_model.";
constexpr int kGroups = 32;
constexpr double kResNormEps = 1e-5;          // GroupNorm32 in ResBlocks and the output
constexpr double kTransformerNormEps = 1e-6;  // the SpatialTransformer's input norm
constexpr double kLayerNormEps = 1e-5;
constexpr double kMaxPeriod = 10000.0;

// The sinusoidal embedding of (possibly fractional) timesteps: [cos(t f), sin(t f)].
torch::Tensor timestepEmbedding(const torch::Tensor& t, int64_t dim) {
    const int64_t half = dim / 2;
    const torch::Tensor freqs = torch::exp(
        -std::log(kMaxPeriod) *
        torch::arange(half, torch::TensorOptions().dtype(torch::kFloat32).device(t.device())) /
        half);
    const torch::Tensor args = t.to(torch::kFloat32).unsqueeze(1) * freqs.unsqueeze(0);
    torch::Tensor emb = torch::cat({torch::cos(args), torch::sin(args)}, 1);
    if (dim % 2)
        emb = torch::cat({emb, torch::zeros_like(emb.narrow(1, 0, 1))}, 1);
    return emb;
}

}  // namespace

int SdHeads::headsFor(int width) const {
    if (count > 0)
        return count;
    if (channels > 0)
        return width / channels;
    return -1;
}

SdUNet::SdUNet(const SdWeights& ck, SdHeads heads, const Placement& placement)
    : m_path(ck.path()), m_heads(heads), m_placement(placement) {
    for (const std::string& name : ck.namesWithPrefix(kPrefix))
        m_weights.emplace(name.substr(std::string(kPrefix).size()), ck.tensor(name, placement));
    if (!has("input_blocks.0.0.weight") || !has("time_embed.0.weight") || !has("out.2.weight"))
        throw ModelError("checkpoint '" + m_path + "' has no UNet (" + kPrefix + " keys)");
    m_modelChannels = static_cast<int>(w("input_blocks.0.0.weight").size(0));
    m_inChannels = static_cast<int>(w("input_blocks.0.0.weight").size(1));
    while (has("input_blocks." + std::to_string(m_inputBlocks) + ".0.weight") ||
           has("input_blocks." + std::to_string(m_inputBlocks) + ".0.in_layers.0.weight") ||
           has("input_blocks." + std::to_string(m_inputBlocks) + ".0.op.weight"))
        ++m_inputBlocks;
    while (has("output_blocks." + std::to_string(m_outputBlocks) + ".0.in_layers.0.weight"))
        ++m_outputBlocks;
    for (int i = 0; i < m_inputBlocks; ++i)
        m_downsamples += has("input_blocks." + std::to_string(i) + ".0.op.weight");
    if (m_outputBlocks != m_inputBlocks)
        throw ModelError("checkpoint '" + m_path + "': the UNet has " +
                         std::to_string(m_inputBlocks) + " input blocks but " +
                         std::to_string(m_outputBlocks) + " output blocks");
    // Every attention width must split into heads.
    for (const auto& [name, tensor] : m_weights) {
        const std::string suffix = ".attn1.to_q.weight";
        if (name.size() > suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            const int width = static_cast<int>(tensor.size(0));
            const int n = m_heads.headsFor(width);
            if (n < 1 || width % n != 0)
                throw ModelError("checkpoint '" + m_path + "': attention width " +
                                 std::to_string(width) + " does not split into heads as set");
        }
        const std::string contextSuffix = ".attn2.to_k.weight";
        if (name.size() > contextSuffix.size() &&
            name.compare(name.size() - contextSuffix.size(), contextSuffix.size(), contextSuffix) ==
                0)
            m_contextDim = static_cast<int>(tensor.size(1));
    }
}

int64_t SdUNet::parameterCount() const {
    int64_t n = 0;
    for (const auto& entry : m_weights)
        n += entry.second.numel();
    return n;
}

const torch::Tensor& SdUNet::w(const std::string& name) const {
    const auto it = m_weights.find(name);
    if (it == m_weights.end())
        throw ModelError("checkpoint '" + m_path + "' has no tensor '" + kPrefix + name + "'");
    return it->second;
}

torch::Tensor SdUNet::linear(const torch::Tensor& x, const std::string& name) const {
    torch::Tensor y = torch::matmul(x, w(name + ".weight").t());
    return has(name + ".bias") ? y + w(name + ".bias") : y;
}

torch::Tensor SdUNet::conv(const torch::Tensor& x, const std::string& name, int stride) const {
    const torch::Tensor& weight = w(name + ".weight");
    return torch::conv2d(x, weight, w(name + ".bias"), stride, weight.size(-1) / 2);
}

torch::Tensor SdUNet::groupNorm(const torch::Tensor& x, const std::string& name, double eps) const {
    // In float32 whatever the run dtype, as the original's GroupNorm32 (a no-op in float32).
    return torch::group_norm(x.to(torch::kFloat32), kGroups,
                             w(name + ".weight").to(torch::kFloat32),
                             w(name + ".bias").to(torch::kFloat32), eps)
        .to(x.scalar_type());
}

torch::Tensor SdUNet::layerNorm(const torch::Tensor& x, const std::string& name) const {
    return torch::layer_norm(x, {x.size(-1)}, w(name + ".weight"), w(name + ".bias"),
                             kLayerNormEps);
}

torch::Tensor SdUNet::resBlock(const torch::Tensor& x, const torch::Tensor& emb,
                               const std::string& name) const {
    torch::Tensor h =
        conv(torch::silu(groupNorm(x, name + ".in_layers.0", kResNormEps)), name + ".in_layers.2");
    h = h + linear(torch::silu(emb), name + ".emb_layers.1").unsqueeze(-1).unsqueeze(-1);
    h = conv(torch::silu(groupNorm(h, name + ".out_layers.0", kResNormEps)),
             name + ".out_layers.3");
    const torch::Tensor skip =
        has(name + ".skip_connection.weight") ? conv(x, name + ".skip_connection") : x;
    return skip + h;
}

torch::Tensor SdUNet::attention(const torch::Tensor& x, const torch::Tensor& context,
                                const std::string& name, int64_t recordHeight,
                                int64_t recordWidth) const {
    const torch::Tensor q = linear(x, name + ".to_q");
    const torch::Tensor k = linear(context, name + ".to_k");
    const torch::Tensor v = linear(context, name + ".to_v");
    const int64_t b = x.size(0), n = x.size(1), m = context.size(1), width = q.size(2);
    const int64_t heads = m_heads.headsFor(static_cast<int>(width)), dim = width / heads;
    auto split = [&](const torch::Tensor& t, int64_t len) {
        return t.view({b, len, heads, dim}).transpose(1, 2);  // [b, heads, len, dim]
    };
    if (!m_capture || recordHeight <= 0) {
        // Fused kernels on LibTorch 2.x (no [n, m] score matrix per head on CUDA); the same
        // formula as below on 1.13.
        const torch::Tensor out = scaledDotProductAttention(split(q, n), split(k, m), split(v, m))
                                      .transpose(1, 2)
                                      .reshape({b, n, width});
        return linear(out, name + ".to_out.0");
    }
    // The readout needs the probabilities themselves.
    const torch::Tensor weights =
        torch::softmax(torch::matmul(split(q, n), split(k, m).transpose(-2, -1)) *
                           (1.0 / std::sqrt(static_cast<double>(dim))),
                       -1);
    // Averaged over heads at once: all heads of all layers would not fit at 64x64 latents.
    const torch::Tensor maps =
        weights.mean(1).transpose(1, 2).reshape({b, m, recordHeight, recordWidth});
    if (m_captured.size() <= m_captureLayer)
        m_captured.resize(m_captureLayer + 1);
    m_captured[m_captureLayer++].push_back(maps.to(torch::kCPU, torch::kFloat32));
    const torch::Tensor out =
        torch::matmul(weights, split(v, m)).transpose(1, 2).reshape({b, n, width});
    return linear(out, name + ".to_out.0");
}

torch::Tensor SdUNet::transformer(const torch::Tensor& xIn, const torch::Tensor& context,
                                  const std::string& name) const {
    const int64_t b = xIn.size(0), c = xIn.size(1), hgt = xIn.size(2), wid = xIn.size(3);
    const bool convProjection = w(name + ".proj_in.weight").dim() == 4;  // SD 1 conv, SD 2 linear
    torch::Tensor x = groupNorm(xIn, name + ".norm", kTransformerNormEps);
    auto toTokens = [&](const torch::Tensor& t) {
        return t.permute({0, 2, 3, 1}).reshape({b, hgt * wid, t.size(1)});
    };
    if (convProjection) {
        x = toTokens(conv(x, name + ".proj_in"));
    } else {
        x = linear(toTokens(x), name + ".proj_in");
    }
    for (int i = 0; has(name + ".transformer_blocks." + std::to_string(i) + ".norm1.weight"); ++i) {
        const std::string blk = name + ".transformer_blocks." + std::to_string(i);
        torch::Tensor h = layerNorm(x, blk + ".norm1");
        x = x + attention(h, h, blk + ".attn1");
        x = x + attention(layerNorm(x, blk + ".norm2"), context, blk + ".attn2", hgt, wid);
        const std::vector<torch::Tensor> parts =
            linear(layerNorm(x, blk + ".norm3"), blk + ".ff.net.0.proj").chunk(2, -1);
        x = x + linear(parts[0] * torch::gelu(parts[1]), blk + ".ff.net.2");  // GEGLU, erf GELU
    }
    torch::Tensor out;
    if (convProjection) {
        out = conv(x.reshape({b, hgt, wid, x.size(2)}).permute({0, 3, 1, 2}), name + ".proj_out");
    } else {
        out = linear(x, name + ".proj_out").reshape({b, hgt, wid, c}).permute({0, 3, 1, 2});
    }
    return out + xIn;
}

// One TimestepEmbedSequential: its modules by index, each recognised by its keys.
torch::Tensor SdUNet::block(torch::Tensor h, const torch::Tensor& emb, const torch::Tensor& context,
                            const std::string& name) const {
    for (int j = 0;; ++j) {
        const std::string m = name + "." + std::to_string(j);
        if (has(m + ".in_layers.0.weight")) {
            h = resBlock(h, emb, m);
        } else if (has(m + ".proj_in.weight")) {
            h = transformer(h, context, m);
        } else if (has(m + ".op.weight")) {
            h = conv(h, m + ".op", 2);
        } else if (has(m + ".conv.weight")) {
            h = torch::upsample_nearest2d(h, std::vector<int64_t>{h.size(2) * 2, h.size(3) * 2});
            h = conv(h, m + ".conv");
        } else if (has(m + ".weight")) {
            h = conv(h, m);
        } else {
            return h;
        }
    }
}

torch::Tensor SdUNet::forward(const torch::Tensor& x, const torch::Tensor& t,
                              const torch::Tensor& context) const {
    m_captureLayer = 0;  // attention capture: layers are counted per call
    if (x.dim() != 4 || x.size(1) != m_inChannels)
        throw Error("the UNet takes latents [batch, " + std::to_string(m_inChannels) + ", h, w]");
    if (x.size(2) % sideMultiple() != 0 || x.size(3) % sideMultiple() != 0)
        throw Error("latent sides must be multiples of " + std::to_string(sideMultiple()));
    if (t.dim() != 1 || t.size(0) != x.size(0) || context.dim() != 3 ||
        context.size(0) != x.size(0) || context.size(2) != m_contextDim)
        throw Error("the UNet takes t [batch] and context [batch, tokens, " +
                    std::to_string(m_contextDim) + "]");
    const auto options = torch::TensorOptions().device(m_placement.device).dtype(m_placement.dtype);
    const torch::Tensor ctx = context.to(options);
    // The embedding in float32 (fractional t), then the run dtype.
    const torch::Tensor emb = linear(
        torch::silu(linear(timestepEmbedding(t.to(m_placement.device), m_modelChannels).to(options),
                           "time_embed.0")),
        "time_embed.2");
    std::vector<torch::Tensor> skips;
    torch::Tensor h = x.to(options);
    for (int i = 0; i < m_inputBlocks; ++i) {
        h = block(h, emb, ctx, "input_blocks." + std::to_string(i));
        skips.push_back(h);
    }
    h = block(h, emb, ctx, "middle_block");
    for (int i = 0; i < m_outputBlocks; ++i) {
        h = torch::cat({h, skips.back()}, 1);
        skips.pop_back();
        h = block(h, emb, ctx, "output_blocks." + std::to_string(i));
    }
    return conv(torch::silu(groupNorm(h, "out.0", kResNormEps)), "out.2");
}

void SdUNet::setCaptureAttention(bool on) {
    m_capture = on;
    m_captured.clear();
    m_captureLayer = 0;
}

std::vector<torch::Tensor> SdUNet::takeCapturedAttention() {
    std::vector<torch::Tensor> out;
    for (const std::vector<torch::Tensor>& calls : m_captured)
        out.push_back(torch::cat(calls, 0));
    m_captured.clear();
    m_captureLayer = 0;
    return out;
}

}  // namespace infolens
