#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "infolens/engine/LogSnrSampler.h"
#include "infolens/models/shapes/ShapesWorld.h"

namespace infolens {

struct ShapesModelHandle;

struct ShapesEvalConfig {
    ShapesSplit split = ShapesSplit::Test;
    std::uint64_t firstIndex = 0;
    int images = 200;
    int validationImages = 100;  // thresholds are chosen on the validation split, never on `split`
    int samples = 32;
    std::uint64_t seed = 0;
    int attentionPasses = 8;  // single denoiser passes at logistic-sampled log-SNR (DAAM-style)
    int maxBatch = 64;
    SamplerKind sampler = SamplerKind::Stratified;
};

// Localization: for each method, mIoU at the threshold chosen on validation images.
// Compositional: how often the true caption has higher image-level i_o than its perturbation.
struct ShapesEvalResult {
    std::map<std::string, double> localization;  // method -> mIoU
    std::map<std::string, double> thresholds;    // method -> threshold on normalised maps
    std::map<std::string, double>
        localizationOracle;                         // best threshold on the evaluated split itself
    std::map<std::string, int> localizationCounts;  // method -> references scored
    std::map<std::string, double> compositional;    // attribute, relation, order
    std::map<std::string, int> compositionalCounts;
    std::map<std::string, double> compositionalStandard;  // the same ranking by i_s instead of i_o
    int images = 0;
    std::int64_t evaluations = 0;
    double seconds = 0.0;
};

ShapesEvalResult evaluateShapesModel(const ShapesModelHandle& model, const ShapesEvalConfig& config,
                                     const std::function<void(const std::string&)>& progress);
nlohmann::json toJson(const ShapesEvalResult& result, const ShapesEvalConfig& config);

}  // namespace infolens
