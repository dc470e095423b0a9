#include "infolens/LiveWorker.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "infolens/DdimSampler.h"
#include "infolens/Error.h"
#include "infolens/ImageTensor.h"
#include "infolens/InfoEngine.h"
#include "infolens/Model.h"

namespace infolens {

namespace {

constexpr double kLn2 = 0.69314718055994530942;
using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::vector<float> scaledCopy(const torch::Tensor& map, double factor) {
    const torch::Tensor f = (map * factor).to(torch::kFloat32).contiguous();
    return {f.data_ptr<float>(), f.data_ptr<float>() + f.numel()};
}

WordResult wordFrom(const PairResult& pair, double pixelsPerCell) {
    WordResult w;
    w.text = pair.pair.label;
    w.span = pair.pair.span;
    w.bits = pair.io.value / kLn2;
    w.seBits = pair.io.se / kLn2;
    w.standardBits = pair.is.value / kLn2;
    w.standardSeBits = pair.is.se / kLn2;
    if (pair.ioMap.defined()) {
        w.map = scaledCopy(pair.ioMap, 1.0 / (kLn2 * pixelsPerCell));
        w.mapSe = scaledCopy(pair.ioMapSe, 1.0 / (kLn2 * pixelsPerCell));
    }
    w.integrand.reserve(pair.integrand.size());
    for (const IntegrandSample& s : pair.integrand) {
        w.integrand.push_back(
            {static_cast<float>(s.logSnr), static_cast<float>(s.orthogonal / kLn2)});
    }
    return w;
}

bool allConverged(const Snapshot& s, double target, double floorBits) {
    for (const PairResult& p : s.pairs) {
        if (!(p.io.se <= std::max(target * std::abs(p.io.value), floorBits * kLn2)))
            return false;
    }
    return true;
}

}  // namespace

struct LiveWorker::Impl {
    struct InfoJob {
        std::uint64_t generation;
        LiveRequest request;
    };
    struct GenerateJob {
        std::uint64_t generation;
        std::string prompt;
        std::uint64_t seed;
        int steps;
    };

    std::string spec;
    ResultCallback onResult;
    GenerateCallback onGenerated;
    int throttleMs;

    std::promise<void> loadedPromise;
    std::shared_future<void> loaded = loadedPromise.get_future().share();
    // Written by the worker before `loaded` is made ready; read-only afterwards.
    std::shared_ptr<Model> model;
    ModelSummary summary;

    std::mutex mutex;
    std::condition_variable wake;
    std::optional<InfoJob> pendingInfo;
    std::optional<GenerateJob> pendingGenerate;
    std::shared_ptr<CancelToken> running;          // token of the map computation in progress
    std::shared_ptr<CancelToken> runningGenerate;  // token of the generation in progress
    std::atomic<std::uint64_t> generation{0};
    std::atomic<std::uint64_t> generateGeneration{0};
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> runsStarted{0}, runsCancelled{0}, resultsDelivered{0};

    // Worker-thread state.
    std::unique_ptr<InfoEngine> engine;
    std::shared_ptr<const Image> cachedImage;
    torch::Tensor cachedLatent;

    std::thread thread;

    void main();
    void runInfo(const InfoJob& job, const std::shared_ptr<CancelToken>& token);
    void runGenerate(const GenerateJob& job, const std::shared_ptr<CancelToken>& token);
    void deliver(std::shared_ptr<LiveResult> result) {
        if (result->generation != generation.load())
            return;
        ++resultsDelivered;
        if (onResult)
            onResult(std::move(result));
    }
};

void LiveWorker::Impl::main() {
    try {
        // Debian's LibTorch defaults to one thread; the worker is the only heavy user.
        torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
        model = loadModel(spec);
        summary.name = model->name;
        summary.kind = model->kind;
        summary.hash = model->hash;
        summary.directory = model->directory;
        summary.imageWidth = model->imageWidth;
        summary.imageHeight = model->imageHeight;
        summary.maxTokens = model->textEncoder->maxTokens();
        summary.device = "CPU, " + std::to_string(torch::get_num_threads()) + " threads";
        engine = std::make_unique<InfoEngine>(model->denoiser, model->textEncoder);
        loadedPromise.set_value();
    } catch (...) {
        loadedPromise.set_exception(std::current_exception());
        return;
    }
    while (true) {
        std::optional<InfoJob> info;
        std::optional<GenerateJob> gen;
        std::shared_ptr<CancelToken> token;
        {
            std::unique_lock<std::mutex> lock(mutex);
            wake.wait(lock, [&] { return stop.load() || pendingInfo || pendingGenerate; });
            if (stop.load())
                return;
            if (pendingGenerate) {
                gen.swap(pendingGenerate);
                token = std::make_shared<CancelToken>();
                runningGenerate = token;
            } else {
                info.swap(pendingInfo);
                token = std::make_shared<CancelToken>();
                running = token;
            }
        }
        if (gen)
            runGenerate(*gen, token);
        if (info)
            runInfo(*info, token);
        std::lock_guard<std::mutex> lock(mutex);
        running.reset();
        runningGenerate.reset();
    }
}

void LiveWorker::Impl::runInfo(const InfoJob& job, const std::shared_ptr<CancelToken>& token) {
    const LiveRequest& request = job.request;
    const Clock::time_point start = Clock::now();
    ++runsStarted;
    auto failure = [&](const std::string& message) {
        auto result = std::make_shared<LiveResult>();
        result->generation = job.generation;
        result->prompt = request.prompt;
        result->error = message;
        deliver(std::move(result));
    };
    try {
        if (!model->codec || model->imageWidth <= 0)
            throw Error("the model '" + model->name + "' does not work on images");
        if (!request.image || request.image->width != model->imageWidth ||
            request.image->height != model->imageHeight) {
            throw Error("the image must be " + std::to_string(model->imageWidth) + "x" +
                        std::to_string(model->imageHeight) + " (fit it first)");
        }
        const Tokenization tokens = model->textEncoder->tokenize(request.prompt);
        const std::string problem =
            promptProblem(request.prompt, tokens, model->textEncoder->maxTokens());
        if (!problem.empty())
            throw Error(problem);
        if (request.image != cachedImage) {
            torch::InferenceMode guard;
            cachedLatent = model->codec->encode(imageToTensor(*request.image));
            cachedImage = request.image;
        }

        InfoPlan plan;
        const int full = plan.addCondition(request.prompt);
        const int null = plan.addCondition("");
        plan.addPair({request.prompt, "mi", full, null, Span{}});
        std::vector<WordMode> modes;
        for (std::size_t i = 0; i < tokens.words.size(); ++i) {
            const Word& word = tokens.words[i];
            const WordMode mode = i < request.modes.size() ? request.modes[i] : WordMode::Omit;
            modes.push_back(mode);
            const std::string variant =
                mode == WordMode::Omit
                    ? omitSpan(request.prompt, word.span)
                    : replaceSpan(request.prompt, word.span, request.placeholder);
            plan.addPair({word.text, "cmi", full, plan.addCondition(variant), word.span});
        }

        EngineSettings settings;
        settings.samples = std::max(1, request.sampleCap);
        settings.seed = request.seed;
        settings.sampler = request.iidSampler ? SamplerKind::Iid : SamplerKind::Stratified;
        settings.firstBatchDraws = request.firstBatchDraws;
        settings.keepIntegrand = true;

        const int mapH = static_cast<int>(cachedLatent.size(1));
        const int mapW = static_cast<int>(cachedLatent.size(2));
        const double pixelsPerCell = static_cast<double>(model->imageWidth) * model->imageHeight /
                                     (static_cast<double>(mapW) * mapH);
        auto toResult = [&](const Snapshot& s) {
            auto result = std::make_shared<LiveResult>();
            result->generation = job.generation;
            result->prompt = request.prompt;
            result->seed = request.seed;
            result->iidSampler = request.iidSampler;
            result->targetRelativeSe = request.targetRelativeSe;
            result->placeholder = request.placeholder;
            result->replicas = std::min(settings.replicas, settings.samples);
            result->drawsDone = s.drawsDone;
            result->sampleCap = settings.samples;
            result->evaluations = s.evaluations;
            result->elapsedMs = msSince(start);
            result->evaluationsPerSecond =
                result->elapsedMs > 0 ? s.evaluations / (result->elapsedMs / 1000.0) : 0.0;
            result->mapWidth = mapW;
            result->mapHeight = mapH;
            result->imagePixelsPerCell = pixelsPerCell;
            for (const PairResult& p : s.pairs) {
                if (p.pair.kind == "mi") {
                    result->mi = wordFrom(p, pixelsPerCell);
                } else {
                    WordResult w = wordFrom(p, pixelsPerCell);
                    const std::size_t i = result->words.size();
                    w.unknown = tokens.words[i].unknown;
                    w.mode = modes[i];
                    result->words.push_back(std::move(w));
                }
            }
            return result;
        };

        bool converged = false;
        Clock::time_point lastPublished = start;
        bool publishedAny = false;
        const Snapshot final = engine->run(
            cachedLatent, plan, settings,
            [&](const Snapshot& s) {
                if (job.generation != generation.load() || stop.load()) {
                    token->cancel();
                    return;
                }
                if (s.drawsDone >= request.minDraws &&
                    allConverged(s, request.targetRelativeSe, request.absoluteSeFloorBits)) {
                    converged = true;
                    token->cancel();
                    return;
                }
                if (s.finished || s.drawsDone >= s.drawsTotal)
                    return;  // the final result goes out below
                if (!publishedAny || msSince(lastPublished) >= throttleMs) {
                    publishedAny = true;
                    lastPublished = Clock::now();
                    deliver(toResult(s));
                }
            },
            token.get());
        // Superseded, shutting down, or interrupted by a generation (the UI asks again for the
        // new image): nothing final to report.
        if (job.generation != generation.load() || stop.load() || (final.cancelled && !converged)) {
            ++runsCancelled;
            return;
        }
        auto result = toResult(final);
        result->converged = converged;
        result->finished = true;
        deliver(std::move(result));
    } catch (const std::exception& e) {
        failure(e.what());
    }
}

void LiveWorker::Impl::runGenerate(const GenerateJob& job,
                                   const std::shared_ptr<CancelToken>& token) {
    auto result = std::make_shared<GenerateResult>();
    result->generation = job.generation;
    result->prompt = job.prompt;
    result->seed = job.seed;
    const Clock::time_point start = Clock::now();
    try {
        if (!model->codec || model->imageWidth <= 0)
            throw Error("the model '" + model->name + "' cannot generate images");
        const Tokenization tokens = model->textEncoder->tokenize(job.prompt);
        if (static_cast<int>(tokens.tokens.size()) > model->textEncoder->maxTokens())
            throw Error("the prompt is longer than the model takes");
        DdimSettings settings;
        settings.steps = std::clamp(job.steps, 1, 50);
        settings.seed = job.seed;
        settings.cancel = token.get();
        const DdimSampler sampler(*model->denoiser, settings);
        torch::InferenceMode guard;
        const torch::Tensor latent =
            sampler.generate(engine->encoding(job.prompt), engine->encoding(""));
        result->image = tensorToImage(model->codec->decode(latent));
    } catch (const Cancelled&) {
        return;  // superseded or shutting down: nothing to report
    } catch (const std::exception& e) {
        result->error = e.what();
    }
    result->elapsedMs = msSince(start);
    if (job.generation == generateGeneration.load() && onGenerated)
        onGenerated(std::move(result));
}

LiveWorker::LiveWorker(std::string modelSpec, ResultCallback onResult, GenerateCallback onGenerated,
                       int throttleMs)
    : m_impl(std::make_unique<Impl>()) {
    m_impl->spec = std::move(modelSpec);
    m_impl->onResult = std::move(onResult);
    m_impl->onGenerated = std::move(onGenerated);
    m_impl->throttleMs = throttleMs;
    m_impl->thread = std::thread([impl = m_impl.get()] { impl->main(); });
}

LiveWorker::~LiveWorker() {
    {
        std::lock_guard<std::mutex> lock(m_impl->mutex);
        m_impl->stop.store(true);
        if (m_impl->running)
            m_impl->running->cancel();
        if (m_impl->runningGenerate)
            m_impl->runningGenerate->cancel();
    }
    m_impl->wake.notify_all();
    m_impl->thread.join();
}

ModelSummary LiveWorker::model() const {
    m_impl->loaded.get();
    return m_impl->summary;
}

PromptAnalysis LiveWorker::analyze(const std::string& prompt) const {
    m_impl->loaded.get();
    PromptAnalysis analysis;
    // The tokenizer is immutable after loading, so this is safe next to a running computation.
    const Tokenization tokens = m_impl->model->textEncoder->tokenize(prompt);
    for (const Word& w : tokens.words)
        analysis.words.push_back({w.text, w.span, w.unknown});
    analysis.tokens = static_cast<int>(tokens.tokens.size());
    analysis.problem = promptProblem(prompt, tokens, m_impl->summary.maxTokens);
    return analysis;
}

std::uint64_t LiveWorker::submit(LiveRequest request) {
    std::uint64_t generation;
    {
        std::lock_guard<std::mutex> lock(m_impl->mutex);
        generation = m_impl->generation.fetch_add(1) + 1;
        m_impl->pendingInfo = Impl::InfoJob{generation, std::move(request)};
        if (m_impl->running)
            m_impl->running->cancel();
    }
    m_impl->wake.notify_all();
    return generation;
}

std::uint64_t LiveWorker::generate(const std::string& prompt, std::uint64_t seed, int steps) {
    std::uint64_t generation;
    {
        std::lock_guard<std::mutex> lock(m_impl->mutex);
        generation = m_impl->generateGeneration.fetch_add(1) + 1;
        m_impl->pendingGenerate = Impl::GenerateJob{generation, prompt, seed, steps};
        if (m_impl->running)
            m_impl->running->cancel();
        if (m_impl->runningGenerate)
            m_impl->runningGenerate->cancel();
    }
    m_impl->wake.notify_all();
    return generation;
}

void LiveWorker::cancel() {
    std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->generation.fetch_add(1);
    m_impl->generateGeneration.fetch_add(1);
    m_impl->pendingInfo.reset();
    m_impl->pendingGenerate.reset();
    if (m_impl->running)
        m_impl->running->cancel();
    if (m_impl->runningGenerate)
        m_impl->runningGenerate->cancel();
}

std::uint64_t LiveWorker::latestGeneration() const {
    return m_impl->generation.load();
}

WorkerStats LiveWorker::stats() const {
    return {m_impl->runsStarted.load(), m_impl->runsCancelled.load(),
            m_impl->resultsDelivered.load()};
}

}  // namespace infolens
