// Calibration of the engine's standard errors: a wrong SE (too small or too large) misleads
// every number the app shows, and no known-answer check at a few seeds notices it.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "TestStatistics.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/models/gaussian/GaussianModel.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

WordSet allWords(int k) {
    return WordSet(static_cast<std::size_t>(k), true);
}

WordSet without(int k, int omitted) {
    WordSet set = allWords(k);
    set[static_cast<std::size_t>(omitted)] = false;
    return set;
}

// Over `runs` independent (image, seed) runs, the share of z = (estimate - exact) / SE with
// |z| below the median of |t| for the SE's degrees of freedom. Calibrated SEs give a share
// ~ Binomial(runs, 1/2) / runs; SEs 40% too small (or 67% too large) move it to ~0.32 (~0.70).
struct Calibration {
    double shareIo = 0.0;
    double shareIs = 0.0;
};

Calibration calibrate(SamplerKind sampler, int replicas, int runs, std::uint64_t seed) {
    GaussianParams params = drawGaussianParams(12, 3, 101);
    auto denoiser = std::make_shared<GaussianDenoiser>(params);
    auto encoder = std::make_shared<GaussianTextEncoder>(3);
    InfoEngine engine(denoiser, encoder);
    const InfoPlan plan = InfoPlan::unitsOf("w0 w1 w2", {Span{0, 2, true}}, WordMode::Omit, "_",
                                            false);  // the CMI of w0 only
    EngineSettings settings;
    settings.samples = 128;
    settings.maxBatch = 1024;
    settings.replicas = replicas;
    settings.sampler = sampler;
    settings.keepIntegrand = false;
    const int dof = sampler == SamplerKind::Iid ? settings.samples - 1 : replicas - 1;
    const double median = testing::studentTCritical(dof, 0.5);
    int insideIo = 0, insideIs = 0;
    for (int r = 0; r < runs; ++r) {
        const GaussianSample sample = drawGaussianSample(params, seed * 1000 + r);
        denoiser->setObservation(sample.y);
        settings.seed = seed * 7919 + r;
        const Snapshot snap = engine.run(gaussianDataTensor(sample.x), plan, settings);
        const PointwiseIntegrand exact = integratedPointwise(
            params, sample, allWords(3), without(3, 0), params.logSnrLo, params.logSnrHi, 4000);
        const PairResult& p = snap.pairs.at(0);
        insideIo += std::abs(p.io.value - exact.orthogonal) < median * p.io.se;
        insideIs += std::abs(p.is.value - exact.standard) < median * p.is.se;
    }
    return {static_cast<double>(insideIo) / runs, static_cast<double>(insideIs) / runs};
}

}  // namespace

TEST_CASE("standard errors are calibrated: half of the z-scores fall within the t median",
          "[gaussian][calibration]") {
    // 400 runs: the share's SD is 0.025 when calibrated, so the band 0.5 +- 0.0823 (3.29 SD)
    // has a false-alarm rate of 0.1% per share, 0.4% for the four shares of this test. With
    // every SE multiplied by 0.6 the share drops to ~0.32 and the test fails.
    constexpr int kRuns = 400;
    constexpr double kBand = 3.29 * 0.025;
    const auto [sampler, replicas] = GENERATE(std::make_tuple(SamplerKind::Stratified, 16),
                                              std::make_tuple(SamplerKind::Iid, 8));
    const std::uint64_t seed = Catch::rngSeed() + 1;  // --rng-seed N gives a fresh draw
    const Calibration c = calibrate(sampler, replicas, kRuns, seed);
    INFO("sampler " << toString(sampler) << " seed " << seed << " i_o share " << c.shareIo
                    << " i_s share " << c.shareIs);
    CHECK(std::abs(c.shareIo - 0.5) <= kBand);
    CHECK(std::abs(c.shareIs - 0.5) <= kBand);
}
