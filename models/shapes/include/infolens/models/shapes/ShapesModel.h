#pragma once

#include <torch/serialize.h>

#include <filesystem>
#include <memory>
#include <string>

#include "infolens/Error.h"
#include "infolens/model/Codec.h"
#include "infolens/model/Denoiser.h"
#include "infolens/model/Placement.h"
#include "infolens/model/TextEncoder.h"
#include "infolens/models/shapes/ShapesNets.h"
#include "infolens/text/WordTokenizer.h"

namespace infolens {

struct BundleManifest;

// Manifest kind of ShapesWorld latent-diffusion bundles ("latent-diffusion" before 0.2 still
// loads).
inline constexpr const char* kShapesBundleKind = "shapes-ldm";
inline constexpr const char* kShapesLegacyBundleKind = "latent-diffusion";

// The networks of a latent-diffusion bundle, shared by its Denoiser, TextEncoder and Codec views.
struct ShapesNetworks {
    ShapesNetworks(const ShapesModelConfig& config, WordTokenizer tokenizer);
    ShapesModelConfig config;
    WordTokenizer tokenizer;
    Autoencoder autoencoder;
    TextTransformer textEncoder;
    ShapesUNet unet;
    Placement placement;  // where the networks are (set by fromBundle)

    // Loads config, vocabulary and weights from a verified bundle; a weight file that does not fit
    // the architecture is an infolens::Error naming the file.
    static std::shared_ptr<ShapesNetworks> fromBundle(const BundleManifest& manifest,
                                                      const Placement& placement = {});
    // Writes the bundle files and manifest.json into `directory`.
    void saveBundle(const std::string& directory, const std::string& name) const;
    void eval();
};

class ShapesDenoiser : public Denoiser {
  public:
    explicit ShapesDenoiser(std::shared_ptr<ShapesNetworks> nets) : m_nets(std::move(nets)) {}
    torch::Tensor predict(const torch::Tensor& z, const torch::Tensor& logSnr,
                          const torch::Tensor& cond, const torch::Tensor& condMask) override;
    PredictionType predictionType() const override { return PredictionType::Eps; }
    LogSnrRange trainedLogSnrRange() const override;
    // Uniform over the trained range: on 9 images (111 words) it cut the per-draw variance of
    // every-word CMI to a median 0.42 of the logistic's (docs/results.md, "Proposal").
    ProposalKind preferredProposal() const override { return ProposalKind::Uniform; }
    std::vector<int64_t> dataShape() const override;
    torch::Device device() const override { return m_nets->placement.device; }
    AttentionCapture* attentionCapture() override { return m_nets->unet.get(); }
    ShapesNetworks& networks() { return *m_nets; }

  private:
    std::shared_ptr<ShapesNetworks> m_nets;
};

class ShapesTextEncoder : public TextEncoder {
  public:
    explicit ShapesTextEncoder(std::shared_ptr<ShapesNetworks> nets) : m_nets(std::move(nets)) {}
    Tokenization tokenize(const std::string& prompt) const override;
    TextEncoding encode(const std::string& prompt) override;
    int maxTokens() const override { return m_nets->config.maxTokens - 1; }
    InputIds inputIds(const std::string& prompt) const override;

  private:
    std::shared_ptr<ShapesNetworks> m_nets;
};

// Images [3, H, W] in [0, 1] <-> scaled latents [C, H/4, W/4].
class ShapesCodec : public Codec {
  public:
    explicit ShapesCodec(std::shared_ptr<ShapesNetworks> nets) : m_nets(std::move(nets)) {}
    torch::Tensor encode(const torch::Tensor& image) override;
    torch::Tensor decode(const torch::Tensor& data) override;

  private:
    std::shared_ptr<ShapesNetworks> m_nets;
};

// Loads module weights, turning LibTorch's errors into an infolens::Error naming the file.
template <typename ModuleHolder>
void loadModuleWeights(ModuleHolder& module, const std::string& path) {
    try {
        torch::load(module, path);
    } catch (const c10::Error& e) {
        throw Error("weights '" + path +
                    "' do not fit the model architecture: " + e.what_without_backtrace());
    }
}

// Saves weights (or an optimizer) to a temporary file and renames it, so a crash never leaves a
// half-written checkpoint under the real name.
template <typename Serializable>
void saveAtomically(const Serializable& object, const std::string& path) {
    const std::string tmp = path + ".partial";
    torch::save(object, tmp);
    std::filesystem::rename(tmp, path);
}

// Token ids and mask for a batch of prompts, padded to the longest ([BOS] first).
struct TokenBatch {
    torch::Tensor ids;   // [B, L] int64
    torch::Tensor mask;  // [B, L] float
};
TokenBatch tokenBatch(const WordTokenizer& tokenizer, const std::vector<std::string>& prompts,
                      int maxTokens);

}  // namespace infolens
