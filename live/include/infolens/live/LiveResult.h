#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "infolens/text/WordSpans.h"

// What the live worker reports: plain values with no LibTorch and no Qt, so that sessions and
// exports (io/) and the UI can hold them without including the worker.
namespace infolens {

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
    // DAAM-style cross-attention of the word's tokens on this image (mapWidth x mapHeight, sums
    // to 1), collected on the image noised at the estimator's log-SNRs; empty for a model
    // without attention readout and until it has been computed.
    std::vector<float> attention;
    // Draws behind this word's numbers: a word that met its SE target stops early (per-word
    // stopping), so its count can be below the result's drawsDone.
    int draws = 0;
    bool converged = false;  // met the target under the stopping rule; its numbers are final
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
    // Whether this model has an attention readout (the word results carry `attention` maps).
    bool attentionAvailable = false;
    // The image's negative log-likelihood under the unconditional model ("" prompt), bits per
    // data dimension ± SE (InfoEngine's Snapshot::nullBitsPerDim); compared with the model's
    // reference by ImageFitRule.h. Not available before the first draw.
    bool nullAvailable = false;
    double nullBitsPerDim = 0.0;
    double nullBitsPerDimSe = 0.0;
    WordResult mi;                    // the whole prompt against ""
    std::vector<WordResult> words;    // one per word of the prompt, in order
};

}  // namespace infolens
