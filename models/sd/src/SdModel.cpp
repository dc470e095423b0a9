#include "infolens/models/sd/SdModel.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

#include "infolens/Error.h"
#include "infolens/io/Sha256.h"
#include "infolens/model/DataPaths.h"
#include "infolens/models/sd/ClipTextEncoder.h"
#include "infolens/models/sd/ClipTokenizer.h"
#include "infolens/models/sd/SdCheckpoint.h"
#include "infolens/models/sd/SdDiffusers.h"
#include "infolens/models/sd/SdRandomWeights.h"
#include "infolens/models/sd/SdVae.h"
#include "infolens/text/WordSpans.h"

namespace infolens {

namespace {

constexpr int kCpuBatchRows = 4;
constexpr int kCudaBatchRows = 32;

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
std::vector<double> trainedLogSnrs(const SdWeights& ck) {
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
        // The table lookup runs on the host (one small copy per call on CUDA).
        const torch::Tensor a = logSnr.to(torch::kCPU, torch::kFloat64).contiguous();
        std::vector<double> t(static_cast<std::size_t>(a.size(0)));
        for (std::size_t i = 0; i < t.size(); ++i) {
            t[i] = timestepForLogSnr(m_logSnrs, a.data_ptr<double>()[i]);
            if (m_options.nearestTimestep)
                t[i] = std::round(t[i]);
        }
        const torch::Tensor steps = torch::tensor(t, torch::kFloat64).to(torch::kFloat32);
        // Inputs may come from the CPU in float32; the UNet moves them to its placement. The
        // result is float32 on the model's device (the engine's arithmetic type).
        return m_unet->forward(z, steps, cond).to(torch::kFloat32);
    }
    PredictionType predictionType() const override {
        return m_options.settings.prediction.value_or(PredictionType::Eps);
    }
    torch::Device device() const override { return m_options.placement.device; }
    LogSnrRange trainedLogSnrRange() const override {
        return {m_logSnrs.back(), m_logSnrs.front()};
    }
    std::vector<int64_t> dataShape() const override {
        return {m_unet->inChannels(), m_side, m_side};
    }
    int preferredBatchRows() const override {
        if (m_options.batchRows > 0)
            return m_options.batchRows;
        return m_options.placement.device.is_cuda() ? kCudaBatchRows : kCpuBatchRows;
    }
    AttentionCapture* attentionCapture() override { return m_unet.get(); }
    std::vector<double> stepLogSnrs() const override { return m_logSnrs; }

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
        encoding.cond = m_encoder->forward(batch)[0].to(torch::kFloat32).clone();
        // SD attends to all 77 positions, padding included.
        encoding.mask = torch::ones({ClipTokenizer::kContextLength},
                                    torch::TensorOptions().device(encoding.cond.device()));
        return encoding;
    }
    int maxTokens() const override { return ClipTokenizer::kContextLength - 2; }
    InputIds inputIds(const std::string& prompt) const override {
        const std::vector<ClipToken> tokens = m_tokenizer.encode(prompt);
        InputIds out;
        out.ids = ClipTokenizer::wrap(tokens, m_padId);
        out.firstToken = 1;  // after the start marker
        out.truncated = static_cast<int>(tokens.size()) > maxTokens();
        return out;
    }

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
        const torch::Tensor moments = m_vae->moments(x).to(torch::kFloat32);
        return (moments.narrow(1, 0, m_vae->latentChannels()) * m_scale)[0];
    }
    // The image comes back on the CPU in float32, whatever the placement.
    torch::Tensor decode(const torch::Tensor& data) override {
        const torch::Tensor images = m_vae->decode(data.to(torch::kFloat32).unsqueeze(0) / m_scale)
                                         .to(torch::kCPU, torch::kFloat32);
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

bool isRandomName(const std::string& s) {
    return s == "sd1-random" || s == "sd2-random";
}

// "sd:SOURCE,key=value,...": the spec's options are the highest-precedence settings.
SdModelOptions parseSpecOptions(const std::string& spec, const std::string& rest,
                                std::string& source) {
    SdModelOptions options;
    std::size_t comma = rest.find(',');
    source = rest.substr(0, comma);
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
        SdSettings& s = options.settings;
        if (key == "heads")
            s.unetHeads = SdHeads{number(1, 256), -1};
        else if (key == "head-channels")
            s.unetHeads = SdHeads{-1, number(1, 4096)};
        else if (key == "text-heads")
            s.textHeads = number(1, 256);
        else if (key == "image")
            s.imageSize = number(8, 4096);
        else if (key == "prediction" && (value == "eps" || value == "v"))
            s.prediction = value == "v" ? PredictionType::V : PredictionType::Eps;
        else if (key == "config" && !value.empty())
            options.configFile = value;
        else if (key == "timesteps" && (value == "nearest" || value == "interpolate"))
            options.nearestTimestep = value == "nearest";
        else
            throw Error("model spec '" + spec + "': unknown option '" + item +
                        "' (heads, head-channels, text-heads, image, prediction=eps|v, "
                        "timesteps=interpolate|nearest, config=FILE)");
        comma = next;
    }
    if (source.empty())
        throw Error("model spec '" + spec + "' names no checkpoint");
    return options;
}

std::shared_ptr<Model> openBuiltin(const std::string& spec, const Placement& placement) {
    if (spec.rfind("sd:", 0) != 0) {
        if (endsWith(spec, ".safetensors") || endsWith(spec, ".ckpt") || endsWith(spec, ".pt") ||
            isRandomName(spec) || isDiffusersFolder(spec)) {
            SdModelOptions options;
            options.placement = placement;
            return openStableDiffusion(spec, options);
        }
        return nullptr;
    }
    std::string source;
    SdModelOptions options = parseSpecOptions(spec, spec.substr(3), source);
    options.placement = placement;
    return openStableDiffusion(source, options);
}

std::string baseName(const std::string& path) {
    std::string p = path;
    while (p.size() > 1 && p.back() == '/')
        p.pop_back();
    const std::size_t slash = p.find_last_of('/');
    return slash == std::string::npos ? p : p.substr(slash + 1);
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

std::shared_ptr<Model> openStableDiffusion(const std::string& source,
                                           const SdModelOptions& options) {
    namespace fs = std::filesystem;
    const Placement& placement = options.placement;
    if (placement.device.is_cpu() && placement.dtype == torch::kFloat16)
        throw Error(
            "float16 on the CPU is not supported for Stable Diffusion (this LibTorch's CPU "
            "kernels lack half-precision convolution and matrix products); use bfloat16 "
            "or float32 on the CPU, or float16 on CUDA");
    std::unique_ptr<SdWeights> weights;
    std::string sidecar, hash, name;
    std::optional<bool> textQuickGelu;
    std::optional<int> padId;
    double scaleFactor = options.scaleFactor;
    SdSettings detected;
    std::error_code error;
    if (isRandomName(source)) {
        auto random = std::make_unique<SdRandomWeights>(source == "sd1-random" ? 1 : 2);
        hash = random->hash();
        name = source;
        weights = std::move(random);
    } else if (fs::is_directory(source, error)) {
        auto folder = std::make_unique<SdDiffusersWeights>(source);
        detected = folder->info().settings;
        textQuickGelu = folder->info().textQuickGelu;
        padId = folder->info().padId;
        if (folder->info().scaleFactor)
            scaleFactor = *folder->info().scaleFactor;
        // Hash of the files' hashes (names included): the same folder gives the same hash.
        std::string digest;
        for (const std::string& file : folder->info().files)
            digest += file + " " + sha256FileHex((fs::path(folder->path()) / file).string()) + "\n";
        hash = sha256Hex(digest);
        sidecar = (fs::path(folder->path()) / "infolens.json").string();
        name = baseName(source);
        weights = std::move(folder);
    } else {
        weights = std::make_unique<SdCheckpoint>(source);
        hash = sha256FileHex(source);
        sidecar = source + ".infolens.json";
        name = baseName(source);
    }
    const SdWeights& w = *weights;

    // Spec > config file > sidecar > the source's configs > the version's rules.
    SdSettings settings = options.settings;
    if (!options.configFile.empty())
        settings.fillFrom(readSdSettingsFile(options.configFile));
    if (!sidecar.empty() && fs::exists(sidecar, error))
        settings.fillFrom(readSdSettingsFile(sidecar));
    settings.fillFrom(detected);

    ClipTextConfig text = ClipTextEncoder::detect(w, settings.textHeads.value_or(0));
    if (textQuickGelu) {
        // A diffusers text encoder: HF naming for both versions, all its layers used.
        text.quickGelu = *textQuickGelu;
        text.kind = *textQuickGelu ? ClipTextKind::Sd1 : ClipTextKind::Sd2;
    }
    SdHeads heads = settings.unetHeads.value_or(SdHeads{});
    if (heads.count < 1 && heads.channels < 1)
        heads = text.kind == ClipTextKind::Sd1 ? SdHeads{8, -1} : SdHeads{-1, 64};
    auto unet = std::make_shared<SdUNet>(w, heads, placement);
    auto vae = std::make_shared<SdVae>(w, placement);
    if (unet->contextDim() != text.width)
        throw ModelError("checkpoint '" + w.path() + "': the UNet attends to " +
                         std::to_string(unet->contextDim()) +
                         "-wide text but the text encoder is " + std::to_string(text.width) +
                         " wide");
    if (unet->inChannels() != vae->latentChannels())
        throw ModelError("checkpoint '" + w.path() + "': the UNet takes " +
                         std::to_string(unet->inChannels()) + " channels (" +
                         (unet->inChannels() == 9 ? "an inpainting model" : "not text-to-image") +
                         ") but the autoencoder has " + std::to_string(vae->latentChannels()));
    const int imageSize = settings.imageSize.value_or(512);
    if (imageSize % (vae->downsampling() * unet->sideMultiple()) != 0)
        throw Error("image size " + std::to_string(imageSize) + " is not a multiple of " +
                    std::to_string(vae->downsampling() * unet->sideMultiple()));
    const int latentSide = imageSize / vae->downsampling();

    SdModelOptions resolved = options;
    resolved.settings = settings;
    auto model = std::make_shared<Model>();
    model->kind = kKind;
    model->name = std::string(text.kind == ClipTextKind::Sd1 ? "SD 1.x " : "SD 2.x ") + name;
    model->hash = hash;
    model->placement = placement;
    model->imageWidth = model->imageHeight = imageSize;
    model->denoiser = std::make_shared<SdDenoiser>(unet, trainedLogSnrs(w), latentSide, resolved);
    model->textEncoder = std::make_shared<SdTextEncoder>(
        std::make_shared<ClipTextEncoder>(w, text, placement),
        ClipTokenizer::fromMergesFile(mergesFile()),
        padId.value_or(text.kind == ClipTextKind::Sd1 ? ClipTokenizer::kEndOfText : 0));
    model->codec = std::make_shared<SdCodec>(vae, scaleFactor);
    return model;
}

void registerSdFamily(ModelRegistry& registry) {
    ModelFamily family;
    family.name = kKind;
    family.openBuiltin = openBuiltin;
    family.openBundle = [](const BundleManifest& manifest,
                           const Placement&) -> std::shared_ptr<Model> {
        throw ModelError("model bundle '" + manifest.directory +
                         "': open Stable Diffusion from its .safetensors file or diffusers folder");
    };
    family.builtinHelp =
        "a Stable Diffusion .safetensors file, diffusers folder or Hugging Face cache folder, "
        "sd1-random, sd2-random, or sd:SOURCE[,heads=N][,head-channels=N][,text-heads=N]"
        "[,image=PX][,prediction=eps|v][,config=FILE]";
    registry.add(std::move(family));
}

}  // namespace infolens
