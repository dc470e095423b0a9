#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "infolens/models/sd/SdWeights.h"

namespace infolens {

// Full-size Stable Diffusion networks with seeded random weights and no file, so speed and memory
// can be measured at real size (`sd1-random`, `sd2-random`):
// - sd1: SD 1.5 (UNet 320 channels, mult 1,2,4,4, 2 res blocks, attention at the first three
//   levels, conv projections, context 768; CLIP ViT-L/14 text, 768 wide, 12 layers);
// - sd2: SD 2.1-base (the same UNet with linear projections and context 1024; OpenCLIP ViT-H/14
//   text, 1024 wide, 24 layers of which SD runs 23);
// - both: the KL autoencoder (4 latent channels, 128 base channels, mult 1,2,4,4, 2 res blocks).
// Each tensor is drawn when it is read, from a generator seeded by the seed and the tensor's name,
// so the values do not depend on the order of reading and nothing is held twice: matrices and
// convolutions N(0, 1/fan_in), embedding tables N(0, 0.02^2), norm weights 1, biases 0.
class SdRandomWeights : public SdWeights {
  public:
    // version 1 or 2.
    explicit SdRandomWeights(int version, std::uint64_t seed = 0);

    [[nodiscard]] const std::string& path() const override { return m_name; }
    [[nodiscard]] bool has(const std::string& name) const override;
    [[nodiscard]] std::vector<int64_t> shape(const std::string& name) const override;
    [[nodiscard]] std::vector<std::string> namesWithPrefix(
        const std::string& prefix) const override;
    // SHA-256 (hex) of the generating parameters: layout, seed and initialisation rule.
    [[nodiscard]] const std::string& hash() const { return m_hash; }
    [[nodiscard]] int version() const { return m_version; }

  protected:
    [[nodiscard]] torch::Tensor read(const std::string& name,
                                     const Placement& placement) const override;

  private:
    std::string m_name;
    int m_version;
    std::uint64_t m_seed;
    std::map<std::string, std::vector<int64_t>> m_shapes;
    std::string m_hash;
};

}  // namespace infolens
