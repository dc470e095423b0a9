#include "infolens/models/shapes/ShapesTrainer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "infolens/Error.h"
#include "infolens/engine/LogSnrProposal.h"
#include "infolens/engine/LogSnrSampler.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/models/shapes/ShapesModel.h"

namespace infolens {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kAutoencoderStream = 1000000000ULL;
constexpr std::uint64_t kDenoiserStream = 2000000000ULL;
constexpr std::uint64_t kNoiseStream = 3000000000ULL;
constexpr std::uint64_t kInitialWeightsSeed = 67280421310721ULL;  // LibTorch's default CPU seed
constexpr int kScaleExamples = 1024;
constexpr int kEncodeChunk = 256;

using Clock = std::chrono::steady_clock;

struct RunState {
    std::string phase = "autoencoder";
    int step = 0;
    double elapsed = 0.0;
    double latentScale = 1.0;
};

RunState readState(const fs::path& path) {
    RunState s;
    if (!fs::exists(path))
        return s;
    const auto bytes = readFileBytes(path.string());
    try {
        const nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end());
        s.phase = j.at("phase").get<std::string>();
        s.step = j.at("step").get<int>();
        s.elapsed = j.at("elapsed_s").get<double>();
        s.latentScale = j.at("latent_scale").get<double>();
    } catch (const nlohmann::json::exception& e) {
        throw Error("training state '" + path.string() + "' is damaged (" + e.what() +
                    "); remove the work directory to start over");
    }
    return s;
}

void writeState(const fs::path& path, const RunState& s) {
    writeFileAtomically(path.string(), nlohmann::json{{"phase", s.phase},
                                                      {"step", s.step},
                                                      {"elapsed_s", s.elapsed},
                                                      {"latent_scale", s.latentScale}}
                                           .dump(2));
}

std::string formatDuration(double seconds) {
    const int s = static_cast<int>(seconds);
    std::ostringstream out;
    if (s >= 3600)
        out << s / 3600 << "h";
    out << (s % 3600) / 60 << "m" << s % 60 << "s";
    return out.str();
}

torch::Tensor imagesToTensor(const std::vector<TrainingExample>& examples, int size) {
    torch::Tensor batch = torch::empty({static_cast<int64_t>(examples.size()), 3, size, size});
    for (std::size_t i = 0; i < examples.size(); ++i) {
        if (examples[i].rgb.size() != static_cast<std::size_t>(size) * size * 3) {
            throw Error("a training example has the wrong image size");
        }
        batch[static_cast<int64_t>(i)] =
            torch::from_blob(const_cast<std::uint8_t*>(examples[i].rgb.data()), {size, size, 3},
                             torch::kUInt8)
                .permute({2, 0, 1})
                .to(torch::kFloat32)
                .div(127.5)
                .sub(1.0);
    }
    return batch;
}

std::vector<std::int64_t> drawIndices(std::uint64_t seed, int count, int examples) {
    std::mt19937_64 rng(seed);
    std::vector<std::int64_t> indices(static_cast<std::size_t>(count));
    for (auto& i : indices)
        i = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(examples));
    return indices;
}

// Learning rate: linear warm-up, then cosine decay to 10%.
double scheduledLr(double base, int step, int total, int warmup) {
    if (step < warmup)
        return base * (step + 1) / warmup;
    const double progress = static_cast<double>(step - warmup) / std::max(1, total - warmup);
    return base * (0.1 + 0.9 * 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress))));
}

void setLr(torch::optim::Adam& optimizer, double lr) {
    for (auto& group : optimizer.param_groups())
        static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
}

void emaUpdate(torch::nn::Module& ema, const torch::nn::Module& model, double decay) {
    torch::NoGradGuard noGrad;
    auto target = ema.parameters();
    const auto source = model.parameters();
    for (std::size_t i = 0; i < target.size(); ++i)
        target[i].mul_(decay).add_(source[i], 1.0 - decay);
}

void copyParameters(torch::nn::Module& target, const torch::nn::Module& source) {
    torch::NoGradGuard noGrad;
    auto t = target.parameters();
    const auto s = source.parameters();
    for (std::size_t i = 0; i < t.size(); ++i)
        t[i].copy_(s[i]);
}

// Running mean of the loss over the last logging window, with rate and ETA.
class ProgressLog {
  public:
    ProgressLog(std::string phase, int total, int every,
                const std::function<void(const std::string&)>& log)
        : m_phase(std::move(phase)),
          m_total(total),
          m_every(every),
          m_log(log),
          m_start(Clock::now()) {}
    void add(int step, int startStep, double loss, TrainStatus& status) {
        m_sum += loss;
        ++m_count;
        if ((step + 1) % m_every != 0 && step + 1 != m_total)
            return;
        const double mean = m_sum / m_count;
        auto [entry, fresh] = status.losses.try_emplace(m_phase, mean, mean);
        if (!fresh)
            entry->second.second = mean;
        const double seconds = std::chrono::duration<double>(Clock::now() - m_start).count();
        const double rate = (step + 1 - startStep) / std::max(1e-9, seconds);
        std::ostringstream line;
        line << "[" << m_phase << "] step " << step + 1 << "/" << m_total << "  loss " << mean
             << "  " << rate << " steps/s  ETA "
             << formatDuration((m_total - step - 1) / std::max(1e-9, rate));
        m_log(line.str());
        m_sum = 0.0;
        m_count = 0;
    }

  private:
    std::string m_phase;
    int m_total, m_every;
    const std::function<void(const std::string&)>& m_log;
    Clock::time_point m_start;
    double m_sum = 0.0;
    int m_count = 0;
};

}  // namespace

TrainStatus trainShapesModel(const TrainConfig& config, const ExampleSource& source,
                             const std::atomic<bool>& stop,
                             const std::function<void(const std::string&)>& log) {
    const fs::path work(config.workDir);
    fs::create_directories(work);
    const torch::Device device(config.device);
    const fs::path statePath = work / "state.json";
    RunState state = readState(statePath);
    const auto runStart = Clock::now();
    const double elapsedBefore = state.elapsed;
    auto elapsedNow = [&] {
        return elapsedBefore + std::chrono::duration<double>(Clock::now() - runStart).count();
    };
    auto outOfTime = [&] {
        return config.maxMinutes > 0.0 &&
               std::chrono::duration<double>(Clock::now() - runStart).count() >
                   60.0 * config.maxMinutes;
    };

    WordTokenizer tokenizer(config.vocabulary);
    ShapesModelConfig modelConfig = config.model;
    modelConfig.vocabularySize = std::max(modelConfig.vocabularySize, tokenizer.vocabularySize());
    modelConfig.latentScale = state.latentScale;
    // Initial weights come from this seed. LibTorch's default CPU seed is the base so that seed 0
    // reproduces shapes-v1, which was trained before the seed was applied here.
    torch::manual_seed(kInitialWeightsSeed + config.seed);
    ShapesNetworks nets(modelConfig, tokenizer);
    nets.autoencoder->to(device);
    nets.textEncoder->to(device);
    nets.unet->to(device);
    auto parameterCount = [](const torch::nn::Module& m) {
        std::int64_t n = 0;
        for (const torch::Tensor& p : m.parameters())
            n += p.numel();
        return std::to_string(n);
    };
    log("parameters: autoencoder " + parameterCount(*nets.autoencoder) + ", text encoder " +
        parameterCount(*nets.textEncoder) + ", denoiser " + parameterCount(*nets.unet));
    TrainStatus status;

    auto examples = [&](const std::vector<std::int64_t>& indices) {
        std::vector<TrainingExample> out;
        for (const std::int64_t i : indices)
            out.push_back(source(i));
        return out;
    };

    // Phase 1: the autoencoder.
    const fs::path aePath = work / "autoencoder.pt";
    if (fs::exists(aePath))
        loadModuleWeights(nets.autoencoder, aePath.string());
    if (state.phase == "autoencoder") {
        torch::optim::Adam optimizer(nets.autoencoder->parameters(),
                                     torch::optim::AdamOptions(config.aeLr));
        const fs::path optPath = work / "autoencoder_opt.pt";
        if (state.step > 0 && fs::exists(optPath))
            torch::load(optimizer, optPath.string());
        ProgressLog progress("autoencoder", config.aeSteps, config.logEvery, log);
        const int startStep = state.step;
        auto checkpoint = [&] {
            saveAtomically(nets.autoencoder, aePath.string());
            saveAtomically(optimizer, optPath.string());
            state.elapsed = elapsedNow();
            writeState(statePath, state);
        };
        for (; state.step < config.aeSteps; ++state.step) {
            if (stop.load() || outOfTime()) {
                checkpoint();
                status.phase = state.phase;
                status.step = state.step;
                status.elapsedSeconds = state.elapsed;
                log("stopped; checkpoint written, run again to resume");
                return status;
            }
            setLr(optimizer,
                  scheduledLr(config.aeLr, state.step, config.aeSteps, config.warmupSteps));
            const torch::Tensor x =
                imagesToTensor(
                    examples(drawIndices(mixSeed(config.seed, kAutoencoderStream + state.step),
                                         config.aeBatch, config.examples)),
                    modelConfig.imageSize)
                    .to(device);
            const torch::Tensor latents = nets.autoencoder->encode(x);
            const torch::Tensor loss = torch::mse_loss(nets.autoencoder->decode(latents), x) +
                                       1e-4 * latents.square().mean();
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            progress.add(state.step, startStep, loss.item<double>(), status);
            if ((state.step + 1) % config.checkpointEvery == 0)
                checkpoint();
        }
        // Scale latents to unit variance, as Stable Diffusion's scaling factor does.
        {
            torch::NoGradGuard noGrad;
            std::vector<std::int64_t> indices(kScaleExamples);
            for (int i = 0; i < kScaleExamples; ++i)
                indices[i] = i % config.examples;
            const torch::Tensor latents = nets.autoencoder->encode(
                imagesToTensor(examples(indices), modelConfig.imageSize).to(device));
            state.latentScale = 1.0 / latents.std().item<double>();
        }
        saveAtomically(nets.autoencoder, aePath.string());
        state.phase = "denoiser";
        state.step = 0;
        state.elapsed = elapsedNow();
        writeState(statePath, state);
        std::ostringstream line;
        line << "autoencoder done; latent scale " << state.latentScale;
        log(line.str());
    }
    nets.config.latentScale = state.latentScale;

    // Latents and captions of every training example, computed once.
    const fs::path latentPath = work / "latents.pt";
    const fs::path captionPath = work / "captions.txt";
    torch::Tensor allLatents;
    std::vector<std::string> captions;
    if (fs::exists(latentPath) && fs::exists(captionPath)) {
        torch::load(allLatents, latentPath.string());
        std::ifstream in(captionPath);
        for (std::string line; std::getline(in, line);)
            captions.push_back(line);
    }
    if (!allLatents.defined() || allLatents.size(0) != config.examples ||
        static_cast<int>(captions.size()) != config.examples) {
        log("encoding " + std::to_string(config.examples) + " training images to latents");
        torch::NoGradGuard noGrad;
        nets.autoencoder->eval();
        std::vector<torch::Tensor> chunks;
        captions.clear();
        for (int first = 0; first < config.examples; first += kEncodeChunk) {
            std::vector<std::int64_t> indices;
            for (int i = first; i < std::min(config.examples, first + kEncodeChunk); ++i)
                indices.push_back(i);
            const std::vector<TrainingExample> batch = examples(indices);
            for (const TrainingExample& e : batch)
                captions.push_back(e.caption);
            chunks.push_back(
                (nets.autoencoder->encode(imagesToTensor(batch, modelConfig.imageSize).to(device)) *
                 state.latentScale)
                    .cpu());
        }
        allLatents = torch::cat(chunks, 0);
        saveAtomically(allLatents, latentPath.string());
        std::string text;
        for (const std::string& c : captions)
            text += c + "\n";
        writeFileAtomically(captionPath.string(), text);
    }

    // Phase 2: text encoder and denoiser, with an exponential moving average kept for the bundle.
    ShapesNetworks ema(nets.config, tokenizer);
    ema.textEncoder->to(device);
    ema.unet->to(device);
    const fs::path unetPath = work / "denoiser.pt", textPath = work / "text_encoder.pt";
    const fs::path emaUnetPath = work / "denoiser_ema.pt",
                   emaTextPath = work / "text_encoder_ema.pt";
    const fs::path optPath = work / "denoiser_opt.pt";
    // A finished run given a larger --steps continues where it stopped (the cosine schedule is
    // recomputed for the new total), so a model can be trained further without starting over.
    if (state.phase == "done" && state.step < config.steps) {
        log("extending the finished run from step " + std::to_string(state.step) + " to " +
            std::to_string(config.steps));
        state.phase = "denoiser";
    }
    if (state.phase == "denoiser" && fs::exists(unetPath)) {
        loadModuleWeights(nets.unet, unetPath.string());
        loadModuleWeights(nets.textEncoder, textPath.string());
        loadModuleWeights(ema.unet, emaUnetPath.string());
        loadModuleWeights(ema.textEncoder, emaTextPath.string());
    } else if (state.phase == "denoiser") {
        copyParameters(*ema.unet, *nets.unet);
        copyParameters(*ema.textEncoder, *nets.textEncoder);
    }
    // The bundle carries the averaged weights.
    auto exportBundle = [&] {
        ShapesNetworks out(nets.config, tokenizer);
        loadModuleWeights(out.unet, emaUnetPath.string());
        loadModuleWeights(out.textEncoder, emaTextPath.string());
        copyParameters(*out.autoencoder, *nets.autoencoder);
        out.saveBundle(config.bundleDir, config.bundleName);
    };
    if (state.phase == "denoiser") {
        std::vector<torch::Tensor> parameters = nets.unet->parameters();
        for (const torch::Tensor& p : nets.textEncoder->parameters())
            parameters.push_back(p);
        torch::optim::Adam optimizer(parameters, torch::optim::AdamOptions(config.lr));
        if (state.step > 0 && fs::exists(optPath))
            torch::load(optimizer, optPath.string());
        const LogSnrProposal proposal =
            LogSnrProposal::fitToRange(nets.config.logSnrLo, nets.config.logSnrHi);
        ProgressLog progress("denoiser", config.steps, config.logEvery, log);
        const int startStep = state.step;
        auto checkpoint = [&] {
            saveAtomically(nets.unet, unetPath.string());
            saveAtomically(nets.textEncoder, textPath.string());
            saveAtomically(ema.unet, emaUnetPath.string());
            saveAtomically(ema.textEncoder, emaTextPath.string());
            saveAtomically(optimizer, optPath.string());
            state.elapsed = elapsedNow();
            writeState(statePath, state);
        };
        const int64_t c = nets.config.latentChannels, h = nets.config.latentSize();
        for (; state.step < config.steps; ++state.step) {
            if (stop.load() || outOfTime() ||
                (config.stopAtStep > 0 && state.step >= config.stopAtStep)) {
                checkpoint();
                log("stopped at step " + std::to_string(state.step) +
                    "; checkpoint written, run again to resume");
                if (config.exportOnStop) {
                    exportBundle();
                    log("exported the unfinished model (step " + std::to_string(state.step) +
                        ") to " + config.bundleDir);
                }
                status.phase = state.phase;
                status.step = state.step;
                status.elapsedSeconds = state.elapsed;
                return status;
            }
            setLr(optimizer, scheduledLr(config.lr, state.step, config.steps, config.warmupSteps));
            const std::vector<std::int64_t> indices = drawIndices(
                mixSeed(config.seed, kDenoiserStream + state.step), config.batch, config.examples);
            std::mt19937_64 rng(mixSeed(config.seed, kNoiseStream + state.step));
            std::vector<std::string> prompts;
            for (const std::int64_t i : indices) {
                prompts.push_back(unitFromBits(rng()) < config.nullPromptRate ? std::string()
                                                                              : captions[i]);
            }
            auto generator = at::make_generator<at::CPUGeneratorImpl>(rng());
            const torch::Tensor x =
                allLatents.index_select(0, torch::tensor(indices, torch::kLong)).to(device);
            const torch::Tensor eps =
                at::randn({config.batch, c, h, h}, generator, torch::TensorOptions()).to(device);
            std::vector<float> logSnr(static_cast<std::size_t>(config.batch));
            for (float& a : logSnr)
                a = static_cast<float>(proposal.logSnrFromUnit(unitFromBits(rng())));
            const torch::Tensor a = torch::tensor(logSnr).to(device);
            const torch::Tensor alpha = torch::sigmoid(a).sqrt().view({-1, 1, 1, 1});
            const torch::Tensor sigma = torch::sigmoid(-a).sqrt().view({-1, 1, 1, 1});
            const TokenBatch tokens = tokenBatch(tokenizer, prompts, nets.config.maxTokens);
            const torch::Tensor mask = tokens.mask.to(device);
            const torch::Tensor text = nets.textEncoder->forward(tokens.ids.to(device), mask);
            const torch::Tensor predicted =
                nets.unet->forward(alpha * x + sigma * eps, a, text, mask);
            const torch::Tensor loss = torch::mse_loss(predicted, eps);
            optimizer.zero_grad();
            loss.backward();
            torch::nn::utils::clip_grad_norm_(parameters, 1.0);
            optimizer.step();
            emaUpdate(*ema.unet, *nets.unet, config.emaDecay);
            emaUpdate(*ema.textEncoder, *nets.textEncoder, config.emaDecay);
            progress.add(state.step, startStep, loss.item<double>(), status);
            if ((state.step + 1) % config.checkpointEvery == 0)
                checkpoint();
        }
        checkpoint();
        state.phase = "done";
        writeState(statePath, state);
    }

    if (state.phase == "done") {
        exportBundle();
        log("wrote bundle " + config.bundleDir);
    }
    status.phase = state.phase;
    status.step = state.step;
    status.elapsedSeconds = elapsedNow();
    status.finished = state.phase == "done";
    return status;
}

}  // namespace infolens
