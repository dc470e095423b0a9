#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infolens/io/SafeTensors.h"
#include "infolens/models/sd/SdSettings.h"
#include "infolens/models/sd/SdWeights.h"

namespace infolens {

// What a diffusers folder's own configs say beyond the weights (SD-NOTES 2.6).
struct SdDiffusersInfo {
    SdSettings settings;  // heads (unet/config.json), text heads, image size, prediction
    std::optional<bool> textQuickGelu;  // text_encoder/config.json hidden_act
    std::optional<int> padId;           // tokenizer/special_tokens_map.json pad_token
    std::optional<double> scaleFactor;  // vae/config.json scaling_factor
    std::vector<std::string> files;     // every file read, for the model's hash
};

// A diffusers Stable Diffusion 1.x/2.x folder (model_index.json; unet/, vae/, text_encoder/ with
// diffusion_pytorch_model[.fp16].safetensors or model[.fp16].safetensors), its tensors answered by
// their LDM names: the UNet's down/mid/up blocks to input/middle/output blocks, the VAE's blocks
// (up blocks reversed) with its mid attention's Linear [C, C] weights as 1x1 convolutions
// [C, C, 1, 1] (old query/key/value/proj_attn and new to_q/to_k/to_v/to_out.0 names), the HF CLIP
// text encoder under `cond_stage_model.transformer.`. Refused with a message: SDXL
// (text_encoder_2/), inpainting or other UNets that do not take 4 channels, schedules other than
// SD's scaled_linear 0.00085..0.012, sharded or pickle weights.
//
// Inside a Hugging Face cache (`models--org--name/snapshots/<hash>/`) the files are symlinks into
// `../../blobs/`: each must resolve to a regular file inside that `models--org--name` folder.
class SdDiffusersWeights : public SdWeights {
  public:
    explicit SdDiffusersWeights(const std::string& folder);

    [[nodiscard]] const std::string& path() const override { return m_folder; }
    [[nodiscard]] bool has(const std::string& name) const override;
    [[nodiscard]] std::vector<int64_t> shape(const std::string& name) const override;
    [[nodiscard]] std::vector<std::string> namesWithPrefix(
        const std::string& prefix) const override;
    [[nodiscard]] const SdDiffusersInfo& info() const { return m_info; }

  protected:
    [[nodiscard]] torch::Tensor read(const std::string& name,
                                     const Placement& placement) const override;

  private:
    struct Entry {
        const SafeTensorsFile* file = nullptr;
        const TensorInfo* tensor = nullptr;
        std::vector<int64_t> shape;  // LDM shape (same element count)
    };
    std::string checkedFile(const std::string& relative) const;
    void addComponent(const std::string& folder, const std::string& ldmPrefix);

    std::string m_folder;
    std::string m_cacheRoot;  // the models--org--name folder, or empty
    SdDiffusersInfo m_info;
    std::vector<std::unique_ptr<SafeTensorsFile>> m_files;
    std::map<std::string, Entry> m_entries;
};

// True when `path` is a folder with a model_index.json, or a Hugging Face cache repo folder
// (models--org--name with refs/main).
[[nodiscard]] bool isDiffusersFolder(const std::string& path);

// For a cache repo folder (models--org--name), the snapshot refs/main names; any other path is
// returned as it is. Throws ModelError when refs/main is unreadable or names no snapshot.
[[nodiscard]] std::string resolveHfCacheRepo(const std::string& path);

// The LDM name of a diffusers UNet or VAE tensor name ("" when the name is not one), given the
// UNet's resnets per down block and which up blocks have attention, or the VAE's level count.
// Exposed for tests.
[[nodiscard]] std::string ldmUNetName(const std::string& name, int layersPerBlock,
                                      const std::vector<bool>& upBlockHasAttention);
[[nodiscard]] std::string ldmVaeName(const std::string& name, int levels);

}  // namespace infolens
