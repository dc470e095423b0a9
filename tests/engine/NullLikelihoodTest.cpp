// The engine's null-prompt log-likelihood (Snapshot::nullNll, the image-fit statistic) against
// the exact Gaussian likelihood: the closed-form integrand over the truncated range, and over a
// wide range the exact -log N(x; 0, priorVar) itself.
#include <torch/torch.h>

#include <cmath>

#include "TestStatistics.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/models/gaussian/GaussianModel.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

// d/2 log(2 pi e) + 1/2 int_lo^hi sum_i (E_eps ||eps - epsHat_i||^2 - sig(a)) da for the prior's
// optimal denoiser (mean 0, variance lambda_i) at a fixed x (trapezoid rule).
double truncatedNll(const std::vector<double>& lambda, const std::vector<double>& x, double lo,
                    double hi, int steps) {
    const double h = (hi - lo) / steps;
    double integral = 0.0;
    for (int k = 0; k <= steps; ++k) {
        const double a = lo + k * h;
        const double a2 = 1.0 / (1.0 + std::exp(-a)), s2 = 1.0 - a2;
        double f = 0.0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double den = a2 * lambda[i] + s2;
            f += (a2 * a2 * lambda[i] * lambda[i] + s2 * a2 * x[i] * x[i]) / (den * den) - a2;
        }
        integral += (k == 0 || k == steps ? 0.5 : 1.0) * f;
    }
    return 0.5 * static_cast<double>(x.size()) * std::log(2.0 * M_PI * std::exp(1.0)) +
           0.5 * integral * h;
}

double exactNll(const std::vector<double>& lambda, const std::vector<double>& x) {
    double nll = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i)
        nll += 0.5 * (std::log(2.0 * M_PI * lambda[i]) + x[i] * x[i] / lambda[i]);
    return nll;
}

}  // namespace

TEST_CASE("the null-prompt log-likelihood matches the exact Gaussian likelihood", "[gaussian]") {
    GaussianParams params = drawGaussianParams(16, 2, 12);
    params.logSnrLo = -14.0;  // wide: the truncated value is within 0.2% of the exact one
    params.logSnrHi = 18.0;
    auto denoiser = std::make_shared<GaussianDenoiser>(params);
    auto encoder = std::make_shared<GaussianTextEncoder>(2);
    InfoEngine engine(denoiser, encoder);
    const InfoPlan plan = InfoPlan::wordsOf(wordName(0) + " " + wordName(1), *encoder);
    EngineSettings settings;
    settings.samples = 4096;
    settings.maxBatch = 4096;
    settings.replicas = 32;
    const double critical = testing::familyCritical(settings.replicas - 1, 3);
    for (std::uint64_t s = 0; s < 3; ++s) {
        const GaussianSample sample = drawGaussianSample(params, 300 + s);
        denoiser->setObservation(sample.y);
        settings.seed = s;
        const Snapshot snap = engine.run(gaussianDataTensor(sample.x), plan, settings);
        REQUIRE(snap.nullAvailable);
        CHECK(snap.nullDraws == settings.samples);
        const double truncated =
            truncatedNll(params.priorVar, sample.x, params.logSnrLo, params.logSnrHi, 20000);
        const double exact = exactNll(params.priorVar, sample.x);
        INFO("draw " << s << " engine " << snap.nullNll.value << " +- " << snap.nullNll.se
                     << " truncated " << truncated << " exact " << exact);
        CHECK(std::abs(truncated - exact) < 2e-3 * std::abs(exact) + 1e-3);
        CHECK(snap.nullNll.se > 0.0);
        CHECK(std::abs(snap.nullNll.value - truncated) <= critical * snap.nullNll.se);
        // Bits per dimension are the same number over d ln 2.
        CHECK(snap.nullBitsPerDim == Approx(snap.nullNll.value / (16 * std::log(2.0))));
        CHECK(snap.nullBitsPerDimSe == Approx(snap.nullNll.se / (16 * std::log(2.0))));
    }
}

TEST_CASE("the null statistic is absent without the empty prompt and stops with its pairs",
          "[gaussian]") {
    const GaussianParams params = drawGaussianParams(8, 2, 4);
    auto denoiser = std::make_shared<GaussianDenoiser>(params);
    auto encoder = std::make_shared<GaussianTextEncoder>(2);
    InfoEngine engine(denoiser, encoder);
    const GaussianSample sample = drawGaussianSample(params, 1);
    denoiser->setObservation(sample.y);
    EngineSettings settings;
    settings.samples = 64;
    settings.maxBatch = 8;
    const std::string both = wordName(0) + " " + wordName(1);
    const Snapshot none = engine.run(gaussianDataTensor(sample.x),
                                     InfoPlan::intervention(both, wordName(0)), settings);
    CHECK_FALSE(none.nullAvailable);
    // MI (the only pair with "") retired after the first batch: the statistic keeps those draws.
    const InfoPlan plan = InfoPlan::wordsOf(both, *encoder);
    const Snapshot retired =
        engine.run(gaussianDataTensor(sample.x), plan, settings, [&](const Snapshot& s) {
            if (s.drawsDone == 4)
                engine.retirePair(0);
        });
    REQUIRE(retired.nullAvailable);
    CHECK(retired.pairs[0].draws == retired.nullDraws);
    CHECK(retired.nullDraws < settings.samples);
    // The statistic does not change the pairs' numbers: the same run without retirement has the
    // same values for the word pairs.
    const Snapshot full = engine.run(gaussianDataTensor(sample.x), plan, settings);
    CHECK(full.nullDraws == settings.samples);
    CHECK(full.pairs[1].io.value == retired.pairs[1].io.value);
}
