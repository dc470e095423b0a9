#include "infolens/models/sd/ClipTextEncoder.h"

#include <torch/torch.h>

#include "infolens/Error.h"
#include "infolens/model/Attention.h"
#include "infolens/models/sd/SdWeights.h"

namespace infolens {

namespace {

constexpr const char* kSd1Prefix = "cond_stage_model.transformer.text_model.";
constexpr const char* kSd2Prefix = "cond_stage_model.model.";
constexpr double kLayerNormEps = 1e-5;

torch::Tensor layerNorm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
    return torch::layer_norm(x, {x.size(-1)}, w, b, kLayerNormEps);
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
    return torch::matmul(x, w.t()) + b;
}

int countLayers(const SdWeights& checkpoint, const std::string& prefix) {
    int layers = 0;
    while (checkpoint.has(
        prefix + std::to_string(layers) +
        (prefix.find("resblocks") != std::string::npos ? ".ln_1.weight" : ".layer_norm1.weight")))
        ++layers;
    return layers;
}

}  // namespace

ClipTextConfig ClipTextEncoder::detect(const SdWeights& checkpoint, int heads) {
    ClipTextConfig c;
    std::string table;
    if (checkpoint.has(std::string(kSd1Prefix) + "embeddings.token_embedding.weight")) {
        c.kind = ClipTextKind::Sd1;
        c.naming = ClipNaming::HfClip;
        c.quickGelu = true;
        c.penultimate = false;
        table = std::string(kSd1Prefix) + "embeddings.token_embedding.weight";
        c.layers = countLayers(checkpoint, std::string(kSd1Prefix) + "encoder.layers.");
    } else if (checkpoint.has(std::string(kSd2Prefix) + "token_embedding.weight")) {
        c.kind = ClipTextKind::Sd2;
        c.naming = ClipNaming::OpenClip;
        c.quickGelu = false;
        c.penultimate = true;
        table = std::string(kSd2Prefix) + "token_embedding.weight";
        c.layers = countLayers(checkpoint, std::string(kSd2Prefix) + "transformer.resblocks.");
    } else {
        throw ModelError("checkpoint '" + checkpoint.path() +
                         "' has no Stable Diffusion text encoder (neither " + kSd1Prefix + " nor " +
                         kSd2Prefix + " keys)");
    }
    const std::vector<int64_t> embedding = checkpoint.shape(table);
    if (embedding.size() != 2)
        throw ModelError("checkpoint '" + checkpoint.path() + "': '" + table + "' is not a matrix");
    c.vocabulary = static_cast<int>(embedding[0]);
    c.width = static_cast<int>(embedding[1]);
    c.heads = heads > 0 ? heads : c.width / 64;
    if (c.heads < 1 || c.width % c.heads != 0)
        throw ModelError("checkpoint '" + checkpoint.path() + "': a text width of " +
                         std::to_string(c.width) + " does not split into " +
                         std::to_string(c.heads) + " heads");
    if (c.layersRun() < 1)
        throw ModelError("checkpoint '" + checkpoint.path() + "': the text encoder has no layers");
    return c;
}

ClipTextEncoder::ClipTextEncoder(const SdWeights& ck, const ClipTextConfig& config,
                                 const Placement& placement)
    : m_config(config), m_placement(placement) {
    const int64_t w = config.width, mlp = 4 * config.width;
    if (config.heads < 1 || w % config.heads != 0)
        throw ModelError("text encoder: width must split into heads");
    if (config.layersRun() < 1 || config.layersRun() > config.layers)
        throw ModelError("text encoder: no layers to run");
    auto get = [&](const std::string& name, std::vector<int64_t> shape) {
        return ck.tensor(name, placement, shape);
    };
    if (config.naming == ClipNaming::HfClip) {
        const std::string p = kSd1Prefix;
        m_tokenEmbedding = get(p + "embeddings.token_embedding.weight", {config.vocabulary, w});
        // position_ids is ignored on purpose: positions are 0..76 (some merged files store it
        // broken).
        m_positionEmbedding = get(p + "embeddings.position_embedding.weight", {config.context, w});
        for (int i = 0; i < config.layersRun(); ++i) {
            const std::string l = p + "encoder.layers." + std::to_string(i) + ".";
            Layer layer;
            layer.ln1Weight = get(l + "layer_norm1.weight", {w});
            layer.ln1Bias = get(l + "layer_norm1.bias", {w});
            layer.ln2Weight = get(l + "layer_norm2.weight", {w});
            layer.ln2Bias = get(l + "layer_norm2.bias", {w});
            layer.qkvWeight = torch::cat({get(l + "self_attn.q_proj.weight", {w, w}),
                                          get(l + "self_attn.k_proj.weight", {w, w}),
                                          get(l + "self_attn.v_proj.weight", {w, w})});
            layer.qkvBias = torch::cat({get(l + "self_attn.q_proj.bias", {w}),
                                        get(l + "self_attn.k_proj.bias", {w}),
                                        get(l + "self_attn.v_proj.bias", {w})});
            layer.outWeight = get(l + "self_attn.out_proj.weight", {w, w});
            layer.outBias = get(l + "self_attn.out_proj.bias", {w});
            layer.fc1Weight = get(l + "mlp.fc1.weight", {mlp, w});
            layer.fc1Bias = get(l + "mlp.fc1.bias", {mlp});
            layer.fc2Weight = get(l + "mlp.fc2.weight", {w, mlp});
            layer.fc2Bias = get(l + "mlp.fc2.bias", {w});
            m_layers.push_back(std::move(layer));
        }
        m_finalWeight = get(p + "final_layer_norm.weight", {w});
        m_finalBias = get(p + "final_layer_norm.bias", {w});
    } else {
        const std::string p = kSd2Prefix;
        m_tokenEmbedding = get(p + "token_embedding.weight", {config.vocabulary, w});
        m_positionEmbedding = get(p + "positional_embedding", {config.context, w});
        // SD 2 uses the penultimate layer: the last stored one is never run, nor read.
        for (int i = 0; i < config.layersRun(); ++i) {
            const std::string l = p + "transformer.resblocks." + std::to_string(i) + ".";
            Layer layer;
            layer.ln1Weight = get(l + "ln_1.weight", {w});
            layer.ln1Bias = get(l + "ln_1.bias", {w});
            layer.ln2Weight = get(l + "ln_2.weight", {w});
            layer.ln2Bias = get(l + "ln_2.bias", {w});
            layer.qkvWeight = get(l + "attn.in_proj_weight", {3 * w, w});
            layer.qkvBias = get(l + "attn.in_proj_bias", {3 * w});
            layer.outWeight = get(l + "attn.out_proj.weight", {w, w});
            layer.outBias = get(l + "attn.out_proj.bias", {w});
            layer.fc1Weight = get(l + "mlp.c_fc.weight", {mlp, w});
            layer.fc1Bias = get(l + "mlp.c_fc.bias", {mlp});
            layer.fc2Weight = get(l + "mlp.c_proj.weight", {w, mlp});
            layer.fc2Bias = get(l + "mlp.c_proj.bias", {w});
            m_layers.push_back(std::move(layer));
        }
        m_finalWeight = get(p + "ln_final.weight", {w});
        m_finalBias = get(p + "ln_final.bias", {w});
    }
}

int64_t ClipTextEncoder::parameterCount() const {
    int64_t n = m_tokenEmbedding.numel() + m_positionEmbedding.numel() + m_finalWeight.numel() +
                m_finalBias.numel();
    for (const Layer& l : m_layers) {
        for (const torch::Tensor* t :
             {&l.ln1Weight, &l.ln1Bias, &l.ln2Weight, &l.ln2Bias, &l.qkvWeight, &l.qkvBias,
              &l.outWeight, &l.outBias, &l.fc1Weight, &l.fc1Bias, &l.fc2Weight, &l.fc2Bias})
            n += t->numel();
    }
    return n;
}

torch::Tensor ClipTextEncoder::forward(const torch::Tensor& ids) const {
    if (ids.dim() != 2 || ids.size(1) != m_config.context)
        throw Error("the text encoder takes token ids [batch, " + std::to_string(m_config.context) +
                    "]");
    if (ids.numel() > 0 &&
        (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= m_config.vocabulary))
        throw Error("a token id lies outside the text encoder's vocabulary");
    const int64_t batch = ids.size(0), length = ids.size(1), width = m_config.width;
    const int64_t heads = m_config.heads, headDim = width / heads;
    torch::Tensor x =
        torch::embedding(m_tokenEmbedding, ids.to(m_placement.device, torch::kInt64)) +
        m_positionEmbedding.unsqueeze(0);
    const torch::Tensor causal =
        torch::full({length, length}, -std::numeric_limits<float>::infinity(), x.options()).triu(1);
    for (const Layer& layer : m_layers) {
        const torch::Tensor h = layerNorm(x, layer.ln1Weight, layer.ln1Bias);
        const std::vector<torch::Tensor> qkv =
            linear(h, layer.qkvWeight, layer.qkvBias).chunk(3, -1);
        auto split = [&](const torch::Tensor& t) {
            return t.view({batch, length, heads, headDim}).transpose(1, 2);  // [B, H, L, D]
        };
        const torch::Tensor q = split(qkv[0]), k = split(qkv[1]), v = split(qkv[2]);
        const torch::Tensor context = scaledDotProductAttention(q, k, v, causal)
                                          .transpose(1, 2)
                                          .reshape({batch, length, width});
        x = x + linear(context, layer.outWeight, layer.outBias);
        torch::Tensor m =
            linear(layerNorm(x, layer.ln2Weight, layer.ln2Bias), layer.fc1Weight, layer.fc1Bias);
        m = m_config.quickGelu ? m * torch::sigmoid(1.702 * m)  // QuickGELU
                               : torch::gelu(m);                // erf GELU
        x = x + linear(m, layer.fc2Weight, layer.fc2Bias);
    }
    return layerNorm(x, m_finalWeight, m_finalBias);
}

}  // namespace infolens
