#include "infolens/models/shapes/ShapesNets.h"

#include <torch/torch.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "infolens/Error.h"
#include "infolens/io/JsonNumbers.h"

namespace infolens {

namespace nn = torch::nn;

namespace {

constexpr int kGroups = 8;
constexpr int kTimeFeatures = 64;

nn::Conv2d conv(int in, int out, int kernel, int stride = 1) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding((kernel - 1) / 2));
}

nn::GroupNorm groupNorm(int channels) {
    return nn::GroupNorm(nn::GroupNormOptions(std::min(kGroups, channels), channels));
}

// Sinusoidal features of the log-SNR itself (not of a discrete timestep), so any real a works.
torch::Tensor logSnrFeatures(const torch::Tensor& logSnr) {
    const int half = kTimeFeatures / 2;
    const torch::Tensor freqs =
        torch::exp(torch::linspace(std::log(0.02), std::log(20.0), half, logSnr.options()));
    const torch::Tensor args = logSnr.unsqueeze(1) * freqs.unsqueeze(0);
    return torch::cat({torch::sin(args), torch::cos(args)}, 1);
}

}  // namespace

nlohmann::json toJson(const ShapesModelConfig& c) {
    return {{"image_size", c.imageSize},
            {"latent_channels", c.latentChannels},
            {"downsample", c.downsample},
            {"ae_channels", c.aeChannels},
            {"vocabulary_size", c.vocabularySize},
            {"max_tokens", c.maxTokens},
            {"text_dim", c.textDim},
            {"text_layers", c.textLayers},
            {"text_heads", c.textHeads},
            {"unet_channels", c.unetChannels},
            {"attention_heads", c.attentionHeads},
            {"unet_layout", c.unetLayout},
            {"logsnr_lo", c.logSnrLo},
            {"logsnr_hi", c.logSnrHi},
            {"latent_scale", c.latentScale}};
}

void validateShapesConfig(const ShapesModelConfig& c) {
    auto within = [](const char* name, int value, int lo, int hi) {
        if (value < lo || value > hi) {
            throw ModelError("invalid model config: " + std::string(name) + " is " +
                             std::to_string(value) + ", expected " + std::to_string(lo) + ".." +
                             std::to_string(hi));
        }
    };
    within("image_size", c.imageSize, 16, 1024);
    if (c.downsample != 4 || c.imageSize % 16 != 0)
        throw ModelError("invalid model config: image_size must be a multiple of 16, downsample 4");
    within("latent_channels", c.latentChannels, 1, 64);
    within("ae_channels", c.aeChannels, 1, 1024);
    within("vocabulary_size", c.vocabularySize, 2, 1 << 20);
    within("max_tokens", c.maxTokens, 1, 4096);
    within("text_dim", c.textDim, 1, 4096);
    within("text_layers", c.textLayers, 0, 64);
    within("text_heads", c.textHeads, 1, c.textDim);
    within("unet_channels", c.unetChannels, 1, 2048);
    within("attention_heads", c.attentionHeads, 1, c.unetChannels);
    within("unet_layout", c.unetLayout, 1, 2);
    if (c.textDim % c.textHeads != 0)
        throw ModelError("invalid model config: text_heads must divide text_dim");
    if (c.unetChannels % c.attentionHeads != 0)
        throw ModelError("invalid model config: attention_heads must divide unet_channels");
    for (const int channels : {c.aeChannels, c.unetChannels}) {
        if (channels % std::min(kGroups, channels) != 0)
            throw ModelError("invalid model config: channel counts must be multiples of " +
                             std::to_string(kGroups) + " (group normalisation)");
    }
    if (!std::isfinite(c.logSnrLo) || !std::isfinite(c.logSnrHi) || !(c.logSnrHi > c.logSnrLo))
        throw ModelError("invalid model config: logsnr_hi must exceed logsnr_lo");
    if (!std::isfinite(c.latentScale) || !(c.latentScale > 0.0))
        throw ModelError("invalid model config: latent_scale must be positive");
}

namespace {

// get<int> on 1e56 or 2^40 is undefined or wraps: only integers that fit an int are read.
int configInt(const nlohmann::json& j, const char* key) {
    const nlohmann::json& v = j.at(key);
    const std::optional<std::int64_t> x = jsonIntegerIn(v, INT_MIN, INT_MAX);
    if (!x)
        throw ModelError(std::string("invalid model config: ") + key + " is " + v.dump() +
                         ", not an integer in range");
    return static_cast<int>(*x);
}

}  // namespace

ShapesModelConfig shapesModelConfigFromJson(const nlohmann::json& j) {
    try {
        ShapesModelConfig c;
        c.imageSize = configInt(j, "image_size");
        c.latentChannels = configInt(j, "latent_channels");
        c.downsample = configInt(j, "downsample");
        c.aeChannels = configInt(j, "ae_channels");
        c.vocabularySize = configInt(j, "vocabulary_size");
        c.maxTokens = configInt(j, "max_tokens");
        c.textDim = configInt(j, "text_dim");
        c.textLayers = configInt(j, "text_layers");
        c.textHeads = configInt(j, "text_heads");
        c.unetChannels = configInt(j, "unet_channels");
        c.attentionHeads = configInt(j, "attention_heads");
        // Absent in bundles older than layout 2.
        c.unetLayout = j.contains("unet_layout") ? configInt(j, "unet_layout") : 1;
        c.logSnrLo = j.at("logsnr_lo").get<double>();
        c.logSnrHi = j.at("logsnr_hi").get<double>();
        c.latentScale = j.at("latent_scale").get<double>();
        validateShapesConfig(c);
        return c;
    } catch (const nlohmann::json::exception& e) {
        throw ModelError(std::string("invalid model config: ") + e.what());
    }
}

ResidualConvImpl::ResidualConvImpl(int channels) {
    norm1 = register_module("norm1", groupNorm(channels));
    conv1 = register_module("conv1", conv(channels, channels, 3));
    norm2 = register_module("norm2", groupNorm(channels));
    conv2 = register_module("conv2", conv(channels, channels, 3));
}

torch::Tensor ResidualConvImpl::forward(const torch::Tensor& x) {
    torch::Tensor h = conv1(torch::silu(norm1(x)));
    return x + conv2(torch::silu(norm2(h)));
}

AutoencoderImpl::AutoencoderImpl(const ShapesModelConfig& c) {
    const int ch = c.aeChannels;
    encoder = register_module(
        "encoder", nn::Sequential(conv(3, ch / 2, 3), nn::SiLU(), conv(ch / 2, ch, 4, 2),
                                  ResidualConv(ch), nn::SiLU(), conv(ch, ch, 4, 2),
                                  ResidualConv(ch), nn::SiLU(), conv(ch, c.latentChannels, 1)));
    decoder = register_module(
        "decoder", nn::Sequential(conv(c.latentChannels, ch, 3), ResidualConv(ch), nn::SiLU(),
                                  nn::Upsample(nn::UpsampleOptions()
                                                   .scale_factor(std::vector<double>{2.0, 2.0})
                                                   .mode(torch::kNearest)),
                                  conv(ch, ch, 3), ResidualConv(ch), nn::SiLU(),
                                  nn::Upsample(nn::UpsampleOptions()
                                                   .scale_factor(std::vector<double>{2.0, 2.0})
                                                   .mode(torch::kNearest)),
                                  conv(ch, ch / 2, 3), nn::SiLU(), conv(ch / 2, 3, 3)));
}

torch::Tensor AutoencoderImpl::encode(const torch::Tensor& images) {
    return encoder->forward(images);
}
torch::Tensor AutoencoderImpl::decode(const torch::Tensor& latents) {
    return decoder->forward(latents);
}

TransformerLayerImpl::TransformerLayerImpl(int dim, int h) : heads(h) {
    norm1 = register_module("norm1", nn::LayerNorm(nn::LayerNormOptions({dim})));
    qkv = register_module("qkv", nn::Linear(dim, 3 * dim));
    proj = register_module("proj", nn::Linear(dim, dim));
    norm2 = register_module("norm2", nn::LayerNorm(nn::LayerNormOptions({dim})));
    fc1 = register_module("fc1", nn::Linear(dim, 4 * dim));
    fc2 = register_module("fc2", nn::Linear(4 * dim, dim));
}

torch::Tensor TransformerLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& keyMask) {
    const int64_t b = x.size(0), l = x.size(1), d = x.size(2), hd = d / heads;
    const auto parts = qkv(norm1(x)).view({b, l, 3, heads, hd}).permute({2, 0, 3, 1, 4});
    torch::Tensor scores =
        torch::matmul(parts[0], parts[1].transpose(-1, -2)) / std::sqrt(static_cast<double>(hd));
    scores = scores.masked_fill(keyMask.view({b, 1, 1, l}) < 0.5, -1e9);
    const torch::Tensor attended = torch::matmul(torch::softmax(scores, -1), parts[2])
                                       .permute({0, 2, 1, 3})
                                       .reshape({b, l, d});
    torch::Tensor h = x + proj(attended);
    return h + fc2(torch::gelu(fc1(norm2(h))));
}

TextTransformerImpl::TextTransformerImpl(const ShapesModelConfig& c) {
    tokens = register_module("tokens", nn::Embedding(c.vocabularySize, c.textDim));
    positions = register_module("positions", nn::Embedding(c.maxTokens, c.textDim));
    layers = register_module("layers", nn::ModuleList());
    for (int i = 0; i < c.textLayers; ++i)
        layers->push_back(TransformerLayer(c.textDim, c.textHeads));
    norm = register_module("norm", nn::LayerNorm(nn::LayerNormOptions({c.textDim})));
}

torch::Tensor TextTransformerImpl::forward(const torch::Tensor& ids, const torch::Tensor& mask) {
    const torch::Tensor pos = torch::arange(ids.size(1), ids.options().dtype(torch::kLong));
    torch::Tensor h = tokens(ids) + positions(pos).unsqueeze(0);
    for (const auto& layer : *layers)
        h = layer->as<TransformerLayer>()->forward(h, mask);
    return norm(h);
}

TimeResBlockImpl::TimeResBlockImpl(int in, int out, int timeDim) {
    norm1 = register_module("norm1", groupNorm(in));
    conv1 = register_module("conv1", conv(in, out, 3));
    timeProj = register_module("time", nn::Linear(timeDim, 2 * out));
    norm2 = register_module("norm2", groupNorm(out));
    conv2 = register_module("conv2", conv(out, out, 3));
    if (in != out)
        skip = register_module("skip", conv(in, out, 1));
}

torch::Tensor TimeResBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& time) {
    torch::Tensor h = conv1(torch::silu(norm1(x)));
    const auto film = timeProj(time).unsqueeze(-1).unsqueeze(-1).chunk(2, 1);
    h = norm2(h) * (1 + film[0]) + film[1];
    h = conv2(torch::silu(h));
    return (skip ? skip(x) : x) + h;
}

CrossAttentionImpl::CrossAttentionImpl(int channels, int textDim, int h) : heads(h) {
    norm = register_module("norm", groupNorm(channels));
    q = register_module("q", nn::Linear(channels, channels));
    k = register_module("k", nn::Linear(textDim, channels));
    v = register_module("v", nn::Linear(textDim, channels));
    out = register_module("out", nn::Linear(channels, channels));
}

torch::Tensor CrossAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& text,
                                          const torch::Tensor& textMask) {
    const int64_t b = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3), l = text.size(1),
                  hd = c / heads;
    const torch::Tensor queries =
        q(norm(x).flatten(2).transpose(1, 2)).view({b, hw, heads, hd}).transpose(1, 2);
    const torch::Tensor keys = k(text).view({b, l, heads, hd}).transpose(1, 2);
    const torch::Tensor values = v(text).view({b, l, heads, hd}).transpose(1, 2);
    torch::Tensor scores =
        torch::matmul(queries, keys.transpose(-1, -2)) / std::sqrt(static_cast<double>(hd));
    scores = scores.masked_fill(textMask.view({b, 1, 1, l}) < 0.5, -1e9);
    const torch::Tensor probabilities = torch::softmax(scores, -1);
    if (capture) {
        captured.push_back(probabilities.detach()
                               .mean(1)
                               .transpose(1, 2)
                               .reshape({b, l, x.size(2), x.size(3)})
                               .to(torch::kCPU, torch::kFloat32));
    }
    const torch::Tensor attended =
        torch::matmul(probabilities, values).transpose(1, 2).reshape({b, hw, c});
    return x + out(attended).transpose(1, 2).view(x.sizes());
}

SelfAttentionImpl::SelfAttentionImpl(int channels, int h) : heads(h) {
    norm = register_module("norm", groupNorm(channels));
    qkv = register_module("qkv", nn::Linear(channels, 3 * channels));
    out = register_module("out", nn::Linear(channels, channels));
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x) {
    const int64_t b = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3), hd = c / heads;
    const auto parts = qkv(norm(x).flatten(2).transpose(1, 2))
                           .view({b, hw, 3, heads, hd})
                           .permute({2, 0, 3, 1, 4});
    const torch::Tensor scores =
        torch::matmul(parts[0], parts[1].transpose(-1, -2)) / std::sqrt(static_cast<double>(hd));
    const torch::Tensor attended =
        torch::matmul(torch::softmax(scores, -1), parts[2]).transpose(1, 2).reshape({b, hw, c});
    return x + out(attended).transpose(1, 2).view(x.sizes());
}

ShapesUNetImpl::ShapesUNetImpl(const ShapesModelConfig& c) : config(c) {
    const int ch = c.unetChannels, ch2 = 2 * c.unetChannels, timeDim = 4 * c.unetChannels;
    time1 = register_module("time1", nn::Linear(kTimeFeatures, timeDim));
    time2 = register_module("time2", nn::Linear(timeDim, timeDim));
    input = register_module("input", conv(c.latentChannels, ch, 3));
    res16a = register_module("res16a", TimeResBlock(ch, ch, timeDim));
    att16a = register_module("att16a", CrossAttention(ch, c.textDim, c.attentionHeads));
    down1 = register_module("down1", conv(ch, ch, 3, 2));
    res8a = register_module("res8a", TimeResBlock(ch, ch2, timeDim));
    att8a = register_module("att8a", CrossAttention(ch2, c.textDim, c.attentionHeads));
    down2 = register_module("down2", conv(ch2, ch2, 3, 2));
    mid1 = register_module("mid1", TimeResBlock(ch2, ch2, timeDim));
    attMid = register_module("attMid", CrossAttention(ch2, c.textDim, c.attentionHeads));
    mid2 = register_module("mid2", TimeResBlock(ch2, ch2, timeDim));
    up2 = register_module("up2", conv(ch2, ch2, 3));
    res8b = register_module("res8b", TimeResBlock(2 * ch2, ch2, timeDim));
    att8b = register_module("att8b", CrossAttention(ch2, c.textDim, c.attentionHeads));
    up1 = register_module("up1", conv(ch2, ch, 3));
    res16b = register_module("res16b", TimeResBlock(2 * ch, ch, timeDim));
    att16b = register_module("att16b", CrossAttention(ch, c.textDim, c.attentionHeads));
    if (c.unetLayout == 2) {
        res16a2 = register_module("res16a2", TimeResBlock(ch, ch, timeDim));
        res16b2 = register_module("res16b2", TimeResBlock(ch, ch, timeDim));
        self8a = register_module("self8a", SelfAttention(ch2, c.attentionHeads));
        selfMid = register_module("selfMid", SelfAttention(ch2, c.attentionHeads));
        self8b = register_module("self8b", SelfAttention(ch2, c.attentionHeads));
    }
    outNorm = register_module("outNorm", groupNorm(ch));
    output = register_module("output", conv(ch, c.latentChannels, 3));
    torch::NoGradGuard noGrad;
    output->weight.zero_();
    output->bias.zero_();
}

torch::Tensor ShapesUNetImpl::forward(const torch::Tensor& z, const torch::Tensor& logSnr,
                                      const torch::Tensor& text, const torch::Tensor& textMask) {
    const torch::Tensor time = time2(torch::silu(time1(logSnrFeatures(logSnr.to(z.dtype())))));
    const bool v2 = config.unetLayout == 2;
    torch::Tensor h = res16a(input(z), time);
    if (v2)
        h = res16a2(h, time);
    const torch::Tensor s16 = att16a(h, text, textMask);
    h = res8a(down1(s16), time);
    if (v2)
        h = self8a(h);
    const torch::Tensor s8 = att8a(h, text, textMask);
    h = mid1(down2(s8), time);
    if (v2)
        h = selfMid(h);
    h = mid2(attMid(h, text, textMask), time);
    h = up2(torch::upsample_nearest2d(h, {s8.size(2), s8.size(3)}));
    h = res8b(torch::cat({h, s8}, 1), time);
    if (v2)
        h = self8b(h);
    h = att8b(h, text, textMask);
    h = up1(torch::upsample_nearest2d(h, {s16.size(2), s16.size(3)}));
    h = res16b(torch::cat({h, s16}, 1), time);
    if (v2)
        h = res16b2(h, time);
    h = att16b(h, text, textMask);
    return output(torch::silu(outNorm(h)));
}

void ShapesUNetImpl::setCaptureAttention(bool on) {
    for (CrossAttention* a : {&att16a, &att8a, &attMid, &att8b, &att16b}) {
        (*a)->capture = on;
        (*a)->captured.clear();
    }
}

std::vector<torch::Tensor> ShapesUNetImpl::takeCapturedAttention() {
    std::vector<torch::Tensor> out;
    for (CrossAttention* a : {&att16a, &att8a, &attMid, &att8b, &att16b}) {
        if (!(*a)->captured.empty())
            out.push_back(torch::cat((*a)->captured, 0));
        (*a)->captured.clear();
    }
    return out;
}

}  // namespace infolens
