#pragma once

#include <torch/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "infolens/io/SafeTensors.h"
#include "infolens/models/sd/SdWeights.h"

namespace infolens {

// A validated single-file .safetensors checkpoint in LDM naming. Pickle checkpoints (.ckpt, .pt)
// are refused: loading them can execute code. A file that holds only the EMA copy of the UNet
// (`model_ema.diffusion_modelinput_blocks00weight`: the LDM name with its dots removed,
// ldm/modules/ema.py) has those names mapped back to
// `model.diffusion_model.input_blocks.0.0.weight`.
class SdCheckpoint : public SdWeights {
  public:
    // Throws FormatError/IoError for a bad file, ModelError for a .ckpt/.pt (with how to convert).
    explicit SdCheckpoint(const std::string& path);

    [[nodiscard]] const std::string& path() const override { return m_file->path(); }
    [[nodiscard]] bool has(const std::string& name) const override;
    [[nodiscard]] std::vector<int64_t> shape(const std::string& name) const override;
    [[nodiscard]] std::vector<std::string> namesWithPrefix(
        const std::string& prefix) const override;
    [[nodiscard]] const SafeTensorsFile& file() const { return *m_file; }
    // True when the UNet was taken from the file's EMA copy.
    [[nodiscard]] bool usesEma() const { return !m_emaNames.empty(); }

  protected:
    [[nodiscard]] torch::Tensor read(const std::string& name,
                                     const Placement& placement) const override;

  private:
    const TensorInfo* find(const std::string& name) const;

    std::shared_ptr<SafeTensorsFile> m_file;
    std::map<std::string, std::string> m_emaNames;  // LDM name -> name in the file
};

// One stored tensor as a torch tensor of `shape` (same element count; empty: as stored),
// converted to the placement's dtype and device. Copied through a fresh aligned CPU buffer of the
// stored dtype: the mapped data may start at any offset.
[[nodiscard]] torch::Tensor readSafeTensor(const SafeTensorsFile& file, const TensorInfo& info,
                                           const Placement& placement,
                                           const std::vector<int64_t>& shape = {});

// The LDM name of an EMA key ("model_ema.diffusion_modelinput_blocks00weight" ->
// "model.diffusion_model.input_blocks.0.0.weight"), or "" when it is not a UNet name this parser
// knows. Exposed for tests.
[[nodiscard]] std::string ldmNameOfEmaKey(const std::string& emaKey);

}  // namespace infolens
