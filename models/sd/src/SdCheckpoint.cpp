#include "infolens/models/sd/SdCheckpoint.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>

#include "infolens/Error.h"

namespace infolens {

namespace {

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

}  // namespace

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
}

bool SdCheckpoint::has(const std::string& name) const {
    return m_file->find(name) != nullptr;
}

torch::Tensor SdCheckpoint::tensor(const std::string& name, torch::ScalarType dtype,
                                   const std::vector<int64_t>& expectedShape) const {
    const TensorInfo* info = m_file->find(name);
    if (!info)
        throw ModelError("checkpoint '" + path() + "' has no tensor '" + name + "'");
    if (!expectedShape.empty() && info->shape != expectedShape) {
        throw ModelError("checkpoint '" + path() + "': tensor '" + name + "' has shape " +
                         c10::str(torch::IntArrayRef(info->shape)) + ", expected " +
                         c10::str(torch::IntArrayRef(expectedShape)));
    }
    const torch::ScalarType stored = storageType(info->dtype, name, path());
    // A fresh, aligned tensor: the mapped file may place the data at any offset.
    torch::Tensor t = torch::empty(info->shape, torch::TensorOptions().dtype(stored));
    m_file->copyBytes(*info, t.data_ptr());
    return t.to(dtype);
}

std::vector<std::string> SdCheckpoint::namesWithPrefix(const std::string& prefix) const {
    std::vector<std::string> names;
    for (const TensorInfo& t : m_file->tensors()) {
        if (t.name.compare(0, prefix.size(), prefix) == 0)
            names.push_back(t.name);
    }
    return names;
}

}  // namespace infolens
