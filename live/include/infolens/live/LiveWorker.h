#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "infolens/io/ImageIO.h"
#include "infolens/live/LiveIntervention.h"
#include "infolens/live/LiveResult.h"

// The live computation behind the app, with no LibTorch in this header so that Qt code can use
// it. One long-lived thread owns the model; the latest request wins.
//
// Thread-safety contract:
// - submit(), generate(), cancel(), analyze(), status() and model() may be called from any thread.
// - The model loads on the worker thread. Requests made while it loads wait for it and are then
//   computed; after a failed load every request is answered with the load error.
// - Callbacks run on the worker thread. They receive immutable shared results and must not
//   block for long (the Qt bridge posts them to the UI thread). A result whose generation is not
//   the latest is never delivered, but one may be in flight when a new request is submitted:
//   receivers compare generations too.
// - The destructor stops the current computation within one denoiser batch (or one DDIM step)
//   and joins the thread; no callback runs after it returns.
// - A callback that throws is reported on stderr and the worker carries on.
// - generate() cancels a running map computation (the UI resubmits maps for the new image) and
//   any earlier generation; submit() does not cancel a generation.
namespace infolens {

class ModelRegistry;

struct LiveRequest {
    std::string prompt;
    std::shared_ptr<const Image> image;  // already at the model's size (see fitImage)
    std::vector<WordMode> modes;         // per word of the tokenization; missing = Omit
    std::string placeholder = "_";
    int sampleCap = 128;             // draws of (log-SNR, noise) at most
    double targetRelativeSe = 0.05;  // stop once every word's SE is at most this share of it
    // ...or at most this many bits: a word worth ~0 bits never reaches a relative target.
    double absoluteSeFloorBits = 0.02;
    int minDraws = 32;        // before the convergence test is trusted (see StoppingRule)
    int firstBatchDraws = 3;  // a small first batch, so the first map appears quickly
    std::uint64_t seed = 0;
    bool iidSampler = false;  // default: stratified
};

struct GenerateResult {
    std::uint64_t generation = 0;
    std::string prompt;
    std::uint64_t seed = 0;
    Image image;
    double elapsedMs = 0.0;
    std::string error;
};

// Where the worker loads its model (see Placement.h for the accepted names).
struct ModelPlacementChoice {
    std::string device = "auto";  // auto, cpu, cuda, cuda:N
    std::string dtype = "float32";
};

struct ModelSummary {
    std::string name;
    std::string kind;
    std::string hash;
    std::string directory;
    int imageWidth = 0;
    int imageHeight = 0;
    int maxTokens = 0;
    std::string device;       // e.g. "cpu, float32, 2 threads" or "cuda:0, float16"
    std::string deviceName;   // "cpu", "cuda:0"
    std::string dtype;        // "float32", "float16", "bfloat16"
    std::string sampleImage;  // the family's default sample (may be empty)
    std::string samplePrompt;
};

// Where the model load stands; the worker reports every change through the model callback.
struct ModelStatus {
    enum class State { Loading, Ready, Failed };
    State state = State::Loading;
    std::string message;   // what is being loaded, or why it failed
    ModelSummary summary;  // valid when Ready
};

struct PromptWord {
    std::string text;
    Span span;
    bool unknown = false;
};

struct PromptAnalysis {
    std::vector<PromptWord> words;
    int tokens = 0;
    std::string problem;  // empty when the prompt can be computed; else why not
};

struct WorkerStats {
    std::int64_t runsStarted = 0;
    std::int64_t runsCancelled = 0;
    std::int64_t resultsDelivered = 0;
};

class LiveWorker {
  public:
    using ResultCallback = std::function<void(std::shared_ptr<const LiveResult>)>;
    using GenerateCallback = std::function<void(std::shared_ptr<const GenerateResult>)>;
    using ModelCallback = std::function<void(const ModelStatus&)>;

    // Starts the worker thread, which loads the model through `registry` (see
    // ModelRegistry::load for specs). The registry must outlive the worker.
    LiveWorker(const ModelRegistry& registry, std::string modelSpec, ResultCallback onResult,
               GenerateCallback onGenerated = {}, int throttleMs = 100, ModelCallback onModel = {},
               ModelPlacementChoice placement = {});
    ~LiveWorker();
    LiveWorker(const LiveWorker&) = delete;
    LiveWorker& operator=(const LiveWorker&) = delete;

    // Waits for the model to load; throws infolens::Error when it failed.
    ModelSummary model() const;
    // Never waits: Loading, Ready (with the summary) or Failed (with the reason).
    ModelStatus status() const;
    // Never waits: while the model loads (or after it failed) the analysis has no words and its
    // problem says why.
    PromptAnalysis analyze(const std::string& prompt) const;

    // Replaces any pending request and cancels the running one. Returns the request's generation.
    std::uint64_t submit(LiveRequest request);
    std::uint64_t generate(const std::string& prompt, std::uint64_t seed, int steps = 40);
    // Cancels the map computation (running and pending) and any generation.
    void cancel();
    // Cancels only the map computation; a generation in progress goes on.
    void cancelMaps();
    // Cancels only the generation (running and pending); its result is never delivered.
    void cancelGeneration();
    std::uint64_t latestGeneration() const;
    WorkerStats stats() const;

    // Prompt interventions (LiveIntervention.h). Outcomes and progress go to these callbacks (on
    // the worker thread, like results); set them before the first intervene().
    using InterventionCallback = std::function<void(std::shared_ptr<const InterventionOutcome>)>;
    using InterventionProgressCallback = std::function<void(const InterventionProgress&)>;
    void setInterventionCallbacks(InterventionCallback onOutcome,
                                  InterventionProgressCallback onProgress = {});
    // Runs the requests in order and delivers one outcome for each as it finishes ("Run all
    // words" is one call with a request per word). Replaces any pending or running intervention
    // call: none of its remaining outcomes is delivered. A map request or a generation submitted
    // meanwhile runs first, between two denoiser calls of the intervention, which then carries on
    // (an edit is never stuck behind a run-all). Returns the call's generation. Once it (or
    // cancelInterventions) returns, no outcome or progress of an older call is delivered: it
    // waits for one being delivered, so an intervention callback must not wait for a thread that
    // calls these (posting to it, as the Qt bridge does, is fine).
    std::uint64_t intervene(std::vector<InterventionRequest> requests);
    // Cancels the running and pending intervention call (within one denoiser call).
    void cancelInterventions();
    std::uint64_t latestInterventionGeneration() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace infolens
