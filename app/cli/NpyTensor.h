#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "infolens/io/Npy.h"

namespace infolens::cli {

// An NPY file (float32 or float64) as a float32 CPU tensor of its own shape.
inline torch::Tensor readNpyTensor(const std::string& path) {
    NpyArray array = readNpyFloat32(path);
    return torch::from_blob(array.values.data(), array.shape, torch::kFloat32).clone();
}

// Writes any tensor as float32 NPY of its own shape (moved to the CPU first).
inline void writeNpyTensor(const std::string& path, const torch::Tensor& tensor) {
    const torch::Tensor t = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    writeNpyFloat32(path, std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel()),
                    t.sizes().vec());
}

inline std::string shapeText(torch::IntArrayRef shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

}  // namespace infolens::cli
