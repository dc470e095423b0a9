#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "infolens/engine/LogSnrSampler.h"
#include "infolens/models/gaussian/GaussianWorld.h"

namespace infolens {

struct GaussianCheckConfig {
    int dim = 64;
    int words = 4;
    std::uint64_t seed = 0;
    int samples = 64;  // log-SNR draws per (x, y) pair
    int pairs = 64;    // independent draws of (x, y)
    SamplerKind sampler = SamplerKind::Stratified;
    int replicas = 32;  // independent groups (or engine replicas when pairs == 1)
    double clip = 3.0;
    int maxBatch = 4096;
};

struct CheckedQuantity {
    double estimate = 0.0;  // mean of i_o over pairs (nats)
    double se = 0.0;
    double estimateStandard = 0.0;  // mean of i_s
    double seStandard = 0.0;
    double exact = 0.0;           // untruncated expected value
    double exactTruncated = 0.0;  // over the proposal's range
    std::vector<double> map;      // mean i_o map over pairs [dim]
};

struct GaussianCheckResult {
    GaussianParams params;
    double logSnrLo = 0.0, logSnrHi = 0.0;
    CheckedQuantity mi;
    std::vector<CheckedQuantity> cmi;
    std::int64_t evaluations = 0;
};

// Estimates the expected MI of all words and each word's CMI on random (x, y) draws of a random
// Gaussian world and puts them beside the exact values. The standard error is the spread of the
// per-pair estimates (which includes the log-SNR integration noise), or the engine's own SE when
// there is one pair.
GaussianCheckResult runGaussianCheck(const GaussianCheckConfig& config);
nlohmann::json toJson(const GaussianCheckResult& result, const GaussianCheckConfig& config);

// The spread of a single image's CMI estimate of word 0 over `repeats` independent seeds, at
// `samples` draws: the true standard error of the estimator, measured, not estimated.
struct EstimatorSpread {
    double mean = 0.0;
    double sd = 0.0;
    double meanReportedSe = 0.0;
    std::int64_t evaluationsPerRun = 0;
};
EstimatorSpread measureEstimatorSpread(int dim, int words, std::uint64_t worldSeed,
                                       SamplerKind sampler, int samples, int repeats,
                                       std::uint64_t seed);

}  // namespace infolens
