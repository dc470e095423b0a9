// Known-answer tests: the engine against the closed-form truth of jointly Gaussian data
// (METHOD.md section 5). Seeds here were picked before looking at any result.
#include <torch/torch.h>

#include <cmath>
#include <numeric>

#include "TestStatistics.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/model/Model.h"
#include "infolens/models/gaussian/GaussianCheck.h"
#include "infolens/models/gaussian/GaussianFamily.h"
#include "infolens/models/gaussian/GaussianModel.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

std::string allWords(int k) {
    std::string s;
    for (int i = 0; i < k; ++i)
        s += (i ? " " : "") + wordName(i);
    return s;
}

WordSet without(int words, int omitted) {
    WordSet set(static_cast<std::size_t>(words), true);
    if (omitted >= 0)
        set[static_cast<std::size_t>(omitted)] = false;
    return set;
}

// SEs of runGaussianCheck come from 32 independent groups (31 degrees of freedom).
constexpr int kCheckDof = 31;

void requireClose(const CheckedQuantity& q, double critical) {
    INFO("estimate " << q.estimate << " se " << q.se << " exact(truncated) " << q.exactTruncated
                     << " critical t " << critical);
    CHECK(std::abs(q.estimate - q.exactTruncated) <= critical * q.se);
    CHECK(std::abs(q.estimate - q.exactTruncated) <= 0.02 * q.exactTruncated);
    CHECK(q.se <
          0.01 *
              q.exactTruncated);  // the SE itself is small enough to make the check mean something
}

}  // namespace

TEST_CASE("expected MI and every CMI match the truncated exact values at 4096 samples",
          "[gaussian]") {
    // Large enough worlds that the spread of pointwise values over (x, y) is small against 2%.
    const auto [dim, words, seed] =
        GENERATE(std::make_tuple(256, 4, 11), std::make_tuple(256, 4, 23),
                 std::make_tuple(128, 3, 5), std::make_tuple(192, 6, 47));
    GaussianCheckConfig config;
    config.dim = dim;
    config.words = words;
    config.seed = static_cast<std::uint64_t>(seed);
    config.samples = 1;
    config.pairs = 4096;
    const GaussianCheckResult r = runGaussianCheck(config);
    INFO("dim " << dim << " words " << words << " seed " << seed);
    // 25 t-checks over the four worlds at a family-wise false-alarm rate of 1% (critical |t| of
    // 3.9 with 31 degrees of freedom): a fresh seed passes at least 99% of the time.
    const double critical = testing::familyCritical(kCheckDof, 25);
    requireClose(r.mi, critical);
    REQUIRE(static_cast<int>(r.cmi.size()) == words);
    for (const CheckedQuantity& q : r.cmi)
        requireClose(q, critical);
    // The standard form estimates the same expectation.
    CHECK(std::abs(r.mi.estimateStandard - r.mi.exactTruncated) <= critical * r.mi.seStandard);
    CHECK(r.evaluations == 4096LL * (words + 2));
}

TEST_CASE("the expected map of each word matches the exact per-coordinate terms", "[gaussian]") {
    GaussianCheckConfig config;
    config.seed = 31;
    config.samples = 4;
    config.pairs = 2048;
    const GaussianCheckResult r = runGaussianCheck(config);
    for (int k = 0; k < config.words; ++k) {
        const std::vector<double> exact =
            exactInformationMap(r.params, without(config.words, -1), without(config.words, k));
        double diff = 0.0, total = 0.0;
        for (int i = 0; i < config.dim; ++i) {
            diff += std::abs(r.cmi[k].map[i] - exact[i]);
            total += exact[i];
        }
        INFO("word " << k);
        CHECK(diff < 0.08 * total);
    }
}

TEST_CASE("closed-form pointwise integrand integrates to the exact log-likelihood ratio",
          "[gaussian]") {
    const GaussianParams params = drawGaussianParams(24, 3, 3);
    for (std::uint64_t s = 0; s < 4; ++s) {
        const GaussianSample sample = drawGaussianSample(params, s);
        for (int omitted : {-2, 0, 1, 2}) {
            const WordSet with = without(3, -1);
            const WordSet w2 = omitted == -2 ? WordSet(3, false) : without(3, omitted);
            const double llr = exactLogLikelihoodRatio(params, sample, with, w2);
            const PointwiseIntegrand wide =
                integratedPointwise(params, sample, with, w2, -40.0, 40.0, 20000);
            INFO("sample " << s << " omitted " << omitted);
            CHECK(wide.standard == Approx(llr).margin(1e-6).epsilon(1e-6));
            CHECK(wide.orthogonal >= 0.0);
        }
    }
}

TEST_CASE("pointwise i_s of the engine equals the exact log-likelihood ratio for single draws",
          "[gaussian]") {
    GaussianParams params = drawGaussianParams(16, 3, 8);
    params.logSnrLo = -14.0;  // wide enough that truncation costs < 0.1% of the value
    params.logSnrHi = 18.0;
    auto denoiser = std::make_shared<GaussianDenoiser>(params);
    auto encoder = std::make_shared<GaussianTextEncoder>(3);
    InfoEngine engine(denoiser, encoder);
    const InfoPlan plan = InfoPlan::wordsOf(allWords(3), *encoder);
    EngineSettings settings;
    settings.samples = 8192;
    settings.maxBatch = 8192;
    settings.replicas = 32;
    // 36 t-checks (3 draws x 4 pairs x 3) with 31 degrees of freedom at a family-wise
    // false-alarm rate of 1%.
    const double critical = testing::familyCritical(settings.replicas - 1, 36);
    for (std::uint64_t s = 0; s < 3; ++s) {
        const GaussianSample sample = drawGaussianSample(params, 100 + s);
        denoiser->setObservation(sample.y);
        settings.seed = s;
        const Snapshot snap = engine.run(gaussianDataTensor(sample.x), plan, settings);
        for (std::size_t q = 0; q < snap.pairs.size(); ++q) {
            const PairResult& p = snap.pairs[q];  // MI first, then word 0, 1, 2
            const WordSet w2 = q == 0 ? WordSet(3, false) : without(3, static_cast<int>(q) - 1);
            const double llr = exactLogLikelihoodRatio(params, sample, without(3, -1), w2);
            const PointwiseIntegrand ref = integratedPointwise(
                params, sample, without(3, -1), w2, params.logSnrLo, params.logSnrHi, 8000);
            INFO("draw " << s << " pair " << p.pair.label << " i_s " << p.is.value << " +- "
                         << p.is.se << " llr " << llr << " truncated " << ref.standard);
            CHECK(std::abs(ref.standard - llr) < 2e-3 * std::max(1.0, std::abs(llr)));
            CHECK(std::abs(p.is.value - ref.standard) <= critical * p.is.se + 1e-9);
            CHECK(std::abs(p.is.value - llr) <= critical * p.is.se + 2e-3 * std::abs(llr));
            // The orthogonal form for the same draw matches its own closed form too.
            CHECK(std::abs(p.io.value - ref.orthogonal) <= critical * p.io.se);
        }
    }
}

TEST_CASE("maps sum to the image value, are non-negative and stay inside the word's region",
          "[gaussian]") {
    const auto model = makeGaussianModel(64, 4, 19);
    const GaussianParams& params = gaussianDenoiserOf(*model)->params();
    const GaussianSample sample = drawGaussianSample(params, 4);
    gaussianDenoiserOf(*model)->setObservation(sample.y);
    InfoEngine engine(model->denoiser, model->textEncoder);
    EngineSettings settings;
    settings.samples = 256;
    settings.standardMaps = true;
    const Snapshot snap = engine.run(gaussianDataTensor(sample.x),
                                     InfoPlan::wordsOf(allWords(4), *model->textEncoder), settings);
    for (std::size_t q = 0; q < snap.pairs.size(); ++q) {
        const PairResult& p = snap.pairs[q];
        INFO("pair " << p.pair.label);
        CHECK(p.ioMap.sum().item<double>() == Approx(p.io.value).epsilon(1e-10));
        CHECK(p.isMap.sum().item<double>() == Approx(p.is.value).epsilon(1e-9).margin(1e-9));
        CHECK(p.ioMap.min().item<double>() >= 0.0);
        for (const IntegrandSample& s : p.integrand)
            REQUIRE(s.orthogonal >= 0.0);
        if (p.pair.kind != PairKind::Cmi)
            continue;
        const GaussianWord& word = params.words[q - 1];
        torch::Tensor inside = torch::zeros({64}, torch::kBool);
        for (const int i : word.region)
            inside[i] = true;
        const torch::Tensor map = p.ioMap.reshape({-1});
        const double outside = map.masked_select(~inside).sum().item<double>();
        CHECK(outside <= 0.01 * map.sum().item<double>());
    }
}

TEST_CASE("stratified sampling cuts the standard error to at most 0.7x of iid at equal samples",
          "[gaussian]") {
    for (std::uint64_t world : {3u, 14u}) {
        const EstimatorSpread iid =
            measureEstimatorSpread(64, 4, world, SamplerKind::Iid, 128, 64, 900);
        const EstimatorSpread strat =
            measureEstimatorSpread(64, 4, world, SamplerKind::Stratified, 128, 64, 900);
        INFO("world " << world << " iid sd " << iid.sd << " stratified sd " << strat.sd);
        CHECK(strat.sd <= 0.7 * iid.sd);
        CHECK(std::abs(strat.mean - iid.mean) < 3.0 * iid.sd / 8.0 + 3.0 * strat.sd / 8.0);
        // Reported standard errors are calibrated: close to the measured spread.
        CHECK(iid.meanReportedSe == Approx(iid.sd).epsilon(0.35));
        CHECK(strat.meanReportedSe == Approx(strat.sd).epsilon(0.5));
    }
}
