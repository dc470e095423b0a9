#include "infolens/models/sd/SdModel.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "infolens/Error.h"
#include "infolens/io/Sha256.h"
#include "infolens/model/DataPaths.h"
#include "infolens/models/sd/ClipTextEncoder.h"
#include "infolens/models/sd/ClipTokenizer.h"
#include "infolens/models/sd/SdCheckpoint.h"
#include "infolens/models/sd/SdVae.h"
#include "infolens/text/WordSpans.h"

namespace infolens {

namespace {

constexpr const char* kKind = "stable-diffusion";
constexpr int kTimesteps = 1000;

std::string mergesFile() {
#ifdef INFOLENS_SD_INSTALL_DATA_DIR
    const char* installed = INFOLENS_SD_INSTALL_DATA_DIR;
#else
    const char* installed = nullptr;
#endif
    const std::string dir = findInstalledData(
        installedDataCandidates("INFOLENS_SD_DATA", INFOLENS_SD_SOURCE_DATA_DIR, installed, "sd"),
        "clip-bpe-merges.txt", "CLIP's BPE merges (clip-bpe-merges.txt)");
    return dir + "/clip-bpe-merges.txt";
}

// log(abar_t) - log(1 - abar_t) for t = 0..T-1: the checkpoint's own alphas_cumprod when it has
// one, else SD's schedule (sqrt-linspace(0.00085, 0.012) squared).
std::vector<double> trainedLogSnrs(const SdCheckpoint& ck) {
    std::vector<double> abar;
    if (ck.has("alphas_cumprod")) {
        const torch::Tensor t = ck.tensor("alphas_cumprod", torch::kFloat64);
        if (t.dim() == 1 && t.size(0) == kTimesteps)
            abar.assign(t.data_ptr<double>(), t.data_ptr<double>() + kTimesteps);
    }
    if (abar.empty()) {
        double product = 1.0;
        for (int t = 0; t < kTimesteps; ++t) {
            const double r = std::sqrt(0.00085) +
                             t / (kTimesteps - 1.0) * (std::sqrt(0.012) - std::sqrt(0.00085));
            product *= 1.0 - r * r;
            abar.push_back(product);
        }
    }
    std::vector<double> logSnr;
    for (const double a : abar) {
        if (!(a > 0.0 && a < 1.0))
            throw ModelError("checkpoint '" + ck.path() + "': alphas_cumprod leaves (0, 1)");
        logSnr.push_back(std::log(a) - std::log1p(-a));
    }
    for (std::size_t i = 1; i < logSnr.size(); ++i) {
        if (!(logSnr[i] < logSnr[i - 1]))
            throw ModelError("checkpoint '" + ck.path() + "': alphas_cumprod is not decreasing");
    }
    return logSnr;
}

class SdDenoiser : public Denoiser {
  public:
    SdDenoiser(std::shared_ptr<SdUNet> unet, std::vector<double> logSnrs, int latentSide,
               const SdModelOptions& options)
        : m_unet(std::move(unet)),
          m_logSnrs(std::move(logSnrs)),
          m_side(latentSide),
          m_options(options) {}
    torch::Tensor predict(const torch::Tensor& z, const torch::Tensor& logSnr,
                          const torch::Tensor& cond, const torch::Tensor&) override {
        // Each row keeps its own log-SNR: one fractional timestep per row, never one per batch.
        const torch::Tensor a = logSnr.to(torch::kFloat64).contiguous();
        std::vector<double> t(static_cast<std::size_t>(a.size(0)));
        for (std::size_t i = 0; i < t.size(); ++i)
            t[i] = timestepForLogSnr(m_logSnrs, a.data_ptr<double>()[i]);
        const torch::Tensor steps = torch::tensor(t, torch::kFloat64).to(torch::kFloat32);
        return m_unet->forward(z.to(torch::kFloat32), steps, cond.to(torch::kFloat32));
    }
    PredictionType predictionType() const override { return m_options.prediction; }
    LogSnrRange trainedLogSnrRange() const override {
        return {m_logSnrs.back(), m_logSnrs.front()};
    }
    std::vector<int64_t> dataShape() const override {
        return {m_unet->inChannels(), m_side, m_side};
    }
    int preferredBatchRows() const override { return m_options.batchRows; }

  private:
    std::shared_ptr<SdUNet> m_unet;
    std::vector<double> m_logSnrs;
    int m_side;
    SdModelOptions m_options;
};

// Words are the prompt's word spans; CLIP tokens belong to the word their span lies in.
class SdTextEncoder : public TextEncoder {
  public:
    SdTextEncoder(std::shared_ptr<ClipTextEncoder> encoder, ClipTokenizer tokenizer, int padId)
        : m_encoder(std::move(encoder)), m_tokenizer(std::move(tokenizer)), m_padId(padId) {}

    Tokenization tokenize(const std::string& prompt) const override {
        Tokenization out;
        for (const Span& s : segmentPrompt(prompt)) {
            if (s.isWord) {
                Word w;
                w.text = prompt.substr(s.begin, s.end - s.begin);
                w.span = s;
                out.words.push_back(std::move(w));
            } else {
                out.punctuation.push_back(s);
            }
        }
        for (const ClipToken& t : m_tokenizer.encode(prompt)) {
            Token token;
            token.id = t.id;
            token.begin = t.begin;
            token.end = t.end;
            token.text = prompt.substr(t.begin, t.end - t.begin);
            for (std::size_t w = 0; w < out.words.size(); ++w) {
                if (t.begin >= out.words[w].span.begin && t.end <= out.words[w].span.end) {
                    token.word = static_cast<int>(w);
                    out.words[w].tokens.push_back(static_cast<int>(out.tokens.size()));
                }
            }
            out.tokens.push_back(std::move(token));
        }
        return out;
    }
    TextEncoding encode(const std::string& prompt) override {
        const Tokenization tokens = tokenize(prompt);
        if (static_cast<int>(tokens.tokens.size()) > maxTokens())
            throw Error("the prompt has " + std::to_string(tokens.tokens.size()) +
                        " tokens; the model takes at most " + std::to_string(maxTokens()));
        const std::vector<int> ids = ClipTokenizer::wrap(m_tokenizer.encode(prompt), m_padId);
        const torch::Tensor batch =
            torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), torch::kInt64)
                .view({1, ClipTokenizer::kContextLength});
        TextEncoding encoding;
        encoding.cond = m_encoder->forward(batch)[0].clone();
        // SD attends to all 77 positions, padding included.
        encoding.mask = torch::ones({ClipTokenizer::kContextLength}, torch::kFloat32);
        return encoding;
    }
    int maxTokens() const override { return ClipTokenizer::kContextLength - 2; }

  private:
    std::shared_ptr<ClipTextEncoder> m_encoder;
    ClipTokenizer m_tokenizer;
    int m_padId;
};

class SdCodec : public Codec {
  public:
    SdCodec(std::shared_ptr<SdVae> vae, double scale) : m_vae(std::move(vae)), m_scale(scale) {}
    // The posterior's mean (the deterministic choice; the reference samples), scaled.
    torch::Tensor encode(const torch::Tensor& image) override {
        const torch::Tensor x = (image.to(torch::kFloat32) * 2.0 - 1.0).unsqueeze(0);
        const torch::Tensor moments = m_vae->moments(x);
        return (moments.narrow(1, 0, m_vae->latentChannels()) * m_scale)[0];
    }
    torch::Tensor decode(const torch::Tensor& data) override {
        const torch::Tensor images = m_vae->decode(data.to(torch::kFloat32).unsqueeze(0) / m_scale);
        return ((images[0] + 1.0) * 0.5).clamp(0.0, 1.0);
    }

  private:
    std::shared_ptr<SdVae> m_vae;
    double m_scale;
};

bool endsWith(std::string s, const std::string& suffix) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::shared_ptr<Model> openBuiltin(const std::string& spec) {
    if (spec.rfind("sd:", 0) != 0) {
        if (endsWith(spec, ".safetensors") || endsWith(spec, ".ckpt") || endsWith(spec, ".pt"))
            return openStableDiffusion(spec);
        return nullptr;
    }
    SdModelOptions options;
    const std::string rest = spec.substr(3);
    std::size_t comma = rest.find(',');
    const std::string path = rest.substr(0, comma);
    while (comma != std::string::npos) {
        const std::size_t next = rest.find(',', comma + 1);
        const std::string item = rest.substr(
            comma + 1, next == std::string::npos ? std::string::npos : next - comma - 1);
        const std::size_t eq = item.find('=');
        if (eq == std::string::npos)
            throw Error("model spec '" + spec + "': expected key=value, got '" + item + "'");
        const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
        auto number = [&](int lo, int hi) {
            try {
                std::size_t used = 0;
                const int v = std::stoi(value, &used);
                if (used == value.size() && v >= lo && v <= hi)
                    return v;
            } catch (const std::logic_error&) {
            }
            throw Error("model spec '" + spec + "': " + key + " must be " + std::to_string(lo) +
                        ".." + std::to_string(hi));
        };
        if (key == "heads")
            options.unetHeads = {number(1, 256), -1};
        else if (key == "head-channels")
            options.unetHeads = {-1, number(1, 4096)};
        else if (key == "text-heads")
            options.textHeads = number(1, 256);
        else if (key == "image")
            options.imageSize = number(8, 4096);
        else if (key == "prediction" && (value == "eps" || value == "v"))
            options.prediction = value == "v" ? PredictionType::V : PredictionType::Eps;
        else
            throw Error("model spec '" + spec + "': unknown option '" + item +
                        "' (heads, head-channels, text-heads, image, prediction=eps|v)");
        comma = next;
    }
    return openStableDiffusion(path, options);
}

}  // namespace

double timestepForLogSnr(const std::vector<double>& table, double logSnr) {
    // table[t] decreases with t.
    if (logSnr >= table.front())
        return 0.0;
    if (logSnr <= table.back())
        return static_cast<double>(table.size() - 1);
    const auto it = std::lower_bound(table.begin(), table.end(), logSnr, std::greater<double>());
    const std::size_t hi = static_cast<std::size_t>(it - table.begin());  // table[hi] <= logSnr
    const std::size_t lo = hi - 1;
    const double f = (table[lo] - logSnr) / (table[lo] - table[hi]);
    return static_cast<double>(lo) + f;
}

std::shared_ptr<Model> openStableDiffusion(const std::string& path, const SdModelOptions& options) {
    const SdCheckpoint checkpoint(path);
    const ClipTextConfig text = ClipTextEncoder::detect(checkpoint, options.textHeads);
    SdHeads heads = options.unetHeads;
    if (heads.count < 1 && heads.channels < 1)
        heads = text.kind == ClipTextKind::Sd1 ? SdHeads{8, -1} : SdHeads{-1, 64};
    auto unet = std::make_shared<SdUNet>(checkpoint, heads);
    auto vae = std::make_shared<SdVae>(checkpoint);
    if (unet->contextDim() != text.width)
        throw ModelError(
            "checkpoint '" + path + "': the UNet attends to " + std::to_string(unet->contextDim()) +
            "-wide text but the text encoder is " + std::to_string(text.width) + " wide");
    if (options.imageSize % (vae->downsampling() * unet->sideMultiple()) != 0)
        throw Error("image size " + std::to_string(options.imageSize) + " is not a multiple of " +
                    std::to_string(vae->downsampling() * unet->sideMultiple()));
    const int latentSide = options.imageSize / vae->downsampling();

    auto model = std::make_shared<Model>();
    model->kind = kKind;
    model->name =
        std::string(text.kind == ClipTextKind::Sd1 ? "SD 1.x " : "SD 2.x ") +
        path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
    model->hash = sha256FileHex(path);
    model->imageWidth = model->imageHeight = options.imageSize;
    model->denoiser =
        std::make_shared<SdDenoiser>(unet, trainedLogSnrs(checkpoint), latentSide, options);
    model->textEncoder = std::make_shared<SdTextEncoder>(
        std::make_shared<ClipTextEncoder>(checkpoint, text),
        ClipTokenizer::fromMergesFile(mergesFile()),
        text.kind == ClipTextKind::Sd1 ? ClipTokenizer::kEndOfText : 0);
    model->codec = std::make_shared<SdCodec>(vae, options.scaleFactor);
    return model;
}

void registerSdFamily(ModelRegistry& registry) {
    ModelFamily family;
    family.name = kKind;
    family.openBuiltin = openBuiltin;
    family.openBundle = [](const BundleManifest& manifest) -> std::shared_ptr<Model> {
        throw ModelError("model bundle '" + manifest.directory +
                         "': open Stable Diffusion from its .safetensors file");
    };
    family.builtinHelp = "a Stable Diffusion .safetensors file";
    registry.add(std::move(family));
}

}  // namespace infolens
