#include "infolens/models/gaussian/GaussianWorld.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "infolens/Error.h"
#include "infolens/engine/LogSnrSampler.h"

namespace infolens {

namespace {

double sigmoid(double x) {
    return 1.0 / (1.0 + std::exp(-x));
}
double softplus(double x) {
    return x > 30.0 ? x : std::log1p(std::exp(x));
}

double logUniform(std::mt19937_64& rng, double lo, double hi) {
    std::uniform_real_distribution<double> u(std::log(lo), std::log(hi));
    return std::exp(u(rng));
}

void checkSet(const GaussianParams& params, const WordSet& set) {
    if (set.size() != params.words.size())
        throw Error("word set size does not match the model");
}

// Integral over [lo, hi] of sig(a + log q): the mmse of one coordinate with variance q.
double mmseIntegral(double q, double lo, double hi) {
    const double c = std::log(q);
    return softplus(hi + c) - softplus(lo + c);
}

}  // namespace

std::string wordName(int k) {
    return "w" + std::to_string(k);
}

GaussianParams drawGaussianParams(int dim, int words, std::uint64_t seed) {
    if (dim < 1 || dim > 1 << 16)
        throw Error("Gaussian dim must be in [1, 65536]");
    if (words < 1 || words > 64)
        throw Error("Gaussian words must be in [1, 64]");
    std::mt19937_64 rng(mixSeed(seed, 0x6a05));
    GaussianParams params;
    params.priorVar.resize(static_cast<std::size_t>(dim));
    for (double& v : params.priorVar)
        v = logUniform(rng, 0.25, 4.0);
    std::vector<int> order(static_cast<std::size_t>(dim));
    std::iota(order.begin(), order.end(), 0);
    for (int k = 0; k < words; ++k) {
        GaussianWord word;
        word.noiseVar = logUniform(rng, 0.05, 2.0);
        const int lo = std::max(1, dim / 4);
        const int hi = std::max(lo, dim / 2);
        std::uniform_int_distribution<int> size(lo, hi);
        std::shuffle(order.begin(), order.end(), rng);
        word.region.assign(order.begin(), order.begin() + size(rng));
        std::sort(word.region.begin(), word.region.end());
        params.words.push_back(std::move(word));
    }
    return params;
}

std::vector<std::vector<double>> drawGaussianObservation(const GaussianParams& params,
                                                         const std::vector<double>& x,
                                                         std::uint64_t seed) {
    if (x.size() != params.priorVar.size())
        throw Error("x has the wrong number of coordinates for this model");
    std::mt19937_64 rng(mixSeed(seed, 0x0b5e));
    std::normal_distribution<double> normal(0.0, 1.0);
    std::vector<std::vector<double>> y;
    for (const GaussianWord& word : params.words) {
        std::vector<double> row(x.size(), 0.0);
        for (const int i : word.region)
            row[i] = x[i] + std::sqrt(word.noiseVar) * normal(rng);
        y.push_back(std::move(row));
    }
    return y;
}

GaussianSample drawGaussianSample(const GaussianParams& params, std::uint64_t seed) {
    std::mt19937_64 rng(mixSeed(seed, 0x5a3e));
    std::normal_distribution<double> normal(0.0, 1.0);
    GaussianSample sample;
    sample.x.resize(params.priorVar.size());
    for (std::size_t i = 0; i < sample.x.size(); ++i)
        sample.x[i] = std::sqrt(params.priorVar[i]) * normal(rng);
    sample.y = drawGaussianObservation(params, sample.x, seed);
    return sample;
}

std::vector<double> posteriorVariance(const GaussianParams& params, const WordSet& set) {
    checkSet(params, set);
    std::vector<double> precision(params.priorVar.size());
    for (std::size_t i = 0; i < precision.size(); ++i)
        precision[i] = 1.0 / params.priorVar[i];
    for (std::size_t k = 0; k < params.words.size(); ++k) {
        if (!set[k])
            continue;
        for (const int i : params.words[k].region)
            precision[i] += 1.0 / params.words[k].noiseVar;
    }
    for (double& p : precision)
        p = 1.0 / p;
    return precision;
}

std::vector<double> posteriorMean(const GaussianParams& params, const WordSet& set,
                                  const std::vector<std::vector<double>>& y) {
    std::vector<double> mean = posteriorVariance(params, set);
    std::vector<double> evidence(mean.size(), 0.0);
    for (std::size_t k = 0; k < params.words.size(); ++k) {
        if (!set[k])
            continue;
        for (const int i : params.words[k].region)
            evidence[i] += y[k][i] / params.words[k].noiseVar;
    }
    for (std::size_t i = 0; i < mean.size(); ++i)
        mean[i] *= evidence[i];
    return mean;
}

std::vector<double> exactInformationMap(const GaussianParams& params, const WordSet& with,
                                        const WordSet& without) {
    const std::vector<double> p1 = posteriorVariance(params, with);
    const std::vector<double> p2 = posteriorVariance(params, without);
    std::vector<double> map(p1.size());
    for (std::size_t i = 0; i < map.size(); ++i)
        map[i] = 0.5 * std::log(p2[i] / p1[i]);
    return map;
}

double exactInformation(const GaussianParams& params, const WordSet& with, const WordSet& without) {
    const std::vector<double> map = exactInformationMap(params, with, without);
    return std::accumulate(map.begin(), map.end(), 0.0);
}

double exactInformationTruncated(const GaussianParams& params, const WordSet& with,
                                 const WordSet& without, double lo, double hi) {
    const std::vector<double> p1 = posteriorVariance(params, with);
    const std::vector<double> p2 = posteriorVariance(params, without);
    double total = 0.0;
    for (std::size_t i = 0; i < p1.size(); ++i) {
        total += 0.5 * (mmseIntegral(p2[i], lo, hi) - mmseIntegral(p1[i], lo, hi));
    }
    return total;
}

double exactLogLikelihoodRatio(const GaussianParams& params, const GaussianSample& sample,
                               const WordSet& with, const WordSet& without) {
    auto logDensity = [&](const WordSet& set) {
        const std::vector<double> p = posteriorVariance(params, set);
        const std::vector<double> m = posteriorMean(params, set, sample.y);
        double total = 0.0;
        for (std::size_t i = 0; i < p.size(); ++i) {
            const double r = sample.x[i] - m[i];
            total += -0.5 * (std::log(2.0 * M_PI * p[i]) + r * r / p[i]);
        }
        return total;
    };
    return logDensity(with) - logDensity(without);
}

PointwiseIntegrand expectedIntegrand(const GaussianParams& params, const GaussianSample& sample,
                                     const WordSet& with, const WordSet& without, double logSnr) {
    const std::vector<double> p1 = posteriorVariance(params, with);
    const std::vector<double> p2 = posteriorVariance(params, without);
    const std::vector<double> m1 = posteriorMean(params, with, sample.y);
    const std::vector<double> m2 = posteriorMean(params, without, sample.y);
    const double a2 = sigmoid(logSnr), s2 = sigmoid(-logSnr);
    const double a = std::sqrt(a2), s = std::sqrt(s2);
    PointwiseIntegrand out;
    for (std::size_t i = 0; i < p1.size(); ++i) {
        // epsHat_j = S (z - A m_j) / D_j with z = A x + S eps, D_j = A^2 p_j + S^2, so
        // eps - epsHat_j = eps A^2 p_j / D_j - S A (x - m_j) / D_j.
        const double d1 = a2 * p1[i] + s2, d2 = a2 * p2[i] + s2;
        const double x = sample.x[i];
        const double mean = s * a * (x * (1.0 / d1 - 1.0 / d2) - (m1[i] / d1 - m2[i] / d2));
        const double epsCoef = s2 * (1.0 / d1 - 1.0 / d2);
        out.orthogonal += 0.5 * (mean * mean + epsCoef * epsCoef);
        auto residual = [&](double p, double m, double d) {
            const double c = a2 * p / d, r = s * a * (x - m) / d;
            return c * c + r * r;
        };
        out.standard += 0.5 * (residual(p2[i], m2[i], d2) - residual(p1[i], m1[i], d1));
    }
    return out;
}

PointwiseIntegrand integratedPointwise(const GaussianParams& params, const GaussianSample& sample,
                                       const WordSet& with, const WordSet& without, double lo,
                                       double hi, int intervals) {
    if (intervals % 2)
        ++intervals;
    const double h = (hi - lo) / intervals;
    PointwiseIntegrand total;
    for (int j = 0; j <= intervals; ++j) {
        const double w = (j == 0 || j == intervals) ? 1.0 : (j % 2 ? 4.0 : 2.0);
        const PointwiseIntegrand f = expectedIntegrand(params, sample, with, without, lo + j * h);
        total.orthogonal += w * f.orthogonal;
        total.standard += w * f.standard;
    }
    total.orthogonal *= h / 3.0;
    total.standard *= h / 3.0;
    return total;
}

}  // namespace infolens

#include <nlohmann/json.hpp>

namespace infolens {

nlohmann::json toJson(const GaussianParams& params) {
    nlohmann::json words = nlohmann::json::array();
    for (const GaussianWord& word : params.words) {
        words.push_back({{"noise_var", word.noiseVar}, {"region", word.region}});
    }
    return {{"prior_var", params.priorVar},
            {"words", words},
            {"logsnr_range", {params.logSnrLo, params.logSnrHi}}};
}

GaussianParams gaussianParamsFromJson(const nlohmann::json& json) {
    try {
        GaussianParams params;
        params.priorVar = json.at("prior_var").get<std::vector<double>>();
        for (const auto& w : json.at("words")) {
            GaussianWord word;
            word.noiseVar = w.at("noise_var").get<double>();
            word.region = w.at("region").get<std::vector<int>>();
            params.words.push_back(std::move(word));
        }
        const auto range = json.at("logsnr_range").get<std::vector<double>>();
        if (range.size() != 2 || !(range[1] > range[0]))
            throw Error("logsnr_range must be [lo, hi] with hi > lo");
        params.logSnrLo = range[0];
        params.logSnrHi = range[1];
        if (params.priorVar.empty() || params.words.empty())
            throw Error("needs prior_var and words");
        for (const double v : params.priorVar) {
            if (!(v > 0.0))
                throw Error("prior variances must be positive");
        }
        for (const GaussianWord& word : params.words) {
            if (!(word.noiseVar > 0.0))
                throw Error("noise variances must be positive");
            for (const int i : word.region) {
                if (i < 0 || i >= params.dim())
                    throw Error("a region index lies outside [0, dim)");
            }
        }
        return params;
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("invalid Gaussian parameters: ") + e.what());
    } catch (const Error& e) {
        throw Error(std::string("invalid Gaussian parameters: ") + e.what());
    }
}

}  // namespace infolens
