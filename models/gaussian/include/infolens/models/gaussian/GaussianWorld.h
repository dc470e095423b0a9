#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace infolens {

// Jointly Gaussian ground truth (METHOD.md section 5). Coordinate i has prior x_i ~ N(0,
// priorVar_i); word k observes y_k = x + n_k, n_k ~ N(0, noiseVar_k), on the coordinates in
// region_k.
struct GaussianWord {
    double noiseVar = 1.0;
    std::vector<int> region;
};

struct GaussianParams {
    std::vector<double> priorVar;
    std::vector<GaussianWord> words;
    double logSnrLo = -6.0;  // the range the model counts as "trained"
    double logSnrHi = 10.0;
    int dim() const { return static_cast<int>(priorVar.size()); }
};

// Random parameters from a seed: prior variances log-uniform in [0.25, 4], noise variances
// log-uniform in [0.05, 2], each word's region a random quarter to half of the coordinates
// (regions overlap, so CMI differs from the word's MI).
GaussianParams drawGaussianParams(int dim, int words, std::uint64_t seed);

using WordSet = std::vector<bool>;  // which words are present

struct GaussianSample {
    std::vector<double> x;               // [dim]
    std::vector<std::vector<double>> y;  // [words][dim], zero outside the region
};

GaussianSample drawGaussianSample(const GaussianParams& params, std::uint64_t seed);

// Posterior variance and mean per coordinate given the words in `set`.
std::vector<double> posteriorVariance(const GaussianParams& params, const WordSet& set);
std::vector<double> posteriorMean(const GaussianParams& params, const WordSet& set,
                                  const std::vector<std::vector<double>>& y);

// Exact expected information (nats). Untruncated: 1/2 sum log(q2 / q1); truncated to [lo, hi]
// through the mmse integral with softplus antiderivatives. with = c1's words, without = c2's.
double exactInformation(const GaussianParams& params, const WordSet& with, const WordSet& without);
double exactInformationTruncated(const GaussianParams& params, const WordSet& with,
                                 const WordSet& without, double lo, double hi);
// Per-coordinate terms of exactInformation (the expected map).
std::vector<double> exactInformationMap(const GaussianParams& params, const WordSet& with,
                                        const WordSet& without);

// Pointwise: log p(x | y_with) - log p(x | y_without), the exact value of i_s for one draw.
double exactLogLikelihoodRatio(const GaussianParams& params, const GaussianSample& sample,
                               const WordSet& with, const WordSet& without);

// E_eps of the two integrands at one log-SNR for one fixed (x, y), in closed form:
// orthogonal 1/2 E||e1 - e2||^2 and standard 1/2 E(||eps - e2||^2 - ||eps - e1||^2).
struct PointwiseIntegrand {
    double orthogonal = 0.0;
    double standard = 0.0;
};
PointwiseIntegrand expectedIntegrand(const GaussianParams& params, const GaussianSample& sample,
                                     const WordSet& with, const WordSet& without, double logSnr);
// The same integrated over [lo, hi] with composite Simpson quadrature (a deterministic reference).
PointwiseIntegrand integratedPointwise(const GaussianParams& params, const GaussianSample& sample,
                                       const WordSet& with, const WordSet& without, double lo,
                                       double hi, int intervals = 4000);

std::string wordName(int k);  // "w0", "w1", ...

}  // namespace infolens

#include <nlohmann/json_fwd.hpp>

namespace infolens {

// {"prior_var": [...], "words": [{"noise_var": v, "region": [...]}], "logsnr_range": [lo, hi]}
nlohmann::json toJson(const GaussianParams& params);
GaussianParams gaussianParamsFromJson(const nlohmann::json& json);  // throws infolens::Error

}  // namespace infolens

namespace infolens {

// Observations y_k = x + n_k of a given x (for an x the user supplies rather than one drawn).
std::vector<std::vector<double>> drawGaussianObservation(const GaussianParams& params,
                                                         const std::vector<double>& x,
                                                         std::uint64_t seed);

}  // namespace infolens
