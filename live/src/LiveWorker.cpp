#include "infolens/live/LiveWorker.h"
#include "infolens/live/ProcessMemory.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "InterventionJob.h"
#include "LiveAttention.h"
#include "LiveConversion.h"
#include "infolens/Error.h"
#include "infolens/engine/DdimSampler.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/model/ImageTensor.h"
#include "infolens/model/Model.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/model/Placement.h"

namespace infolens {

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

constexpr double kLn2 = 0.69314718055994530942;
// Predictions kept across edits of one image (InfoEngine::setPredictionCacheBytes): 128 draws of
// ~16 conditions of a 4x64x64 float32 latent.
constexpr std::size_t kPredictionCacheBytes = std::size_t{256} << 20;

// Runs a user callback; an exception from it must not end the worker thread.
template <typename Callback, typename Value>
void invokeSafely(const Callback& callback, Value&& value, const char* what) {
    if (!callback)
        return;
    try {
        callback(std::forward<Value>(value));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "infolens: the %s callback threw: %s\n", what, e.what());
    } catch (...) {
        std::fprintf(stderr, "infolens: the %s callback threw\n", what);
    }
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
    struct InterventionJob {
        live::InterventionCall call;
        int next = 0;  // the first request not yet delivered (an interrupted call resumes there)
    };

    const ModelRegistry* registry = nullptr;
    std::string spec;
    ModelPlacementChoice placementChoice;
    ResultCallback onResult;
    GenerateCallback onGenerated;
    ModelCallback onModel;
    int throttleMs;

    std::promise<void> loadedPromise;
    std::shared_future<void> loaded = loadedPromise.get_future().share();
    // Written by the worker before `loadState` leaves Loading; read-only afterwards.
    std::shared_ptr<Model> model;
    ModelSummary summary;
    std::string loadError;
    std::atomic<int> loadState{static_cast<int>(ModelStatus::State::Loading)};

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

    // Interventions (LiveIntervention.h). The pending call waits behind maps and generations;
    // submit() and generate() cancel the running one, which is then queued again to resume.
    std::optional<InterventionJob> pendingIntervention;
    std::shared_ptr<CancelToken> runningIntervention;
    std::atomic<std::uint64_t> interventionGeneration{0};
    // Held while an outcome or progress is checked and delivered, and by intervene() and
    // cancelInterventions() while they change the generation: once they return, no outcome of an
    // older call is delivered. Recursive, so that a callback may call intervene() itself.
    std::recursive_mutex deliveryMutex;
    InterventionCallback onOutcome;                       // guarded by deliveryMutex
    InterventionProgressCallback onInterventionProgress;  // guarded by deliveryMutex

    // Worker-thread state.
    std::unique_ptr<InfoEngine> engine;
    std::shared_ptr<const Image> cachedImage;
    torch::Tensor cachedLatent;
    live::LiveAttention attention;
    std::unique_ptr<live::InterventionRunner> interventionRunner;

    std::thread thread;

    void main();
    bool loadModel();
    bool failLoad(const std::string& why);
    void failRequest(std::uint64_t generation, const std::string& prompt, const std::string& error);
    void runInfo(const InfoJob& job, const std::shared_ptr<CancelToken>& token);
    void runGenerate(const GenerateJob& job, const std::shared_ptr<CancelToken>& token);
    void ensureAttention(const LiveRequest& request, const CancelToken& token);
    void runInterventions(const InterventionJob& job, const std::shared_ptr<CancelToken>& token);
    void deliverOutcome(std::shared_ptr<const InterventionOutcome> outcome);
    void deliver(std::shared_ptr<LiveResult> result) {
        if (result->generation != generation.load())
            return;
        ++resultsDelivered;
        invokeSafely(onResult, std::move(result), "result");
    }
    void reportModel(ModelStatus status) { invokeSafely(onModel, status, "model"); }
};

bool LiveWorker::Impl::failLoad(const std::string& why) {
    loadError = "the model '" + spec + "' could not be loaded: " + why;
    model.reset();
    engine.reset();
    loadState.store(static_cast<int>(ModelStatus::State::Failed));
    // model() promises an infolens::Error whatever the family threw.
    loadedPromise.set_exception(std::make_exception_ptr(ModelError(loadError)));
    reportModel({ModelStatus::State::Failed, loadError, {}});
    return false;
}

bool LiveWorker::Impl::loadModel() {
    ModelStatus status;
    status.message = "loading model '" + spec + "'";
    reportModel(status);
    try {
        // Debian's LibTorch defaults to one thread; the worker is the only heavy user.
        torch::set_num_threads(cpuThreadCount());
        model = registry->load(spec, parsePlacement(placementChoice.device, placementChoice.dtype));
        summary.name = model->name;
        summary.kind = model->kind;
        summary.hash = model->hash;
        summary.directory = model->directory;
        summary.imageWidth = model->imageWidth;
        summary.imageHeight = model->imageHeight;
        summary.maxTokens = model->textEncoder->maxTokens();
        summary.deviceName = deviceName(model->placement.device);
        summary.dtype = dtypeName(model->placement.dtype);
        summary.device = summary.deviceName + ", " + summary.dtype;
        if (model->placement.device.is_cpu())
            summary.device += ", " + std::to_string(torch::get_num_threads()) + " threads";
        summary.sampleImage = model->sample.imagePath;
        summary.samplePrompt = model->sample.prompt;
        engine = std::make_unique<InfoEngine>(model->denoiser, model->textEncoder);
        engine->setPredictionCacheBytes(kPredictionCacheBytes);
    } catch (const std::exception& e) {
        return failLoad(e.what());
    } catch (...) {
        return failLoad("unknown error");
    }
    loadState.store(static_cast<int>(ModelStatus::State::Ready));
    loadedPromise.set_value();
    reportModel({ModelStatus::State::Ready, "", summary});
    return true;
}

void LiveWorker::Impl::failRequest(std::uint64_t gen, const std::string& prompt,
                                   const std::string& error) {
    auto result = std::make_shared<LiveResult>();
    result->generation = gen;
    result->prompt = prompt;
    result->error = error;
    deliver(std::move(result));
}

void LiveWorker::Impl::main() {
    const bool ready = loadModel();
    while (true) {
        std::optional<InfoJob> info;
        std::optional<GenerateJob> gen;
        std::optional<InterventionJob> intervention;
        std::shared_ptr<CancelToken> token;
        {
            std::unique_lock<std::mutex> lock(mutex);
            wake.wait(lock, [&] {
                return stop.load() || pendingInfo || pendingGenerate || pendingIntervention;
            });
            if (stop.load())
                return;
            // Generations, then maps, then interventions: an edit is never stuck behind them.
            if (pendingGenerate) {
                gen.swap(pendingGenerate);
                token = std::make_shared<CancelToken>();
                runningGenerate = token;
            } else if (pendingInfo) {
                info.swap(pendingInfo);
                token = std::make_shared<CancelToken>();
                running = token;
            } else {
                intervention.swap(pendingIntervention);
                token = std::make_shared<CancelToken>();
                runningIntervention = token;
            }
        }
        if (!ready) {
            // Every request gets an answer, even without a model.
            if (info)
                failRequest(info->generation, info->request.prompt, loadError);
            if (gen) {
                auto result = std::make_shared<GenerateResult>();
                result->generation = gen->generation;
                result->prompt = gen->prompt;
                result->seed = gen->seed;
                result->error = loadError;
                if (gen->generation == generateGeneration.load())
                    invokeSafely(onGenerated, std::move(result), "generate");
            }
            if (intervention) {
                const auto& requests = *intervention->call.requests;
                for (std::size_t i = 0; i < requests.size(); ++i) {
                    auto outcome = std::make_shared<InterventionOutcome>();
                    outcome->generation = intervention->call.generation;
                    outcome->index = static_cast<int>(i);
                    outcome->count = static_cast<int>(requests.size());
                    outcome->request = requests[i];
                    outcome->error = loadError;
                    deliverOutcome(std::move(outcome));
                }
            }
        } else {
            if (gen)
                runGenerate(*gen, token);
            if (info)
                runInfo(*info, token);
            if (intervention)
                runInterventions(*intervention, token);
        }
        std::lock_guard<std::mutex> lock(mutex);
        running.reset();
        runningGenerate.reset();
        runningIntervention.reset();
    }
}

void LiveWorker::Impl::runInfo(const InfoJob& job, const std::shared_ptr<CancelToken>& token) {
    const LiveRequest& request = job.request;
    const Clock::time_point start = Clock::now();
    ++runsStarted;
    try {
        if (!model->worksOnImages())
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

        const InfoPlan plan = live::planFor(request, tokens);
        EngineSettings settings;
        settings.samples = std::max(1, request.sampleCap);
        settings.seed = request.seed;
        settings.sampler = request.iidSampler ? SamplerKind::Iid : SamplerKind::Stratified;
        settings.firstBatchDraws = request.firstBatchDraws;
        settings.keepIntegrand = true;
        const int replicas = std::min(settings.replicas, settings.samples);
        settings.drawAlignment = replicas;

        live::ResultContext context;
        context.generation = job.generation;
        context.request = &request;
        context.tokens = &tokens;
        context.replicas = replicas;
        context.sampleCap = settings.samples;
        context.mapHeight = static_cast<int>(cachedLatent.size(1));
        context.mapWidth = static_cast<int>(cachedLatent.size(2));
        context.imagePixelsPerCell = static_cast<double>(model->imageWidth) * model->imageHeight /
                                     (static_cast<double>(context.mapWidth) * context.mapHeight);
        const bool attentionAvailable = model->denoiser->attentionCapture() != nullptr;
        auto toResult = [&](const Snapshot& s) {
            context.elapsedMs = msSince(start);
            auto result = live::resultFrom(s, context);
            result->attentionAvailable = attentionAvailable;
            attention.attach(*result, request.image);
            return result;
        };

        StoppingSettings stopping;
        stopping.targetRelativeSe = request.targetRelativeSe;
        stopping.absoluteSeFloor = request.absoluteSeFloorBits * kLn2;
        stopping.minDraws = request.minDraws;
        stopping.replicas = replicas;
        // Each pair (MI and every word) stops on its own; a stopped pair leaves the batches.
        PerEstimateStopping rule(stopping, plan.pairs().size());
        Clock::time_point lastPublished = start;
        bool publishedAny = false;
        const Snapshot final = engine->run(
            cachedLatent, plan, settings,
            [&](const Snapshot& s) {
                if (job.generation != generation.load() || stop.load()) {
                    token->cancel();
                    return;
                }
                for (const std::size_t pair : rule.observe(s.drawsDone, live::estimatesOf(s)))
                    engine->retirePair(pair);
                if (s.finished || s.drawsDone >= s.drawsTotal)
                    return;  // the final result goes out below
                if (!publishedAny || msSince(lastPublished) >= throttleMs) {
                    publishedAny = true;
                    lastPublished = Clock::now();
                    deliver(toResult(s));
                    // After the first map is out, so that it comes no later for this.
                    ensureAttention(request, *token);
                }
            },
            token.get());
        // Superseded, shutting down, or interrupted by a generation (the UI asks again for the
        // new image): nothing final to report.
        if (job.generation != generation.load() || stop.load() ||
            (final.cancelled && !rule.converged())) {
            ++runsCancelled;
            return;
        }
        ensureAttention(request, *token);  // a run that ended before any snapshot went out
        auto result = toResult(final);
        result->converged = rule.converged();
        // The last check may pass on the final snapshot, after the engine published it.
        std::size_t word = 0;
        for (std::size_t p = 0; p < plan.pairs().size(); ++p) {
            WordResult& w =
                plan.pairs()[p].kind == PairKind::Mi ? result->mi : result->words.at(word++);
            w.converged = rule.converged(p);
        }
        result->finished = true;
        deliver(std::move(result));
    } catch (const std::exception& e) {
        failRequest(job.generation, request.prompt, e.what());
    }
}

void LiveWorker::Impl::ensureAttention(const LiveRequest& request, const CancelToken& token) {
    if (!model->denoiser->attentionCapture() || token.cancelled() ||
        attention.has(request.image, request.prompt, request.seed))
        return;
    try {
        attention.compute(*model, cachedLatent, request.image, request.prompt, request.seed,
                          &token);
    } catch (const Cancelled&) {
        // The map computation stops at its next batch; the next request computes them.
    } catch (const std::exception& e) {
        std::fprintf(stderr, "infolens: no attention maps: %s\n", e.what());
    }
}

void LiveWorker::Impl::deliverOutcome(std::shared_ptr<const InterventionOutcome> outcome) {
    std::lock_guard<std::recursive_mutex> lock(deliveryMutex);
    if (outcome->generation != interventionGeneration.load() || stop.load())
        return;
    invokeSafely(onOutcome, std::move(outcome), "intervention");
}

void LiveWorker::Impl::runInterventions(const InterventionJob& job,
                                        const std::shared_ptr<CancelToken>& token) {
    if (!interventionRunner)
        interventionRunner = std::make_unique<live::InterventionRunner>(model);
    const std::uint64_t generation = job.call.generation;
    live::InterventionSinks sinks;
    sinks.current = [&] { return generation == interventionGeneration.load() && !stop.load(); };
    sinks.deliver = [&](std::shared_ptr<const InterventionOutcome> o) {
        deliverOutcome(std::move(o));
    };
    sinks.progress = [&](const InterventionProgress& p) {
        std::lock_guard<std::recursive_mutex> lock(deliveryMutex);
        if (p.generation == interventionGeneration.load() && !stop.load())
            invokeSafely(onInterventionProgress, p, "intervention progress");
    };
    sinks.throttleMs = throttleMs;
    const std::optional<int> resume =
        live::runInterventionCall(*interventionRunner, job.call, job.next, *token, sinks);
    // Interrupted by a map request or a generation: queue the rest again behind them, unless a
    // newer call (or a cancel) came meanwhile.
    std::lock_guard<std::mutex> lock(mutex);
    if (resume && !stop.load() && generation == interventionGeneration.load() &&
        !pendingIntervention)
        pendingIntervention = InterventionJob{job.call, *resume};
}

void LiveWorker::Impl::runGenerate(const GenerateJob& job,
                                   const std::shared_ptr<CancelToken>& token) {
    auto result = std::make_shared<GenerateResult>();
    result->generation = job.generation;
    result->prompt = job.prompt;
    result->seed = job.seed;
    const Clock::time_point start = Clock::now();
    try {
        if (!model->worksOnImages())
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
    if (job.generation == generateGeneration.load())
        invokeSafely(onGenerated, std::move(result), "generate");
}

LiveWorker::LiveWorker(const ModelRegistry& registry, std::string modelSpec,
                       ResultCallback onResult, GenerateCallback onGenerated, int throttleMs,
                       ModelCallback onModel, ModelPlacementChoice placement)
    : m_impl(std::make_unique<Impl>()) {
    m_impl->placementChoice = std::move(placement);
    m_impl->registry = &registry;
    m_impl->onModel = std::move(onModel);
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
        if (m_impl->runningIntervention)
            m_impl->runningIntervention->cancel();
    }
    m_impl->wake.notify_all();
    m_impl->thread.join();
    // The model's weights were freed on the worker's thread; malloc keeps such pages until told.
    releaseFreedMemory();
}

ModelSummary LiveWorker::model() const {
    m_impl->loaded.get();
    return m_impl->summary;
}

ModelStatus LiveWorker::status() const {
    ModelStatus status;
    status.state = static_cast<ModelStatus::State>(m_impl->loadState.load());
    if (status.state == ModelStatus::State::Ready)
        status.summary = m_impl->summary;
    else if (status.state == ModelStatus::State::Failed)
        status.message = m_impl->loadError;
    else
        status.message = "loading model '" + m_impl->spec + "'";
    return status;
}

PromptAnalysis LiveWorker::analyze(const std::string& prompt) const {
    PromptAnalysis analysis;
    const ModelStatus current = status();
    if (current.state != ModelStatus::State::Ready) {
        analysis.problem = current.state == ModelStatus::State::Loading
                               ? "the model is still loading"
                               : current.message;
        return analysis;
    }
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
        if (m_impl->runningIntervention)
            m_impl->runningIntervention->cancel();  // it resumes after the maps
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
        if (m_impl->runningIntervention)
            m_impl->runningIntervention->cancel();  // it resumes after the generation
        if (m_impl->runningGenerate)
            m_impl->runningGenerate->cancel();
    }
    m_impl->wake.notify_all();
    return generation;
}

void LiveWorker::cancel() {
    cancelMaps();
    cancelGeneration();
}

void LiveWorker::cancelMaps() {
    std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->generation.fetch_add(1);
    m_impl->pendingInfo.reset();
    if (m_impl->running)
        m_impl->running->cancel();
}

void LiveWorker::cancelGeneration() {
    std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->generateGeneration.fetch_add(1);
    m_impl->pendingGenerate.reset();
    if (m_impl->runningGenerate)
        m_impl->runningGenerate->cancel();
}

std::uint64_t LiveWorker::latestGeneration() const {
    return m_impl->generation.load();
}

void LiveWorker::setInterventionCallbacks(InterventionCallback onOutcome,
                                          InterventionProgressCallback onProgress) {
    std::lock_guard<std::recursive_mutex> lock(m_impl->deliveryMutex);
    m_impl->onOutcome = std::move(onOutcome);
    m_impl->onInterventionProgress = std::move(onProgress);
}

std::uint64_t LiveWorker::intervene(std::vector<InterventionRequest> requests) {
    std::uint64_t generation;
    {
        std::lock_guard<std::recursive_mutex> delivery(m_impl->deliveryMutex);
        std::lock_guard<std::mutex> lock(m_impl->mutex);
        generation = m_impl->interventionGeneration.fetch_add(1) + 1;
        m_impl->pendingIntervention = Impl::InterventionJob{
            {generation,
             std::make_shared<const std::vector<InterventionRequest>>(std::move(requests))},
            0};
        if (m_impl->runningIntervention)
            m_impl->runningIntervention->cancel();
    }
    m_impl->wake.notify_all();
    return generation;
}

void LiveWorker::cancelInterventions() {
    std::lock_guard<std::recursive_mutex> delivery(m_impl->deliveryMutex);
    std::lock_guard<std::mutex> lock(m_impl->mutex);
    m_impl->interventionGeneration.fetch_add(1);
    m_impl->pendingIntervention.reset();
    if (m_impl->runningIntervention)
        m_impl->runningIntervention->cancel();
}

std::uint64_t LiveWorker::latestInterventionGeneration() const {
    return m_impl->interventionGeneration.load();
}

WorkerStats LiveWorker::stats() const {
    return {m_impl->runsStarted.load(), m_impl->runsCancelled.load(),
            m_impl->resultsDelivered.load()};
}

}  // namespace infolens
