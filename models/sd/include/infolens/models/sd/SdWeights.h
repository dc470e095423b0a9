#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "infolens/model/Placement.h"

namespace infolens {

// Where the SD networks take their weights from, by LDM name (`model.diffusion_model.*`,
// `first_stage_model.*`, `cond_stage_model.*`, SD-NOTES 2.3-2.5) whatever the source calls them:
// a single .safetensors file, a diffusers folder (names and a few shapes mapped), or seeded random
// weights generated on demand. Each tensor is produced when asked for, converted straight to the
// requested dtype and device, so a model never holds more than one copy of its weights.
class SdWeights {
  public:
    virtual ~SdWeights() = default;

    // The file or folder the weights come from, for messages.
    [[nodiscard]] virtual const std::string& path() const = 0;
    [[nodiscard]] virtual bool has(const std::string& name) const = 0;
    // The shape in LDM layout; throws ModelError naming the source when `name` is absent.
    [[nodiscard]] virtual std::vector<int64_t> shape(const std::string& name) const = 0;
    // Names that start with `prefix`, sorted.
    [[nodiscard]] virtual std::vector<std::string> namesWithPrefix(
        const std::string& prefix) const = 0;

    // The tensor in `dtype` on the CPU; throws ModelError naming the source and the missing key,
    // or a shape that differs from `expectedShape` when one is given.
    [[nodiscard]] torch::Tensor tensor(const std::string& name,
                                       torch::ScalarType dtype = torch::kFloat32,
                                       const std::vector<int64_t>& expectedShape = {}) const;
    // The same, converted to the placement's dtype and device.
    [[nodiscard]] torch::Tensor tensor(const std::string& name, const Placement& placement,
                                       const std::vector<int64_t>& expectedShape = {}) const;

  protected:
    // The tensor, known to exist, in `placement`.
    [[nodiscard]] virtual torch::Tensor read(const std::string& name,
                                             const Placement& placement) const = 0;
    [[noreturn]] void throwMissing(const std::string& name) const;
};

}  // namespace infolens
