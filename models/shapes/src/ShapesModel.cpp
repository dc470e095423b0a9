#include "infolens/models/shapes/ShapesModel.h"

#include <torch/torch.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/model/ModelBundle.h"

namespace infolens {

namespace fs = std::filesystem;

namespace {

// Loads module weights from bytes already in memory: a bundle's weights are read once by
// BundleManifest::readVerifiedFile, hashed, and loaded from those very bytes, so a file swapped
// after its hash was checked is never loaded. LibTorch's errors become an infolens::Error naming
// `nameForErrors`.
template <typename ModuleHolder>
void loadModuleWeightsFromBytes(ModuleHolder& module, const std::vector<unsigned char>& bytes,
                                const std::string& nameForErrors) {
    try {
        torch::load(module, reinterpret_cast<const char*>(bytes.data()), bytes.size());
    } catch (const c10::Error& e) {
        throw Error("weights '" + nameForErrors +
                    "' do not fit the model architecture: " + e.what_without_backtrace());
    }
}

}  // namespace

ShapesNetworks::ShapesNetworks(const ShapesModelConfig& c, WordTokenizer t)
    : config(c), tokenizer(std::move(t)), autoencoder(c), textEncoder(c), unet(c) {
    if (tokenizer.vocabularySize() > config.vocabularySize) {
        throw Error("the vocabulary has more words than the text encoder's embedding table");
    }
}

void ShapesNetworks::eval() {
    autoencoder->eval();
    textEncoder->eval();
    unet->eval();
}

std::shared_ptr<ShapesNetworks> ShapesNetworks::fromBundle(const BundleManifest& manifest,
                                                           const Placement& placement) {
    const std::vector<unsigned char> bytes = manifest.readVerifiedFile("config");
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& e) {
        throw Error("model bundle '" + manifest.directory + "': config is not valid JSON (" +
                    e.what() + ")");
    }
    const std::vector<unsigned char> vocabularyBytes = manifest.readVerifiedFile("vocabulary");
    const std::string vocabulary(vocabularyBytes.begin(), vocabularyBytes.end());
    auto nets = std::make_shared<ShapesNetworks>(
        shapesModelConfigFromJson(json),
        WordTokenizer::fromText(vocabulary, manifest.filePath("vocabulary")));
    // Weights are loaded from the bytes that were hashed (one read per file), never by path.
    loadModuleWeightsFromBytes(nets->autoencoder, manifest.readVerifiedFile("autoencoder"),
                               manifest.filePath("autoencoder"));
    loadModuleWeightsFromBytes(nets->textEncoder, manifest.readVerifiedFile("text_encoder"),
                               manifest.filePath("text_encoder"));
    loadModuleWeightsFromBytes(nets->unet, manifest.readVerifiedFile("denoiser"),
                               manifest.filePath("denoiser"));
    nets->eval();
    nets->placement = placement;
    nets->autoencoder->to(placement.device, placement.dtype);
    nets->textEncoder->to(placement.device, placement.dtype);
    nets->unet->to(placement.device, placement.dtype);
    return nets;
}

void ShapesNetworks::saveBundle(const std::string& directory, const std::string& name) const {
    fs::create_directories(directory);
    const fs::path dir(directory);
    writeFileAtomically((dir / "config.json").string(), toJson(config).dump(2) + "\n");
    tokenizer.save((dir / "vocab.txt").string());
    saveAtomically(autoencoder, (dir / "autoencoder.pt").string());
    saveAtomically(textEncoder, (dir / "text_encoder.pt").string());
    saveAtomically(unet, (dir / "denoiser.pt").string());
    BundleManifest m;
    m.directory = directory;
    m.kind = kShapesBundleKind;
    m.name = name;
    m.imageWidth = m.imageHeight = config.imageSize;
    m.imageChannels = 3;
    m.dataShape = {config.latentChannels, config.latentSize(), config.latentSize()};
    m.logSnrRange = {config.logSnrLo, config.logSnrHi};
    m.prediction = PredictionType::Eps;
    m.files = {{"config", {"config.json", ""}},
               {"vocabulary", {"vocab.txt", ""}},
               {"autoencoder", {"autoencoder.pt", ""}},
               {"text_encoder", {"text_encoder.pt", ""}},
               {"denoiser", {"denoiser.pt", ""}}};
    writeBundleManifest(m);
}

TokenBatch tokenBatch(const WordTokenizer& tokenizer, const std::vector<std::string>& prompts,
                      int maxTokens) {
    std::vector<std::vector<int>> all;
    std::size_t longest = 1;
    for (const std::string& prompt : prompts) {
        all.push_back(tokenizer.ids(tokenizer.tokenize(prompt)));
        if (static_cast<int>(all.back().size()) > maxTokens) {
            throw Error("the prompt '" + prompt + "' has " + std::to_string(all.back().size() - 1) +
                        " tokens; the model takes at most " + std::to_string(maxTokens - 1));
        }
        longest = std::max(longest, all.back().size());
    }
    TokenBatch batch;
    batch.ids = torch::full({static_cast<int64_t>(prompts.size()), static_cast<int64_t>(longest)},
                            WordTokenizer::kPad, torch::kLong);
    batch.mask =
        torch::zeros({static_cast<int64_t>(prompts.size()), static_cast<int64_t>(longest)});
    auto ids = batch.ids.accessor<int64_t, 2>();
    auto mask = batch.mask.accessor<float, 2>();
    for (std::size_t b = 0; b < all.size(); ++b) {
        for (std::size_t i = 0; i < all[b].size(); ++i) {
            ids[b][i] = all[b][i];
            mask[b][i] = 1.0f;
        }
    }
    return batch;
}

torch::Tensor ShapesDenoiser::predict(const torch::Tensor& z, const torch::Tensor& logSnr,
                                      const torch::Tensor& cond, const torch::Tensor& condMask) {
    const Placement& p = m_nets->placement;
    return m_nets->unet->forward(z.to(p.device, p.dtype), logSnr.to(p.device, p.dtype),
                                 cond.to(p.device, p.dtype), condMask.to(p.device, p.dtype));
}

LogSnrRange ShapesDenoiser::trainedLogSnrRange() const {
    return {m_nets->config.logSnrLo, m_nets->config.logSnrHi};
}

std::vector<int64_t> ShapesDenoiser::dataShape() const {
    const ShapesModelConfig& c = m_nets->config;
    return {c.latentChannels, c.latentSize(), c.latentSize()};
}

Tokenization ShapesTextEncoder::tokenize(const std::string& prompt) const {
    return m_nets->tokenizer.tokenize(prompt);
}

InputIds ShapesTextEncoder::inputIds(const std::string& prompt) const {
    InputIds out;
    out.ids = m_nets->tokenizer.ids(m_nets->tokenizer.tokenize(prompt));
    out.firstToken = 1;  // after [BOS]
    out.truncated = static_cast<int>(out.ids.size()) > m_nets->config.maxTokens;
    return out;
}

TextEncoding ShapesTextEncoder::encode(const std::string& prompt) {
    torch::NoGradGuard noGrad;
    const TokenBatch batch = tokenBatch(m_nets->tokenizer, {prompt}, m_nets->config.maxTokens);
    TextEncoding encoding;
    const Placement& p = m_nets->placement;
    const torch::Tensor mask = batch.mask.to(p.device, p.dtype);
    encoding.cond = m_nets->textEncoder->forward(batch.ids.to(p.device), mask)[0].clone();
    encoding.mask = mask[0].clone();
    return encoding;
}

torch::Tensor ShapesCodec::encode(const torch::Tensor& image) {
    torch::NoGradGuard noGrad;
    const Placement& p = m_nets->placement;
    const torch::Tensor x = (image.to(p.device, p.dtype) * 2.0 - 1.0).unsqueeze(0);
    return (m_nets->autoencoder->encode(x) * m_nets->config.latentScale)[0];
}

torch::Tensor ShapesCodec::decode(const torch::Tensor& data) {
    torch::NoGradGuard noGrad;
    const torch::Tensor images = m_nets->autoencoder->decode(
        data.to(m_nets->placement.device, m_nets->placement.dtype).unsqueeze(0) /
        m_nets->config.latentScale);
    // Images leave the codec on the CPU in float32, whatever the model's placement.
    return ((images[0].to(torch::kCPU, torch::kFloat32) + 1.0) * 0.5).clamp(0.0, 1.0);
}

}  // namespace infolens
