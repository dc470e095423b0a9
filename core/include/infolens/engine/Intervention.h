#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "infolens/engine/AttentionMaps.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/text/WordSpans.h"

namespace infolens {

struct Model;

// Pearson correlation of two equally long samples (maps are flattened). NaN when either is
// constant or they have fewer than two values.
double pearsonR(const std::vector<double>& a, const std::vector<double>& b);
double pearsonR(const torch::Tensor& a, const torch::Tensor& b);

// The statistic on all items, and its bootstrap standard error: the spread of the statistic over
// `resamples` resamples of round(fraction * items) items drawn with replacement (the paper's
// error bars: 100 resamples of 90% of the images). Resamples whose statistic is NaN are skipped.
Estimate bootstrapEstimate(int items,
                           const std::function<double(const std::vector<int>&)>& statistic,
                           int resamples = 100, double fraction = 0.9, std::uint64_t seed = 0);

// SHA-256 of an image tensor's float32 values and shape (the inversion cache's image identity).
std::string tensorHash(const torch::Tensor& tensor);

// The deterministic DDIM inversion of an image's latent under its prompt, and the regeneration
// from that noise under the same prompt (the round trip every edit is compared with).
struct Inversion {
    torch::Tensor latent;            // the image's latent [C, h, w] (on the CPU, float32)
    torch::Tensor noise;             // what DDIM inversion maps it to
    torch::Tensor regenerated;       // the latent regenerated from `noise` under the prompt
    torch::Tensor regeneratedImage;  // [3, H, W] in [0, 1]
    double latentRmse = 0.0;         // regenerated vs latent
    double psnrDb = 0.0;             // regeneratedImage vs the input image
    double psnrDecodedDb = 0.0;      // regeneratedImage vs the decoded latent (no autoencoder loss)
    int steps = 0;
    double guidance = 1.0;
};

// Inversions by (model hash, image hash, prompt, steps, guidance), least recently used first out.
// Not thread-safe: belongs to the thread that owns the model.
class InversionCache {
  public:
    explicit InversionCache(std::size_t capacity = 8) : m_capacity(capacity) {}
    // image: [3, H, W] in [0, 1] at the model's size. Inverts on a miss (the cancel token is
    // checked before and after the inversion and at every regeneration step).
    std::shared_ptr<const Inversion> get(Model& model, const torch::Tensor& image,
                                         const std::string& prompt, int steps, double guidance,
                                         const CancelToken* cancel = nullptr);
    // Whether get() with these arguments would be a hit (counts nothing, moves nothing).
    [[nodiscard]] bool contains(const Model& model, const torch::Tensor& image,
                                const std::string& prompt, int steps, double guidance) const;
    std::size_t size() const { return m_entries.size(); }
    int hits() const { return m_hits; }
    int misses() const { return m_misses; }
    void clear() { m_entries.clear(); }

  private:
    static std::string keyOf(const Model& model, const torch::Tensor& image,
                             const std::string& prompt, int steps, double guidance);
    struct Entry {
        std::string key;
        std::shared_ptr<const Inversion> inversion;
    };
    std::size_t m_capacity;
    std::list<Entry> m_entries;
    int m_hits = 0;
    int m_misses = 0;
};

// Per-pixel change between two regenerations: latent Σ_channels (a - b)² [h, w] (float64), that
// map bilinearly upsampled to the image [H, W], and the pixel-space Σ_rgb (a - b)² [H, W].
struct ChangeMaps {
    torch::Tensor latent;
    torch::Tensor upsampled;
    torch::Tensor pixels;
    double total = 0.0;  // sum of the latent map
};
ChangeMaps changeMaps(const torch::Tensor& latentA, const torch::Tensor& latentB,
                      const torch::Tensor& imageA, const torch::Tensor& imageB);

// Bilinear resize of an [h, w] map to [height, width] (float64).
torch::Tensor upsampleMap(const torch::Tensor& map, int64_t height, int64_t width);

enum class EditKind { Remove, Swap };
const char* toString(EditKind kind);  // "remove", "swap"

struct InterventionEdit {
    int word = 0;  // index into the prompt's Tokenization::words
    EditKind kind = EditKind::Remove;
    WordMode mode = WordMode::Omit;  // how Remove takes the word out
    std::string placeholder = "_";
    std::string replacement;  // for Swap
};

// The prompt after the edit (whole-word, never a substring replace). Throws infolens::Error for a
// word index out of range or an empty replacement.
std::string editedPrompt(const std::string& prompt, const TextEncoder& encoder,
                         const InterventionEdit& edit);

struct InterventionSettings {
    int steps = 50;         // DDIM steps of inversion and regeneration
    double guidance = 1.0;  // regeneration guidance (1: the inversion's own ODE, exact round trip)
    EngineSettings engine;  // the predicted map's estimation (seed, samples, sampler)
    AttentionSettings attention;
    bool attentionMaps = true;  // skipped (and r NaN) for denoisers without attention readout
    // Optional: called on the calling thread after every denoiser call with the stage
    // ("inverting", "regenerating", "estimating", "attention") and the share of the call's
    // expected denoiser rows done so far (0..1; the inversion counts only when not cached).
    std::function<void(const char* stage, double fraction)> progress;
};

struct InterventionResult {
    std::string word;
    std::string prompt;
    std::string edited;
    std::shared_ptr<const Inversion> inversion;
    torch::Tensor editedLatent;
    torch::Tensor editedImage;  // [3, H, W] in [0, 1]
    ChangeMaps change;
    // Removal: the word's CMI map i_o (orthogonal form, nats per latent pixel). Swap: the map of
    // 1/2 E w ||eps(original) - eps(swap)||^2, i.e. the i_o map of original vs swapped prompt.
    torch::Tensor predicted;         // [h, w] float64
    torch::Tensor attention;         // [h, w] float32, undefined without attention readout
    Estimate cmi;                    // i_o of the pair (what the predicted map sums to)
    Estimate cmiStandard;            // i_s: log p(x | original) - log p(x | edited)
    double pixelRInformation = 0.0;  // Pearson r, predicted vs change.latent
    double pixelRAttention = 0.0;    // Pearson r, attention vs change.latent (NaN without)
    std::int64_t evaluations = 0;    // denoiser rows of the estimation and attention
    // Every denoiser row of the call: inversion (when not cached), both regenerations,
    // estimation and attention.
    std::int64_t allEvaluations = 0;
    bool inversionCached = false;  // the inversion came from the cache
};

// Inverts the image (cached), regenerates it under the edited prompt from the same noise and
// compares where it changed with where information (and attention) said it would. image: [3, H,
// W] in [0, 1] at the model's size. Throws infolens::Cancelled when the token is cancelled
// (checked between denoiser calls).
InterventionResult runIntervention(Model& model, InversionCache& cache, const torch::Tensor& image,
                                   const std::string& prompt, const InterventionEdit& edit,
                                   const InterventionSettings& settings,
                                   const CancelToken* cancel = nullptr);

}  // namespace infolens
