#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "infolens/engine/Intervention.h"
#include "infolens/models/shapes/ShapesScene.h"

namespace infolens {

struct Model;

struct ShapesInterventionEvalConfig {
    ShapesSplit split = ShapesSplit::Test;
    std::uint64_t firstIndex = 0;
    int images = 200;
    std::uint64_t seed = 0;
    int steps = 50;    // DDIM steps of inversion and regeneration
    int samples = 32;  // log-SNR draws of the CMI maps
    int attentionPasses = 8;
    WordMode mode = WordMode::Omit;  // how Remove takes a word out
    int bootstrapResamples = 100;
    double bootstrapFraction = 0.9;
};

// One Remove intervention on one content word of a scene's caption.
struct ShapesInterventionRecord {
    std::uint64_t scene = 0;
    std::string word;
    std::string kind;      // "color", "shape", "size", "relation"
    Estimate cmi;          // i_o
    Estimate cmiStandard;  // i_s (image-level r uses this, as the paper)
    double attentionSum = 0.0;
    double totalChange = 0.0;
    double pixelRInformation = 0.0;
    double pixelRAttention = 0.0;
    double insideMask = -1.0;        // colour and shape words: change mass inside the object's mask
    double insideMaskPixels = -1.0;  // the same for the pixel-space change
    double maskArea = -1.0;          // the mask's share of the image (a uniform change's score)
};

struct ShapesInterventionEvalResult {
    std::vector<ShapesInterventionRecord> records;
    std::map<std::string, Estimate> metrics;  // image_r_information, ..., change_inside_mask
    std::map<std::string, int> counts;
    double inversionPsnrDb = 0.0;  // mean over scenes, regeneration vs the scene image
    double inversionPsnrDecodedDb = 0.0;
    double seconds = 0.0;
    std::int64_t evaluations = 0;
};

// For every content word of every scene's caption: one Remove intervention (inversion shared per
// scene); image-level r across interventions, mean pixel-level r, and the change inside the
// referenced object's mask for colour and shape words; bootstrap SEs over scenes. The cancel token
// is checked between denoiser calls.
ShapesInterventionEvalResult evaluateShapesInterventions(
    Model& model, const ShapesInterventionEvalConfig& config,
    const std::function<void(const std::string&)>& progress, const CancelToken* cancel = nullptr);

// Aggregates records into the metrics (exposed for tests on synthetic records).
void summarizeShapesInterventions(ShapesInterventionEvalResult& result,
                                  const ShapesInterventionEvalConfig& config);

nlohmann::json toJson(const ShapesInterventionEvalResult& result,
                      const ShapesInterventionEvalConfig& config);

}  // namespace infolens
