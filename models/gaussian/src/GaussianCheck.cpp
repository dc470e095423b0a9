#include "infolens/models/gaussian/GaussianCheck.h"

#include <torch/torch.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "infolens/engine/InfoEngine.h"
#include "infolens/engine/LogSnrProposal.h"
#include "infolens/model/Model.h"
#include "infolens/models/gaussian/GaussianFamily.h"
#include "infolens/models/gaussian/GaussianModel.h"

namespace infolens {

namespace {

std::string allWordsPrompt(int words) {
    std::string prompt;
    for (int k = 0; k < words; ++k)
        prompt += (k ? " " : "") + wordName(k);
    return prompt;
}

struct Running {
    std::vector<std::pair<double, double>> groupSums;  // (i_o, i_s) summed over a group's pairs
    Estimate singleIo, singleIs;                       // the engine's own estimate (one pair)
    std::vector<double> mapSum;
};

// Mean over all pairs, SE from the spread of the group means.
Estimate pooled(const std::vector<double>& groupSums, const std::vector<int>& counts) {
    double total = 0.0;
    int n = 0;
    std::vector<double> means;
    for (std::size_t g = 0; g < counts.size(); ++g) {
        total += groupSums[g];
        n += counts[g];
        means.push_back(groupSums[g] / counts[g]);
    }
    Estimate e;
    e.value = total / n;
    const auto k = static_cast<double>(means.size());
    double m = 0.0, ss = 0.0;
    for (const double v : means)
        m += v / k;
    for (const double v : means)
        ss += (v - m) * (v - m);
    e.se = std::sqrt(ss / (k - 1.0) / k);
    return e;
}

}  // namespace

GaussianCheckResult runGaussianCheck(const GaussianCheckConfig& config) {
    const std::shared_ptr<Model> model = makeGaussianModel(config.dim, config.words, config.seed);
    GaussianDenoiser& denoiser = *gaussianDenoiserOf(*model);
    InfoEngine engine(model->denoiser, model->textEncoder);
    const InfoPlan plan = InfoPlan::wordsOf(allWordsPrompt(config.words), *model->textEncoder);

    EngineSettings settings;
    settings.samples = config.samples;
    settings.sampler = config.sampler;
    settings.replicas = config.replicas;
    settings.clip = config.clip;
    settings.maxBatch = config.maxBatch;
    settings.keepIntegrand = false;

    GaussianCheckResult result;
    result.params = denoiser.params();
    const LogSnrProposal proposal =
        LogSnrProposal::fitToRange(result.params.logSnrLo, result.params.logSnrHi, config.clip);
    result.logSnrLo = proposal.lower();
    result.logSnrHi = proposal.upper();

    // Pairs are dealt round-robin to independent groups; each group continues one log-SNR sequence
    // across its pairs (so the integration is stratified over the whole expectation, not only
    // within a pair), and the spread of group means gives an honest SE with both the data and the
    // integration noise in it.
    const int groups = std::max(1, std::min(config.replicas, config.pairs));
    if (config.pairs > 1)
        settings.replicas = 1;
    std::vector<Running> running(plan.pairs().size());
    for (Running& r : running) {
        r.mapSum.assign(static_cast<std::size_t>(config.dim), 0.0);
        r.groupSums.assign(static_cast<std::size_t>(groups), {0.0, 0.0});
    }
    std::vector<int> groupCounts(static_cast<std::size_t>(groups), 0);
    for (int p = 0; p < config.pairs; ++p) {
        const GaussianSample sample =
            drawGaussianSample(result.params, mixSeed(config.seed, 1000003 + p));
        denoiser.setObservation(sample.y);
        const int group = p % groups;
        settings.seed = mixSeed(config.seed, 2000003 + group);
        settings.firstDraw = static_cast<std::int64_t>(p / groups) * config.samples;
        ++groupCounts[group];
        const Snapshot snap = engine.run(gaussianDataTensor(sample.x), plan, settings);
        result.evaluations += snap.evaluations;
        for (std::size_t q = 0; q < snap.pairs.size(); ++q) {
            const PairResult& pr = snap.pairs[q];
            running[q].singleIo = pr.io;
            running[q].singleIs = pr.is;
            running[q].groupSums[group].first += pr.io.value;
            running[q].groupSums[group].second += pr.is.value;
            const torch::Tensor map = pr.ioMap.reshape({-1}).contiguous();
            for (int i = 0; i < config.dim; ++i)
                running[q].mapSum[i] += map.data_ptr<double>()[i];
        }
    }

    const WordSet all(static_cast<std::size_t>(config.words), true);
    const WordSet none(static_cast<std::size_t>(config.words), false);
    for (std::size_t q = 0; q < plan.pairs().size(); ++q) {
        CheckedQuantity c;
        if (groups > 1) {
            std::vector<double> io, is;
            for (const auto& [gIo, gIs] : running[q].groupSums) {
                io.push_back(gIo);
                is.push_back(gIs);
            }
            const Estimate eIo = pooled(io, groupCounts), eIs = pooled(is, groupCounts);
            c.estimate = eIo.value;
            c.se = eIo.se;
            c.estimateStandard = eIs.value;
            c.seStandard = eIs.se;
        } else {
            c.estimate = running[q].singleIo.value;
            c.se = running[q].singleIo.se;
            c.estimateStandard = running[q].singleIs.value;
            c.seStandard = running[q].singleIs.se;
        }
        for (const double v : running[q].mapSum)
            c.map.push_back(v / config.pairs);
        WordSet without = none;
        if (plan.pairs()[q].kind == PairKind::Cmi) {
            without = all;
            without[q - 1] = false;  // pairs are MI first, then word 0, 1, ...
        }
        c.exact = exactInformation(result.params, all, without);
        c.exactTruncated = exactInformationTruncated(result.params, all, without, result.logSnrLo,
                                                     result.logSnrHi);
        if (plan.pairs()[q].kind == PairKind::Mi) {
            result.mi = std::move(c);
        } else {
            result.cmi.push_back(std::move(c));
        }
    }
    return result;
}

nlohmann::json toJson(const GaussianCheckResult& result, const GaussianCheckConfig& config) {
    auto quantity = [](const CheckedQuantity& c) {
        return nlohmann::json{
            {"estimate", c.estimate},
            {"se", c.se},
            {"estimate_standard", c.estimateStandard},
            {"se_standard", c.seStandard},
            {"exact", c.exact},
            {"exact_truncated", c.exactTruncated},
            {"relative_error", (c.estimate - c.exactTruncated) / c.exactTruncated},
            {"z", c.se > 0 ? (c.estimate - c.exactTruncated) / c.se : 0.0}};
    };
    nlohmann::json cmi = nlohmann::json::array();
    for (const CheckedQuantity& c : result.cmi)
        cmi.push_back(quantity(c));
    nlohmann::json params = toJson(result.params);
    params["logsnr_range"] = {result.logSnrLo, result.logSnrHi};
    params["dim"] = config.dim;
    params["seed"] = config.seed;
    return {{"units", "nats"},
            {"params", params},
            {"sampler", toString(config.sampler)},
            {"samples", config.samples},
            {"pairs", config.pairs},
            {"clip", config.clip},
            {"mi", quantity(result.mi)},
            {"cmi", cmi},
            {"evaluations", result.evaluations}};
}

EstimatorSpread measureEstimatorSpread(int dim, int words, std::uint64_t worldSeed,
                                       SamplerKind sampler, int samples, int repeats,
                                       std::uint64_t seed) {
    const std::shared_ptr<Model> model = makeGaussianModel(dim, words, worldSeed);
    const GaussianSample sample =
        drawGaussianSample(gaussianDenoiserOf(*model)->params(), mixSeed(worldSeed, 77));
    gaussianDenoiserOf(*model)->setObservation(sample.y);
    InfoEngine engine(model->denoiser, model->textEncoder);
    const std::string prompt = allWordsPrompt(words);
    const InfoPlan plan =
        InfoPlan::unitsOf(prompt, {segmentPrompt(prompt).front()}, WordMode::Omit, "_", false);
    EngineSettings settings;
    settings.samples = samples;
    settings.sampler = sampler;
    settings.maxBatch = 4096;
    settings.keepIntegrand = false;
    std::vector<double> values;
    EstimatorSpread spread;
    for (int r = 0; r < repeats; ++r) {
        settings.seed = mixSeed(seed, static_cast<std::uint64_t>(r));
        const Snapshot snap = engine.run(gaussianDataTensor(sample.x), plan, settings);
        values.push_back(snap.pairs.front().io.value);
        spread.meanReportedSe += snap.pairs.front().io.se / repeats;
        spread.evaluationsPerRun = snap.evaluations;
    }
    for (const double v : values)
        spread.mean += v / repeats;
    double ss = 0.0;
    for (const double v : values)
        ss += (v - spread.mean) * (v - spread.mean);
    spread.sd = repeats > 1 ? std::sqrt(ss / (repeats - 1)) : 0.0;
    return spread;
}

}  // namespace infolens
