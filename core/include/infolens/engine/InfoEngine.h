#pragma once

#include <torch/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "infolens/engine/InfoPlan.h"
#include "infolens/engine/LogSnrProposal.h"
#include "infolens/engine/LogSnrSampler.h"
#include "infolens/model/TextEncoder.h"

namespace infolens {

class Denoiser;

struct EngineSettings {
    int samples = 128;  // draws of (a, eps) for the image
    // Rows per denoiser call (at most the denoiser's preferredBatchRows()); conditions of a draw
    // are split only beyond it.
    int maxBatch = 64;
    SamplerKind sampler = SamplerKind::Stratified;
    int replicas = 8;   // independent randomisations used for standard errors
    double clip = 3.0;  // k of the truncated logistic proposal
    // Unset: the denoiser's preferredProposal(). The reference recipe is Logistic.
    std::optional<ProposalKind> proposal;
    std::uint64_t seed = 0;
    // Index of the first draw in the (seed, sampler) sequence. Runs that continue one sequence
    // (consecutive offsets) are stratified together, e.g. many data points of one expectation.
    std::int64_t firstDraw = 0;
    // Draws in the first batch (0 = as many as fit in maxBatch): a small first batch makes the
    // first progressive snapshot arrive sooner. Results do not depend on batching.
    int firstBatchDraws = 0;
    // Batches after the first end on a multiple of this many draws (the live worker passes the
    // replica count, so that its convergence checks see equal draws per replica).
    int drawAlignment = 1;
    bool standardMaps = false;  // also keep per-pixel i_s maps
    bool keepIntegrand = true;  // keep the per-draw integrand samples
};

struct Estimate {
    double value = 0.0;  // nats
    double se = 0.0;     // standard error, nats
};

// One draw's contribution to a pair: the log-SNR, its importance weight and the unweighted
// integrands 1/2 ||d||^2 (orthogonal) and 1/2 (||eps - e2||^2 - ||eps - e1||^2) (standard).
struct IntegrandSample {
    double logSnr = 0.0;
    double weight = 0.0;
    double orthogonal = 0.0;
    double standard = 0.0;
};

struct PairResult {
    InfoPair pair;
    Estimate io;            // orthogonal estimator i_o
    Estimate is;            // standard estimator i_s
    torch::Tensor ioMap;    // [H, W] float64, nats per pixel; sums to io.value
    torch::Tensor ioMapSe;  // [H, W] float64, per-pixel standard error
    torch::Tensor isMap;    // [H, W] float64 when EngineSettings::standardMaps, else undefined
    std::vector<IntegrandSample> integrand;
    // Draws behind this pair's numbers: the first `draws` of the run. Fewer than the run's when
    // the pair was retired (InfoEngine::retirePair) once it had converged.
    int draws = 0;
    bool retired = false;
};

// A progress report. Immutable once published: tensors are owned copies.
struct Snapshot {
    int drawsDone = 0;
    int drawsTotal = 0;
    std::int64_t evaluations = 0;  // denoiser rows evaluated so far
    std::int64_t reusedRows = 0;   // rows taken from the prediction cache instead
    int batches = 0;
    int batchRows = 0;  // denoiser rows per call in the last batch (halved after out-of-memory)
    std::vector<std::string> notices;  // e.g. "out of memory at 16 rows; continuing with 8"
    bool cancelled = false;
    bool finished = false;
    ProposalKind proposal = ProposalKind::Logistic;  // the log-SNR density the draws came from
    std::vector<std::string> conditions;
    std::vector<PairResult> pairs;
    // How well the unconditional model ("" condition) explains the image: its negative
    // log-likelihood in the eps form of Kong et al. 2023, truncated to the proposal's log-SNR
    // range [lo, hi] (tails dropped), with the same draws and weights as the pairs:
    //   -log p(x) ~= d/2 log(2 pi e) + 1/2 int_lo^hi (||eps - epsHat(z, a, "")||^2 - d sig(a)) da.
    // Available when the plan has the "" condition; covers the draws while any active pair used
    // it (a prefix of the run). nullNll is in nats for the whole x; bits per dimension divide it
    // by d ln 2 (d = elements of x, latent dimensions for a latent model).
    bool nullAvailable = false;
    int nullDraws = 0;
    Estimate nullNll;
    double nullBitsPerDim = 0.0;
    double nullBitsPerDimSe = 0.0;
};

// Cancellation shared between the caller and a running computation; checked before every
// denoiser call.
class CancelToken {
  public:
    void cancel() { m_cancelled.store(true, std::memory_order_release); }
    bool cancelled() const { return m_cancelled.load(std::memory_order_acquire); }
    void reset() { m_cancelled.store(false, std::memory_order_release); }

  private:
    std::atomic<bool> m_cancelled{false};
};

using ProgressCallback = std::function<void(const Snapshot&)>;

// Computes the information quantities of a plan for one image with the model's own denoiser.
// All conditions of a draw share (a, eps, z) (common random numbers) and go through one batched
// call. Text encodings are cached per prompt string across runs. Not thread-safe: one engine
// belongs to one thread (the worker that owns the model).
class InfoEngine {
  public:
    InfoEngine(std::shared_ptr<Denoiser> denoiser, std::shared_ptr<TextEncoder> encoder);

    // x: the data the denoiser works on, [C, H, W]. The callback (optional) receives a snapshot
    // after every batch; the token (optional) is checked before each denoiser call.
    Snapshot run(const torch::Tensor& x, const InfoPlan& plan, const EngineSettings& settings,
                 const ProgressCallback& progress = {}, const CancelToken* cancel = nullptr);

    const TextEncoding& encoding(const std::string& prompt);
    void clearTextCache() { m_textCache.clear(); }
    std::size_t textCacheSize() const { return m_textCache.size(); }

    // Only from the progress callback of a running run: the pair's numbers freeze at the draws
    // done so far, and its conditions leave later batches unless an active pair still needs them.
    // The run finishes once every pair is retired. Cleared at the start of every run.
    void retirePair(std::size_t pairIndex);

    // Keeps up to `bytes` of denoiser predictions per (condition, draw) for the image, seed and
    // sampler of the last runs, so that a later run (an edit of the prompt) evaluates only the
    // conditions it has not seen: "" and every unchanged variant are reused. A prediction depends
    // only on (image, condition, draw) because the draw's log-SNR and noise are counter-based.
    // 0 (the default) turns the cache off and frees it.
    void setPredictionCacheBytes(std::size_t bytes);
    std::size_t predictionCacheBytes() const { return m_cache.bytes; }
    std::size_t predictionCacheEntries() const { return m_cache.entries; }

  private:
    struct PredictionCache {
        std::size_t limit = 0;
        std::size_t bytes = 0;
        std::size_t entries = 0;
        std::uint64_t clock = 0;
        // What every entry was computed for; a run with anything else clears the cache.
        torch::Tensor x;
        std::uint64_t seed = 0;
        SamplerKind sampler = SamplerKind::Stratified;
        int replicas = 0;
        double clip = 0.0;
        ProposalKind proposal = ProposalKind::Logistic;
        struct Condition {
            std::unordered_map<std::int64_t, torch::Tensor> byDraw;  // eps [C, H, W]
            std::uint64_t lastUsed = 0;
        };
        std::unordered_map<std::string, Condition> conditions;
        void clear() {
            conditions.clear();
            bytes = 0;
            entries = 0;
        }
    };

    std::shared_ptr<Denoiser> m_denoiser;
    std::shared_ptr<TextEncoder> m_encoder;
    std::unordered_map<std::string, TextEncoding> m_textCache;
    std::vector<bool> m_retired;
    PredictionCache m_cache;
};

// Mean and standard error from replica means (batch means over independent randomisations),
// or from per-draw spread for the iid sampler, where all draws are independent.
Estimate estimateFromDraws(const std::vector<double>& values, const std::vector<int>& replicaOf,
                           int replicas, SamplerKind kind);

}  // namespace infolens
