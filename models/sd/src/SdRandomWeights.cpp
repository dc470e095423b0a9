#include "infolens/models/sd/SdRandomWeights.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>

#include "infolens/Error.h"
#include "infolens/io/Sha256.h"

namespace infolens {

namespace {

using Shapes = std::map<std::string, std::vector<int64_t>>;
constexpr const char* kGeneratorVersion = "infolens-sd-random-v1";

// Adds `name`.weight and `name`.bias.
void layer(Shapes& s, const std::string& name, std::vector<int64_t> weight) {
    const int64_t out = weight[0];
    s[name + ".weight"] = std::move(weight);
    s[name + ".bias"] = {out};
}

void norm(Shapes& s, const std::string& name, int64_t c) {
    layer(s, name, {c});
}

// The LDM UNet (openaimodel.py UNetModel) with SD's hyperparameters.
void unet(Shapes& s, int64_t context, bool linearProjection) {
    const std::string p = "model.diffusion_model.";
    const int64_t mc = 320, time = 4 * mc;
    const std::vector<int64_t> mult = {1, 2, 4, 4};
    const int resBlocks = 2;
    auto res = [&](const std::string& n, int64_t in, int64_t out) {
        norm(s, n + ".in_layers.0", in);
        layer(s, n + ".in_layers.2", {out, in, 3, 3});
        layer(s, n + ".emb_layers.1", {out, time});
        norm(s, n + ".out_layers.0", out);
        layer(s, n + ".out_layers.3", {out, out, 3, 3});
        if (in != out)
            layer(s, n + ".skip_connection", {out, in, 1, 1});
    };
    auto st = [&](const std::string& n, int64_t c) {
        norm(s, n + ".norm", c);
        const std::vector<int64_t> proj =
            linearProjection ? std::vector<int64_t>{c, c} : std::vector<int64_t>{c, c, 1, 1};
        layer(s, n + ".proj_in", proj);
        const std::string b = n + ".transformer_blocks.0";
        for (const char* ln : {".norm1", ".norm2", ".norm3"})
            norm(s, b + ln, c);
        for (const std::string a : {".attn1", ".attn2"}) {
            const int64_t kv = a == ".attn1" ? c : context;
            s[b + a + ".to_q.weight"] = {c, c};
            s[b + a + ".to_k.weight"] = {c, kv};
            s[b + a + ".to_v.weight"] = {c, kv};
            layer(s, b + a + ".to_out.0", {c, c});
        }
        layer(s, b + ".ff.net.0.proj", {8 * c, c});
        layer(s, b + ".ff.net.2", {c, 4 * c});
        layer(s, n + ".proj_out", proj);
    };
    layer(s, p + "time_embed.0", {time, mc});
    layer(s, p + "time_embed.2", {time, time});
    layer(s, p + "input_blocks.0.0", {mc, 4, 3, 3});
    std::vector<int64_t> skips = {mc};
    int64_t ch = mc;
    int block = 1;
    for (std::size_t level = 0; level < mult.size(); ++level) {
        const bool attention = level < 3;
        for (int j = 0; j < resBlocks; ++j, ++block) {
            const std::string n = p + "input_blocks." + std::to_string(block);
            res(n + ".0", ch, mc * mult[level]);
            ch = mc * mult[level];
            if (attention)
                st(n + ".1", ch);
            skips.push_back(ch);
        }
        if (level + 1 < mult.size()) {
            layer(s, p + "input_blocks." + std::to_string(block++) + ".0.op", {ch, ch, 3, 3});
            skips.push_back(ch);
        }
    }
    res(p + "middle_block.0", ch, ch);
    st(p + "middle_block.1", ch);
    res(p + "middle_block.2", ch, ch);
    block = 0;
    for (int level = static_cast<int>(mult.size()) - 1; level >= 0; --level) {
        const bool attention = level < 3;
        for (int j = 0; j <= resBlocks; ++j, ++block) {
            const std::string n = p + "output_blocks." + std::to_string(block);
            const int64_t skip = skips.back();
            skips.pop_back();
            res(n + ".0", ch + skip, mc * mult[level]);
            ch = mc * mult[level];
            if (attention)
                st(n + ".1", ch);
            if (level > 0 && j == resBlocks)
                layer(s, n + (attention ? ".2" : ".1") + ".conv", {ch, ch, 3, 3});
        }
    }
    norm(s, p + "out.0", ch);
    layer(s, p + "out.2", {4, ch, 3, 3});
}

// The KL-f8 autoencoder (ldm/modules/diffusionmodules/model.py Encoder/Decoder).
void vae(Shapes& s) {
    const std::string p = "first_stage_model.";
    const int64_t ch = 128, z = 4;
    const std::vector<int64_t> mult = {1, 2, 4, 4};
    const int resBlocks = 2;
    auto res = [&](const std::string& n, int64_t in, int64_t out) {
        norm(s, n + ".norm1", in);
        layer(s, n + ".conv1", {out, in, 3, 3});
        norm(s, n + ".norm2", out);
        layer(s, n + ".conv2", {out, out, 3, 3});
        if (in != out)
            layer(s, n + ".nin_shortcut", {out, in, 1, 1});
    };
    auto mid = [&](const std::string& n, int64_t c) {
        res(n + ".block_1", c, c);
        norm(s, n + ".attn_1.norm", c);
        for (const char* a : {".q", ".k", ".v", ".proj_out"})
            layer(s, n + ".attn_1" + a, {c, c, 1, 1});
        res(n + ".block_2", c, c);
    };
    layer(s, p + "encoder.conv_in", {ch, 3, 3, 3});
    int64_t in = ch;
    for (std::size_t i = 0; i < mult.size(); ++i) {
        const std::string n = p + "encoder.down." + std::to_string(i);
        for (int j = 0; j < resBlocks; ++j) {
            res(n + ".block." + std::to_string(j), in, ch * mult[i]);
            in = ch * mult[i];
        }
        if (i + 1 < mult.size())
            layer(s, n + ".downsample.conv", {in, in, 3, 3});
    }
    mid(p + "encoder.mid", in);
    norm(s, p + "encoder.norm_out", in);
    layer(s, p + "encoder.conv_out", {2 * z, in, 3, 3});
    layer(s, p + "quant_conv", {2 * z, 2 * z, 1, 1});
    layer(s, p + "post_quant_conv", {z, z, 1, 1});
    in = ch * mult.back();
    layer(s, p + "decoder.conv_in", {in, z, 3, 3});
    mid(p + "decoder.mid", in);
    for (int i = static_cast<int>(mult.size()) - 1; i >= 0; --i) {
        const std::string n = p + "decoder.up." + std::to_string(i);
        for (int j = 0; j <= resBlocks; ++j) {
            res(n + ".block." + std::to_string(j), in, ch * mult[i]);
            in = ch * mult[i];
        }
        if (i > 0)
            layer(s, n + ".upsample.conv", {in, in, 3, 3});
    }
    norm(s, p + "decoder.norm_out", in);
    layer(s, p + "decoder.conv_out", {3, in, 3, 3});
}

// CLIP ViT-L/14 text in HF naming (SD 1).
void hfClipText(Shapes& s, int64_t w, int layers) {
    const std::string p = "cond_stage_model.transformer.text_model.";
    s[p + "embeddings.token_embedding.weight"] = {49408, w};
    s[p + "embeddings.position_embedding.weight"] = {77, w};
    for (int i = 0; i < layers; ++i) {
        const std::string l = p + "encoder.layers." + std::to_string(i) + ".";
        for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"})
            layer(s, l + "self_attn." + proj, {w, w});
        norm(s, l + "layer_norm1", w);
        norm(s, l + "layer_norm2", w);
        layer(s, l + "mlp.fc1", {4 * w, w});
        layer(s, l + "mlp.fc2", {w, 4 * w});
    }
    norm(s, p + "final_layer_norm", w);
}

// OpenCLIP ViT-H/14 text in its own naming (SD 2).
void openClipText(Shapes& s, int64_t w, int layers) {
    const std::string p = "cond_stage_model.model.";
    s[p + "token_embedding.weight"] = {49408, w};
    s[p + "positional_embedding"] = {77, w};
    for (int i = 0; i < layers; ++i) {
        const std::string l = p + "transformer.resblocks." + std::to_string(i) + ".";
        norm(s, l + "ln_1", w);
        s[l + "attn.in_proj_weight"] = {3 * w, w};
        s[l + "attn.in_proj_bias"] = {3 * w};
        layer(s, l + "attn.out_proj", {w, w});
        norm(s, l + "ln_2", w);
        layer(s, l + "mlp.c_fc", {4 * w, w});
        layer(s, l + "mlp.c_proj", {w, 4 * w});
    }
    norm(s, p + "ln_final", w);
}

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// FNV-1a, 64 bit: a stable per-name seed.
std::uint64_t fnv1a(const std::string& text, std::uint64_t h = 1469598103934665603ull) {
    for (const unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

}  // namespace

SdRandomWeights::SdRandomWeights(int version, std::uint64_t seed)
    : m_name(version == 1 ? "sd1-random" : "sd2-random"), m_version(version), m_seed(seed) {
    if (version != 1 && version != 2)
        throw ModelError("random Stable Diffusion weights exist for versions 1 and 2");
    unet(m_shapes, version == 1 ? 768 : 1024, version == 2);
    vae(m_shapes);
    if (version == 1)
        hfClipText(m_shapes, 768, 12);
    else
        openClipText(m_shapes, 1024, 24);
    std::string description = std::string(kGeneratorVersion) + " " + m_name +
                              " seed=" + std::to_string(seed) +
                              " init=N(0,1/fan_in),emb N(0,0.02^2),norm 1,bias 0\n";
    for (const auto& [name, shape] : m_shapes)
        description += name + " " + c10::str(torch::IntArrayRef(shape)) + "\n";
    m_hash = sha256Hex(description);
}

bool SdRandomWeights::has(const std::string& name) const {
    return m_shapes.count(name) != 0;
}

std::vector<int64_t> SdRandomWeights::shape(const std::string& name) const {
    const auto it = m_shapes.find(name);
    if (it == m_shapes.end())
        throwMissing(name);
    return it->second;
}

std::vector<std::string> SdRandomWeights::namesWithPrefix(const std::string& prefix) const {
    std::vector<std::string> names;
    for (auto it = m_shapes.lower_bound(prefix);
         it != m_shapes.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
        names.push_back(it->first);
    return names;
}

torch::Tensor SdRandomWeights::read(const std::string& name, const Placement& placement) const {
    const std::vector<int64_t>& shape = m_shapes.at(name);
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
    torch::Tensor t;
    if (endsWith(name, ".bias") || endsWith(name, "_bias")) {
        t = torch::zeros(shape, f32);
    } else if (shape.size() == 1) {
        t = torch::ones(shape, f32);  // norm weights
    } else {
        at::Generator generator =
            at::detail::createCPUGenerator(fnv1a(name, fnv1a(std::to_string(m_seed))));
        const bool table = name.find("embedding") != std::string::npos;
        int64_t fanIn = 1;
        for (std::size_t i = 1; i < shape.size(); ++i)
            fanIn *= shape[i];
        const double stddev = table ? 0.02 : 1.0 / std::sqrt(static_cast<double>(fanIn));
        t = torch::randn(shape, generator, f32).mul_(stddev);
    }
    return t.to(placement.device, placement.dtype);
}

}  // namespace infolens
