#include "infolens/models/sd/SdCheckpoint.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "infolens/Error.h"

namespace infolens {

namespace {

constexpr const char* kUNetPrefix = "model.diffusion_model.";
constexpr const char* kEmaPrefix = "model_ema.";

std::string lowerExtension(const std::string& path) {
    const std::size_t dot = path.find_last_of('.');
    const std::size_t slash = path.find_last_of('/');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
        return {};
    std::string ext = path.substr(dot);
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

torch::ScalarType storageType(TensorDtype dtype, const std::string& name, const std::string& path) {
    switch (dtype) {
        case TensorDtype::F32:
            return torch::kFloat32;
        case TensorDtype::F16:
            return torch::kFloat16;
        case TensorDtype::BF16:
            return torch::kBFloat16;
        case TensorDtype::F64:
            return torch::kFloat64;
        case TensorDtype::I64:
            return torch::kInt64;
        case TensorDtype::I32:
            return torch::kInt32;
        default:
            throw ModelError("checkpoint '" + path + "': tensor '" + name + "' has dtype " +
                             toString(dtype) + ", which no SD weight uses");
    }
}

bool startsWith(const std::string& s, const std::string& prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::string ldmNameOfEmaKey(const std::string& key) {
    // Module names of the LDM UNet, longest first so that "norm1" wins over "norm" and
    // "out_layers" over "out". Digits after input/output_blocks are the block index then one
    // digit of module index (a block holds at most 3 modules); elsewhere indices are one digit.
    static const std::array<const char*, 30> kWords = {"transformer_blocks",
                                                       "skip_connection",
                                                       "output_blocks",
                                                       "input_blocks",
                                                       "middle_block",
                                                       "emb_layers",
                                                       "out_layers",
                                                       "time_embed",
                                                       "in_layers",
                                                       "proj_out",
                                                       "proj_in",
                                                       "to_out",
                                                       "weight",
                                                       "attn1",
                                                       "attn2",
                                                       "norm1",
                                                       "norm2",
                                                       "norm3",
                                                       "bias",
                                                       "conv",
                                                       "norm",
                                                       "proj",
                                                       "to_q",
                                                       "to_k",
                                                       "to_v",
                                                       "net",
                                                       "out",
                                                       "ff",
                                                       "op",
                                                       "diffusion_model"};
    const std::string head = std::string(kEmaPrefix) + "diffusion_model";
    if (!startsWith(key, head))
        return {};
    std::string out = "model.diffusion_model";
    std::size_t i = head.size();
    std::string previous;
    while (i < key.size()) {
        if (std::isdigit(static_cast<unsigned char>(key[i]))) {
            std::size_t j = i;
            while (j < key.size() && std::isdigit(static_cast<unsigned char>(key[j])))
                ++j;
            const std::string digits = key.substr(i, j - i);
            if (previous == "input_blocks" || previous == "output_blocks") {
                if (digits.size() < 2)
                    return {};
                out += "." + digits.substr(0, digits.size() - 1) + "." + digits.back();
            } else {
                for (const char d : digits)
                    out += std::string(".") + d;
            }
            previous = digits;
            i = j;
            continue;
        }
        bool matched = false;
        for (const char* word : kWords) {
            const std::string w = word;
            if (key.compare(i, w.size(), w) == 0) {
                out += "." + w;
                previous = w;
                i += w.size();
                matched = true;
                break;
            }
        }
        if (!matched)
            return {};
    }
    return previous == "weight" || previous == "bias" ? out : std::string();
}

SdCheckpoint::SdCheckpoint(const std::string& path) {
    const std::string ext = lowerExtension(path);
    if (ext == ".ckpt" || ext == ".pt" || ext == ".pth" || ext == ".bin") {
        throw ModelError("'" + path + "' is a pickle checkpoint, which InfoLens does not open: " +
                         "unpickling can run arbitrary code. Convert it to .safetensors once, " +
                         "in an environment you trust (e.g. with the safetensors package: " +
                         "save_file(torch.load(path, map_location='cpu')['state_dict'], " +
                         "'model.safetensors')), or download the .safetensors version.");
    }
    m_file = std::make_shared<SafeTensorsFile>(path);
    // Non-pruned files hold both copies; the plain one is what the file's model ran with. Only a
    // file without it is read from its EMA copy.
    bool plain = false, ema = false;
    for (const TensorInfo& t : m_file->tensors()) {
        plain = plain || startsWith(t.name, kUNetPrefix);
        ema = ema || startsWith(t.name, std::string(kEmaPrefix) + "diffusion_model");
    }
    if (plain || !ema)
        return;
    for (const TensorInfo& t : m_file->tensors()) {
        if (!startsWith(t.name, std::string(kEmaPrefix) + "diffusion_model"))
            continue;
        const std::string ldm = ldmNameOfEmaKey(t.name);
        if (ldm.empty())
            throw ModelError("checkpoint '" + path + "' holds only the EMA copy of the UNet, and " +
                             "its key '" + t.name + "' is not a UNet weight InfoLens can name");
        m_emaNames.emplace(ldm, t.name);
    }
}

const TensorInfo* SdCheckpoint::find(const std::string& name) const {
    if (!m_emaNames.empty()) {
        const auto it = m_emaNames.find(name);
        if (it != m_emaNames.end())
            return m_file->find(it->second);
    }
    return m_file->find(name);
}

bool SdCheckpoint::has(const std::string& name) const {
    return find(name) != nullptr;
}

std::vector<int64_t> SdCheckpoint::shape(const std::string& name) const {
    const TensorInfo* info = find(name);
    if (!info)
        throwMissing(name);
    return info->shape;
}

torch::Tensor SdCheckpoint::read(const std::string& name, const Placement& placement) const {
    return readSafeTensor(*m_file, *find(name), placement);
}

std::vector<std::string> SdCheckpoint::namesWithPrefix(const std::string& prefix) const {
    std::vector<std::string> names;
    for (const TensorInfo& t : m_file->tensors()) {
        if (startsWith(t.name, prefix))
            names.push_back(t.name);
    }
    for (const auto& [ldm, stored] : m_emaNames) {
        if (startsWith(ldm, prefix))
            names.push_back(ldm);
    }
    std::sort(names.begin(), names.end());
    return names;
}

torch::Tensor readSafeTensor(const SafeTensorsFile& file, const TensorInfo& info,
                             const Placement& placement, const std::vector<int64_t>& shape) {
    const torch::ScalarType stored = storageType(info.dtype, info.name, file.path());
    torch::Tensor t = torch::empty(info.shape, torch::TensorOptions().dtype(stored));
    file.copyBytes(info, t.data_ptr());
    if (!shape.empty())
        t = t.view(shape);
    return t.to(placement.device, placement.dtype);
}

}  // namespace infolens
