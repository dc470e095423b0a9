#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "infolens/io/ImageIO.h"
#include "infolens/live/LiveResult.h"

// The prompt's per-word DAAM-style attention maps for live results: computed once per (image,
// prompt, seed) and attached to every snapshot of that image and prompt, so map requests that
// only change word modes or the sample cap reuse them.
namespace infolens {
class CancelToken;
struct Model;
}  // namespace infolens

namespace infolens::live {

class LiveAttention {
  public:
    // Whether the maps for this image (by identity), prompt and seed are at hand.
    [[nodiscard]] bool has(const std::shared_ptr<const Image>& image, const std::string& prompt,
                           std::uint64_t seed) const;
    // Computes them on `latent` (the model's data for `image`), replacing the ones held. Each
    // word's map is normalised to sum 1 over the latent grid. Throws infolens::Cancelled when
    // the token is cancelled (checked before every denoiser call); then nothing is held.
    void compute(Model& model, const torch::Tensor& latent,
                 const std::shared_ptr<const Image>& image, const std::string& prompt,
                 std::uint64_t seed, const CancelToken* cancel);
    // Copies the held maps into the result's words when they are for its image, prompt and seed.
    void attach(LiveResult& result, const std::shared_ptr<const Image>& image) const;

  private:
    std::shared_ptr<const Image> m_image;
    std::string m_prompt;
    std::uint64_t m_seed = 0;
    bool m_valid = false;
    std::vector<std::vector<float>> m_words;  // one per word of the prompt, row-major
};

}  // namespace infolens::live
