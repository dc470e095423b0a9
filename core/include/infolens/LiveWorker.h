#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "infolens/ImageIO.h"
#include "infolens/WordSpans.h"

// The live computation behind the app, with no LibTorch in this header so that Qt code can use
// it. One long-lived thread owns the model; the latest request wins.
//
// Thread-safety contract:
// - submit(), generate(), cancel(), tokenize() and model() may be called from any thread.
// - Callbacks run on the worker thread. They receive immutable shared results and must not
//   block for long (the Qt bridge posts them to the UI thread). A result whose generation is not
//   the latest is never delivered, but one may be in flight when a new request is submitted:
//   receivers compare generations too.
// - The destructor stops the current computation within one denoiser batch (or one DDIM step)
//   and joins the thread; no callback runs after it returns.
// - generate() cancels a running map computation (the UI resubmits maps for the new image) and
//   any earlier generation; submit() does not cancel a generation.
namespace infolens {

enum class WordMode { Omit, Placeholder };

struct LiveRequest {
    std::string prompt;
    std::shared_ptr<const Image> image;  // already at the model's size (see fitImage)
    std::vector<WordMode> modes;         // per word of the tokenization; missing = Omit
    std::string placeholder = "_";
    int sampleCap = 128;             // draws of (log-SNR, noise) at most
    double targetRelativeSe = 0.05;  // stop once every word's SE is at most this share of it
    // ...or at most this many bits: a word worth ~0 bits never reaches a relative target.
    double absoluteSeFloorBits = 0.02;
    int minDraws = 16;        // before the convergence test is trusted
    int firstBatchDraws = 3;  // a small first batch, so the first map appears quickly
    std::uint64_t seed = 0;
    bool iidSampler = false;  // default: stratified
};

// One draw of the i_o integrand: information density over log-SNR, in bits per unit log-SNR
// (the area under it is the word's i_o), before importance weighting.
struct IntegrandPoint {
    float logSnr = 0.0f;
    float bitsPerLogSnr = 0.0f;
};

struct WordResult {
    std::string text;  // the word, or the whole prompt for the MI row
    Span span;
    bool unknown = false;
    WordMode mode = WordMode::Omit;
    double bits = 0.0;  // i_o
    double seBits = 0.0;
    double standardBits = 0.0;  // i_s
    double standardSeBits = 0.0;
    std::vector<float> map;    // bits per image pixel, mapWidth x mapHeight; sums to bits/cell
    std::vector<float> mapSe;  // per-pixel standard error, same units
    std::vector<IntegrandPoint> integrand;
};

struct LiveResult {
    std::uint64_t generation = 0;
    std::string prompt;
    // The request's settings, so exports describe the numbers they hold.
    std::uint64_t seed = 0;
    bool iidSampler = false;
    double targetRelativeSe = 0.0;
    std::string placeholder;
    int replicas = 0;
    int drawsDone = 0;
    int sampleCap = 0;
    std::int64_t evaluations = 0;
    double elapsedMs = 0.0;
    double evaluationsPerSecond = 0.0;
    bool finished = false;   // converged or reached the cap
    bool converged = false;  // every SE within the target
    std::string error;       // non-empty when the request failed (nothing else is valid)
    int mapWidth = 0;
    int mapHeight = 0;
    double imagePixelsPerCell = 1.0;  // image pixels covered by one map cell
    WordResult mi;                    // the whole prompt against ""
    std::vector<WordResult> words;    // one per word of the prompt, in order
};

struct GenerateResult {
    std::uint64_t generation = 0;
    std::string prompt;
    std::uint64_t seed = 0;
    Image image;
    double elapsedMs = 0.0;
    std::string error;
};

struct ModelSummary {
    std::string name;
    std::string kind;
    std::string hash;
    std::string directory;
    int imageWidth = 0;
    int imageHeight = 0;
    int maxTokens = 0;
    std::string device;  // e.g. "CPU, 2 threads"
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

    // Starts the worker thread, which loads the model (see loadModel for specs).
    LiveWorker(std::string modelSpec, ResultCallback onResult, GenerateCallback onGenerated = {},
               int throttleMs = 100);
    ~LiveWorker();
    LiveWorker(const LiveWorker&) = delete;
    LiveWorker& operator=(const LiveWorker&) = delete;

    // Waits for the model to load; throws infolens::Error when it failed.
    ModelSummary model() const;
    PromptAnalysis analyze(const std::string& prompt) const;

    // Replaces any pending request and cancels the running one. Returns the request's generation.
    std::uint64_t submit(LiveRequest request);
    std::uint64_t generate(const std::string& prompt, std::uint64_t seed, int steps = 40);
    void cancel();
    std::uint64_t latestGeneration() const;
    WorkerStats stats() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace infolens
