#include "infolens/models/sd/SdDiffusers.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "infolens/Error.h"
#include "infolens/io/JsonNumbers.h"
#include "infolens/models/sd/SdCheckpoint.h"

namespace fs = std::filesystem;

namespace infolens {

namespace {

constexpr const char* kUNetPrefix = "model.diffusion_model.";
constexpr const char* kVaePrefix = "first_stage_model.";
constexpr const char* kTextPrefix = "cond_stage_model.transformer.";

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> parts;
    std::stringstream in(s);
    for (std::string part; std::getline(in, part, '.');)
        parts.push_back(part);
    return parts;
}

std::string join(const std::vector<std::string>& parts, std::size_t from) {
    std::string out;
    for (std::size_t i = from; i < parts.size(); ++i)
        out += (out.empty() ? "" : ".") + parts[i];
    return out;
}

// A small non-negative index, or -1.
int index(const std::string& s) {
    if (s.empty() || s.size() > 4 ||
        !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }))
        return -1;
    return std::stoi(s);
}

std::string unetResnetPart(const std::string& rest) {
    static const std::map<std::string, std::string> kParts = {
        {"norm1", "in_layers.0"},  {"conv1", "in_layers.2"},  {"time_emb_proj", "emb_layers.1"},
        {"norm2", "out_layers.0"}, {"conv2", "out_layers.3"}, {"conv_shortcut", "skip_connection"}};
    const std::vector<std::string> p = split(rest);
    if (p.size() != 2 || !kParts.count(p[0]))
        return {};
    return kParts.at(p[0]) + "." + p[1];
}

std::string vaeResnetPart(const std::string& rest) {
    const std::vector<std::string> p = split(rest);
    if (p.size() != 2)
        return {};
    if (p[0] == "conv_shortcut")
        return "nin_shortcut." + p[1];
    if (p[0] == "norm1" || p[0] == "norm2" || p[0] == "conv1" || p[0] == "conv2")
        return rest;
    return {};
}

nlohmann::json readJson(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ModelError("'" + path + "' cannot be read");
    std::stringstream text;
    text << in.rdbuf();
    try {
        return nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::exception& e) {
        throw FormatError("'" + path + "' is not valid JSON: " + e.what());
    }
}

bool isHex(const std::string& s, std::size_t length) {
    return s.size() == length &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// A config count (heads, channels, sample size): an integer in 1..2^20. get<int> on 1e56 is
// undefined and on 2^40 wraps, so nothing else is converted.
int configCount(const nlohmann::json& v, const std::string& where, const std::string& what) {
    constexpr std::int64_t kMax = std::int64_t{1} << 20;
    const std::optional<std::int64_t> count = jsonIntegerIn(v, 1, kMax);
    if (!count)
        throw ModelError(where + what + " is " + v.dump() + ", not an integer in 1.." +
                         std::to_string(kMax));
    return static_cast<int>(*count);
}

}  // namespace

std::string ldmUNetName(const std::string& name, int lpb,
                        const std::vector<bool>& upBlockHasAttention) {
    const std::vector<std::string> p = split(name);
    if (p.size() < 2)
        return {};
    const std::string last = p.back();
    if (p.size() == 3 && p[0] == "time_embedding" && (p[1] == "linear_1" || p[1] == "linear_2"))
        return std::string("time_embed.") + (p[1] == "linear_1" ? "0." : "2.") + last;
    if (p.size() == 2 && p[0] == "conv_in")
        return "input_blocks.0.0." + last;
    if (p.size() == 2 && p[0] == "conv_norm_out")
        return "out.0." + last;
    if (p.size() == 2 && p[0] == "conv_out")
        return "out.2." + last;
    if (p.size() >= 5 && p[0] == "mid_block") {
        const int j = index(p[2]);
        if (p[1] == "resnets" && j >= 0 && j < 2) {
            const std::string part = unetResnetPart(join(p, 3));
            return part.empty() ? part : "middle_block." + std::to_string(2 * j) + "." + part;
        }
        if (p[1] == "attentions" && j == 0)
            return "middle_block.1." + join(p, 3);
        return {};
    }
    if (p.size() >= 6 && (p[0] == "down_blocks" || p[0] == "up_blocks")) {
        const int i = index(p[1]), j = index(p[3]);
        if (i < 0 || j < 0)
            return {};
        const bool down = p[0] == "down_blocks";
        const int stride = lpb + 1;
        const std::string blocks = down ? "input_blocks." : "output_blocks.";
        const int block = down ? stride * i + j + 1 : stride * i + j;
        if (p[2] == "resnets") {
            const std::string part = unetResnetPart(join(p, 4));
            return part.empty() ? part : blocks + std::to_string(block) + ".0." + part;
        }
        if (p[2] == "attentions")
            return blocks + std::to_string(block) + ".1." + join(p, 4);
        if (down && p[2] == "downsamplers" && j == 0 && p[4] == "conv" && p.size() == 6)
            return blocks + std::to_string(stride * (i + 1)) + ".0.op." + last;
        if (!down && p[2] == "upsamplers" && j == 0 && p[4] == "conv" && p.size() == 6) {
            const bool attention =
                i < static_cast<int>(upBlockHasAttention.size()) && upBlockHasAttention[i];
            return blocks + std::to_string(stride * i + lpb) + (attention ? ".2" : ".1") +
                   ".conv." + last;
        }
    }
    return {};
}

std::string ldmVaeName(const std::string& name, int levels) {
    const std::vector<std::string> p = split(name);
    if (p.size() == 2 && (p[0] == "quant_conv" || p[0] == "post_quant_conv"))
        return name;
    if (p.size() < 3 || (p[0] != "encoder" && p[0] != "decoder"))
        return {};
    const std::string& side = p[0];
    const std::string last = p.back();
    if (p.size() == 3 && (p[1] == "conv_in" || p[1] == "conv_out"))
        return name;
    if (p.size() == 3 && p[1] == "conv_norm_out")
        return side + ".norm_out." + last;
    if (p.size() >= 5 && p[1] == "mid_block") {
        const int j = index(p[3]);
        if (p[2] == "resnets" && j >= 0 && j < 2) {
            const std::string part = vaeResnetPart(join(p, 4));
            return part.empty() ? part : side + ".mid.block_" + std::to_string(j + 1) + "." + part;
        }
        if (p[2] == "attentions" && j == 0) {
            static const std::map<std::string, std::string> kParts = {
                {"group_norm", "norm"},    {"query", "q"}, {"key", "k"},  {"value", "v"},
                {"proj_attn", "proj_out"}, {"to_q", "q"},  {"to_k", "k"}, {"to_v", "v"},
                {"to_out.0", "proj_out"}};
            const std::string part = join(p, 4);
            const std::size_t dot = part.find_last_of('.');
            if (dot == std::string::npos || !kParts.count(part.substr(0, dot)))
                return {};
            return side + ".mid.attn_1." + kParts.at(part.substr(0, dot)) + part.substr(dot);
        }
        return {};
    }
    if (p.size() >= 7 && (p[1] == "down_blocks" || p[1] == "up_blocks")) {
        const bool down = p[1] == "down_blocks";
        if (down != (side == "encoder"))
            return {};
        const int i = index(p[2]), j = index(p[4]);
        if (i < 0 || j < 0 || i >= levels)
            return {};
        const std::string level =
            (down ? ".down." : ".up.") + std::to_string(down ? i : levels - 1 - i);
        if (p[3] == "resnets") {
            const std::string part = vaeResnetPart(join(p, 5));
            return part.empty() ? part : side + level + ".block." + std::to_string(j) + "." + part;
        }
        if (p[3] == (down ? "downsamplers" : "upsamplers") && j == 0 && p[5] == "conv" &&
            p.size() == 7)
            return side + level + (down ? ".downsample.conv." : ".upsample.conv.") + last;
    }
    return {};
}

bool isDiffusersFolder(const std::string& path) {
    std::error_code error;
    if (!fs::is_directory(path, error))
        return false;
    if (fs::exists(fs::path(path) / "model_index.json", error))
        return true;
    return fs::path(path).filename().string().rfind("models--", 0) == 0 &&
           fs::exists(fs::path(path) / "refs" / "main", error);
}

std::string resolveHfCacheRepo(const std::string& path) {
    std::error_code error;
    const fs::path repo(path);
    if (fs::path(path).filename().string().rfind("models--", 0) != 0 ||
        !fs::exists(repo / "refs" / "main", error))
        return path;
    std::ifstream in(repo / "refs" / "main");
    std::string commit;
    in >> commit;
    if (!isHex(commit, 40))
        throw ModelError("Hugging Face cache folder '" + path +
                         "': refs/main does not hold a commit hash");
    const fs::path snapshot = repo / "snapshots" / commit;
    if (!fs::is_directory(snapshot, error))
        throw ModelError("Hugging Face cache folder '" + path + "': refs/main names snapshot " +
                         commit + ", which is not in snapshots/");
    return snapshot.string();
}

std::string SdDiffusersWeights::checkedFile(const std::string& relative) const {
    const fs::path file = fs::path(m_folder) / relative;
    std::error_code error;
    const fs::path target = fs::canonical(file, error);
    if (error)
        throw ModelError("diffusers folder '" + m_folder + "': '" + relative +
                         "' cannot be resolved (" + error.message() + ")");
    if (!m_cacheRoot.empty()) {
        const std::string t = target.string();
        if (t.compare(0, m_cacheRoot.size() + 1, m_cacheRoot + "/") != 0)
            throw ModelError("Hugging Face cache snapshot '" + m_folder + "': '" + relative +
                             "' links to '" + t + "', outside the cache folder '" + m_cacheRoot +
                             "'; refusing to follow it");
    }
    if (!fs::is_regular_file(target, error))
        throw ModelError("diffusers folder '" + m_folder + "': '" + relative +
                         "' is not a regular file");
    return target.string();
}

void SdDiffusersWeights::addComponent(const std::string& component, const std::string& ldmPrefix) {
    std::error_code error;
    const fs::path dir = fs::path(m_folder) / component;
    if (!fs::is_directory(dir, error))
        throw ModelError("diffusers folder '" + m_folder + "' has no " + component + "/ folder");
    std::string chosen;
    for (const char* name :
         {"diffusion_pytorch_model.safetensors", "model.safetensors",
          "diffusion_pytorch_model.fp16.safetensors", "model.fp16.safetensors"}) {
        if (fs::exists(dir / name, error)) {
            chosen = component + "/" + name;
            break;
        }
    }
    if (chosen.empty()) {
        for (const char* name :
             {"diffusion_pytorch_model.safetensors.index.json", "model.safetensors.index.json"}) {
            if (fs::exists(dir / name, error))
                throw ModelError("diffusers folder '" + m_folder + "': " + component +
                                 "/ is sharded (" + name +
                                 "), which InfoLens does not read yet; save it unsharded");
        }
        for (const char* name : {"diffusion_pytorch_model.bin", "pytorch_model.bin",
                                 "diffusion_pytorch_model.fp16.bin", "pytorch_model.fp16.bin"}) {
            if (fs::exists(dir / name, error))
                throw ModelError("diffusers folder '" + m_folder + "': " + component + "/" + name +
                                 " is a pickle file, which InfoLens does not open (unpickling " +
                                 "can run arbitrary code); download the .safetensors version");
        }
        throw ModelError("diffusers folder '" + m_folder + "': " + component +
                         "/ has no diffusion_pytorch_model.safetensors or model.safetensors");
    }
    m_files.push_back(std::make_unique<SafeTensorsFile>(checkedFile(chosen)));
    m_info.files.push_back(chosen);
    const SafeTensorsFile& file = *m_files.back();

    int layersPerBlock = 0, levels = 0;
    std::vector<bool> upAttention;
    for (const TensorInfo& t : file.tensors()) {
        const std::vector<std::string> p = split(t.name);
        if (component == "unet" && p.size() > 3 && p[0] == "down_blocks" && p[1] == "0" &&
            p[2] == "resnets")
            layersPerBlock = std::max(layersPerBlock, index(p[3]) + 1);
        if (component == "unet" && p.size() > 3 && p[0] == "up_blocks" && p[2] == "attentions") {
            const int i = index(p[1]);
            if (i >= 0 && i < 64) {
                upAttention.resize(std::max<std::size_t>(upAttention.size(), i + 1), false);
                upAttention[static_cast<std::size_t>(i)] = true;
            }
        }
        if (component == "vae" && p.size() > 2 && p[0] == "decoder" && p[1] == "up_blocks")
            levels = std::max(levels, index(p[2]) + 1);
    }
    for (const TensorInfo& t : file.tensors()) {
        std::string ldm;
        std::vector<int64_t> shape = t.shape;
        if (component == "unet") {
            ldm = ldmUNetName(t.name, layersPerBlock, upAttention);
        } else if (component == "vae") {
            ldm = ldmVaeName(t.name, levels);
            // diffusers keeps the mid attention's projections as Linear [C, C]; LDM as 1x1 conv.
            if (ldm.find(".mid.attn_1.") != std::string::npos && shape.size() == 2)
                shape = {shape[0], shape[1], 1, 1};
        } else {
            ldm = t.name;
        }
        if (ldm.empty())
            throw ModelError("diffusers folder '" + m_folder + "': " + chosen + " holds '" +
                             t.name + "', which is not a Stable Diffusion 1.x/2.x " + component +
                             " tensor");
        if (!m_entries.emplace(ldmPrefix + ldm, Entry{&file, &t, shape}).second)
            throw ModelError("diffusers folder '" + m_folder + "': " + chosen + " maps '" + t.name +
                             "' onto a name already taken");
    }
}

SdDiffusersWeights::SdDiffusersWeights(const std::string& folderIn)
    : m_folder(resolveHfCacheRepo(folderIn)) {
    std::error_code error;
    const fs::path folder(m_folder);
    if (!fs::exists(folder / "model_index.json", error))
        throw ModelError("'" + folderIn +
                         "' is not a diffusers folder: it has no model_index.json");
    // A snapshot of the Hugging Face cache: models--org--name/snapshots/<hash>.
    const fs::path canonicalFolder = fs::canonical(folder, error);
    if (!error && canonicalFolder.parent_path().filename() == "snapshots" &&
        canonicalFolder.parent_path().parent_path().filename().string().rfind("models--", 0) == 0)
        m_cacheRoot = canonicalFolder.parent_path().parent_path().string();

    const nlohmann::json index = readJson(checkedFile("model_index.json"));
    m_info.files.push_back("model_index.json");
    const std::string pipeline = index.value("_class_name", std::string());
    if (index.contains("text_encoder_2") || fs::exists(folder / "text_encoder_2", error) ||
        pipeline.find("XL") != std::string::npos)
        throw ModelError("diffusers folder '" + folderIn + "' is Stable Diffusion XL (" +
                         (pipeline.empty() ? std::string("text_encoder_2/") : pipeline) +
                         "), which InfoLens does not open; it opens SD 1.x and 2.x");

    auto config = [&](const std::string& relative) -> nlohmann::json {
        if (!fs::exists(folder / relative, error))
            return nlohmann::json::object();
        m_info.files.push_back(relative);
        nlohmann::json j = readJson(checkedFile(relative));
        if (!j.is_object())
            throw FormatError("'" + (folder / relative).string() + "' must hold a JSON object");
        return j;
    };
    const std::string where = "diffusers folder '" + folderIn + "': ";
    try {
        const nlohmann::json unet = config("unet/config.json");
        const int inChannels = unet.value("in_channels", 4);
        if (inChannels != 4)
            throw ModelError(where + "the UNet takes " + std::to_string(inChannels) +
                             " input channels (" +
                             (inChannels == 9   ? "inpainting"
                              : inChannels == 8 ? "pix2pix"
                                                : "?") +
                             " model); InfoLens opens text-to-image UNets of 4 channels");
        if (unet.contains("addition_embed_type") && !unet["addition_embed_type"].is_null())
            throw ModelError(where + "the UNet has added embeddings (SDXL-like), not SD 1.x/2.x");
        // attention_head_dim is really the head count (a diffusers naming slip), unless
        // num_attention_heads is given.
        nlohmann::json heads = unet.value("num_attention_heads", nlohmann::json());
        if (heads.is_null())
            heads = unet.value("attention_head_dim", nlohmann::json());
        const nlohmann::json widths = unet.value("block_out_channels", nlohmann::json());
        if (heads.is_number_integer()) {
            m_info.settings.unetHeads =
                SdHeads{configCount(heads, where, "unet/config.json: the head count"), -1};
        } else if (heads.is_array() && widths.is_array() && heads.size() == widths.size() &&
                   !heads.empty()) {
            bool sameCount = true, sameChannels = true;
            const std::string what = "unet/config.json: a head count or channel width";
            const int heads0 = configCount(heads[0], where, what);
            const int widths0 = configCount(widths[0], where, what);
            for (std::size_t i = 0; i < heads.size(); ++i) {
                const int h = configCount(heads[i], where, what);
                const int w = configCount(widths[i], where, what);
                if (h < 1 || w % h != 0)
                    throw ModelError(where + "unet/config.json: " + std::to_string(w) +
                                     " channels do not split into " + std::to_string(h) + " heads");
                sameCount = sameCount && h == heads0;
                sameChannels = sameChannels && w / h == widths0 / heads0;
            }
            if (sameCount)
                m_info.settings.unetHeads = SdHeads{heads0, -1};
            else if (sameChannels)
                m_info.settings.unetHeads = SdHeads{-1, widths0 / heads0};
            else
                throw ModelError(where + "unet/config.json: per-level head counts that are " +
                                 "neither one count nor one head width are not supported");
        }
        const nlohmann::json vae = config("vae/config.json");
        int vaeFactor = 8;
        if (vae.contains("block_out_channels") && vae["block_out_channels"].is_array() &&
            !vae["block_out_channels"].empty()) {
            if (vae["block_out_channels"].size() > 8)  // 1 << 8 keeps sample_size * factor small
                throw ModelError(where + "vae/config.json: more than 8 block_out_channels");
            vaeFactor = 1 << (static_cast<int>(vae["block_out_channels"].size()) - 1);
        }
        if (vae.contains("scaling_factor") && vae["scaling_factor"].is_number())
            m_info.scaleFactor = vae["scaling_factor"].get<double>();
        if (unet.contains("sample_size") && unet["sample_size"].is_number_integer())
            m_info.settings.imageSize =
                configCount(unet["sample_size"], where, "unet/config.json: sample_size") *
                vaeFactor;

        const nlohmann::json text = config("text_encoder/config.json");
        if (text.contains("num_attention_heads") && text["num_attention_heads"].is_number_integer())
            m_info.settings.textHeads =
                configCount(text["num_attention_heads"], where,
                            "text_encoder/config.json: num_attention_heads");
        if (text.contains("hidden_act") && text["hidden_act"].is_string()) {
            const std::string act = text["hidden_act"].get<std::string>();
            if (act != "quick_gelu" && act != "gelu")
                throw ModelError(where + "text_encoder/config.json: hidden_act '" + act +
                                 "' is neither quick_gelu (SD 1) nor gelu (SD 2)");
            m_info.textQuickGelu = act == "quick_gelu";
        }

        const nlohmann::json scheduler = config("scheduler/scheduler_config.json");
        if (scheduler.contains("prediction_type")) {
            const std::string p = scheduler["prediction_type"].get<std::string>();
            if (p == "epsilon")
                m_info.settings.prediction = PredictionType::Eps;
            else if (p == "v_prediction")
                m_info.settings.prediction = PredictionType::V;
            else
                throw ModelError(where + "scheduler prediction_type '" + p +
                                 "' is not supported (epsilon or v_prediction)");
        }
        const std::string schedule = scheduler.value("beta_schedule", std::string("scaled_linear"));
        const double start = scheduler.value("beta_start", 0.00085);
        const double end = scheduler.value("beta_end", 0.012);
        const int steps = scheduler.value("num_train_timesteps", 1000);
        if (schedule != "scaled_linear" || std::abs(start - 0.00085) > 1e-9 ||
            std::abs(end - 0.012) > 1e-9 || steps != 1000)
            throw ModelError(where + "the scheduler's training schedule is " + schedule + " " +
                             std::to_string(start) + ".." + std::to_string(end) + " over " +
                             std::to_string(steps) + " steps; InfoLens knows only SD's " +
                             "scaled_linear 0.00085..0.012 over 1000 steps");

        const nlohmann::json special = config("tokenizer/special_tokens_map.json");
        if (special.contains("pad_token")) {
            const nlohmann::json& pad = special["pad_token"];
            const std::string token =
                pad.is_string() ? pad.get<std::string>() : pad.value("content", std::string());
            if (token == "<|endoftext|>")
                m_info.padId = 49407;
            else if (token == "!")
                m_info.padId = 0;
            else
                throw ModelError(where + "tokenizer pad token '" + token +
                                 "' is neither <|endoftext|> (SD 1) nor ! (SD 2)");
        }
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(where + "a config file has an unexpected value: " + e.what());
    }
    addComponent("unet", kUNetPrefix);
    addComponent("vae", kVaePrefix);
    addComponent("text_encoder", kTextPrefix);
}

bool SdDiffusersWeights::has(const std::string& name) const {
    return m_entries.count(name) != 0;
}

std::vector<int64_t> SdDiffusersWeights::shape(const std::string& name) const {
    const auto it = m_entries.find(name);
    if (it == m_entries.end())
        throwMissing(name);
    return it->second.shape;
}

std::vector<std::string> SdDiffusersWeights::namesWithPrefix(const std::string& prefix) const {
    std::vector<std::string> names;
    for (auto it = m_entries.lower_bound(prefix);
         it != m_entries.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
        names.push_back(it->first);
    return names;
}

torch::Tensor SdDiffusersWeights::read(const std::string& name, const Placement& placement) const {
    const Entry& e = m_entries.at(name);
    return readSafeTensor(*e.file, *e.tensor, placement, e.shape);
}

}  // namespace infolens
