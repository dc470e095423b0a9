#include "LiveAttention.h"

#include <torch/torch.h>

#include "infolens/engine/AttentionMaps.h"
#include "infolens/model/Model.h"

namespace infolens::live {

namespace {

// Single denoiser passes averaged per map: one batched call on the bundled model.
constexpr int kAttentionPasses = 8;

}  // namespace

bool LiveAttention::has(const std::shared_ptr<const Image>& image, const std::string& prompt,
                        std::uint64_t seed) const {
    return m_valid && image == m_image && prompt == m_prompt && seed == m_seed;
}

void LiveAttention::compute(Model& model, const torch::Tensor& latent,
                            const std::shared_ptr<const Image>& image, const std::string& prompt,
                            std::uint64_t seed, const CancelToken* cancel) {
    m_valid = false;
    m_words.clear();
    AttentionSettings settings;
    settings.passes = kAttentionPasses;
    settings.seed = seed;
    const AttentionMaps maps = computeAttentionMaps(*model.denoiser, *model.textEncoder, latent,
                                                    prompt, settings, 0, 0, cancel);
    for (int64_t w = 0; w < maps.words.size(0); ++w) {
        torch::Tensor map = maps.words[w].to(torch::kFloat64);
        const double total = map.sum().item<double>();
        // A word whose tokens were cut at the context length has no attention at all.
        if (total > 0.0)
            map = map / total;
        const torch::Tensor f = map.to(torch::kFloat32).contiguous();
        m_words.emplace_back(f.data_ptr<float>(), f.data_ptr<float>() + f.numel());
    }
    m_image = image;
    m_prompt = prompt;
    m_seed = seed;
    m_valid = true;
}

void LiveAttention::attach(LiveResult& result, const std::shared_ptr<const Image>& image) const {
    if (!has(image, result.prompt, result.seed))
        return;
    for (std::size_t w = 0; w < result.words.size() && w < m_words.size(); ++w)
        result.words[w].attention = m_words[w];
}

}  // namespace infolens::live
