#pragma once

#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "infolens/io/SafeTensors.h"

namespace infolens {

// A validated .safetensors checkpoint from which the SD networks take their weights by name,
// converted to the run dtype and device as they are read. Pickle checkpoints (.ckpt, .pt) are
// refused: loading them can execute code.
class SdCheckpoint {
  public:
    // Throws FormatError/IoError for a bad file, ModelError for a .ckpt/.pt (with how to convert).
    explicit SdCheckpoint(const std::string& path);

    [[nodiscard]] const std::string& path() const { return m_file->path(); }
    [[nodiscard]] bool has(const std::string& name) const;
    // The tensor in `dtype`; throws ModelError naming the file and the missing key, or a shape
    // that differs from `expectedShape` when one is given.
    [[nodiscard]] torch::Tensor tensor(const std::string& name,
                                       torch::ScalarType dtype = torch::kFloat32,
                                       const std::vector<int64_t>& expectedShape = {}) const;
    // Names that start with `prefix`, sorted.
    [[nodiscard]] std::vector<std::string> namesWithPrefix(const std::string& prefix) const;

  private:
    std::shared_ptr<SafeTensorsFile> m_file;
};

}  // namespace infolens
