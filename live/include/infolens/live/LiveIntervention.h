#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "infolens/io/ImageIO.h"
#include "infolens/text/WordSpans.h"

// Prompt interventions as the live worker runs them (METHOD.md, interventions): the image is
// inverted under its prompt by deterministic DDIM (cached per model, image and prompt), then
// regenerated from the same noise under the prompt with one word removed or swapped; where and how
// much it changed is compared with where information (and attention) said it would. Plain values
// only (no LibTorch, no Qt), like LiveResult, so the UI, sessions and exports can hold them.
namespace infolens {

enum class InterventionKind { Remove, Swap };

struct InterventionRequest {
    std::shared_ptr<const Image> image;  // at the model's size (see fitImage)
    std::string prompt;
    int word = 0;  // index into the prompt's words (the tokenizer's words, as the chips show)
    InterventionKind kind = InterventionKind::Remove;
    WordMode mode = WordMode::Omit;  // how Remove takes the word out
    std::string placeholder = "_";
    std::string replacement;  // Swap: the word put in its place (not empty)
    int steps = 50;           // DDIM steps of inversion and regeneration
    std::uint64_t seed = 0;   // the estimation seed of the predicted and attention maps
    int samples = 64;         // draws behind the predicted map and the CMI
};

// One finished (or failed) intervention. Maps are row-major float32.
struct InterventionOutcome {
    std::uint64_t generation = 0;  // of the intervene() call it answers
    int index = 0;                 // position in that call's list of requests
    int count = 1;                 // how many requests that call had
    std::string error;             // non-empty: failed (nothing below is valid but the request)
    InterventionRequest request;   // as asked (the image pointer included)

    std::string word;        // the word as it appears in the prompt
    std::string editedPrompt;
    std::string modelHash;
    std::string imageHash;  // of the image at the model's size (what the inversion cache keys on)

    Image regenerated;  // the round trip: inverted and regenerated under the original prompt
    Image edited;       // regenerated from the same noise under the edited prompt
    double roundTripPsnrDb = 0.0;  // regenerated vs the input image

    // Latent grid maps (mapWidth x mapHeight): the actual change sum_c (edited - regenerated)^2;
    // the predicted map (removal: the word's i_o map; swap: the i_o map of original vs swapped
    // prompt), bits per image pixel; the word's attention (DAAM-style, sums to 1 over the grid;
    // empty when the model has no attention readout).
    int mapWidth = 0;
    int mapHeight = 0;
    std::vector<float> changeLatent;
    std::vector<float> predicted;
    std::vector<float> attention;
    // Image grid (imageWidth x imageHeight): sum_rgb (edited - regenerated)^2 in [0,1] units.
    int imageWidth = 0;
    int imageHeight = 0;
    std::vector<float> changePixels;

    double totalChange = 0.0;       // sum of changeLatent
    double cmiBits = 0.0;           // i_o of the pair (what `predicted` sums to), bits
    double cmiSeBits = 0.0;
    double cmiStandardBits = 0.0;   // i_s of the pair
    double cmiStandardSeBits = 0.0;
    double pixelRInformation = 0.0;  // Pearson r of predicted vs changeLatent
    double pixelRAttention = 0.0;    // of attention vs changeLatent; NaN without attention
    double attentionSum = 0.0;       // the word's raw attention mass (image-level comparison)
    std::int64_t evaluations = 0;    // denoiser rows spent (inversion included when not cached)
    double elapsedMs = 0.0;
};

// Where a running intervention call stands, for a progress bar (sent between denoiser calls,
// throttled like map snapshots).
struct InterventionProgress {
    std::uint64_t generation = 0;
    int index = 0;  // the request being worked on
    int count = 1;
    std::string stage;  // "inverting", "regenerating", "estimating", "attention"
    double fraction = 0.0;  // of the whole call, 0..1
};

}  // namespace infolens
