#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "Args.h"
#include "Commands.h"
#include "ModelOptions.h"
#include "Statistics.h"
#include "infolens/Error.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/io/ImageIO.h"
#include "infolens/live/StoppingRule.h"
#include "infolens/model/ImageTensor.h"
#include "infolens/model/Model.h"
#include "infolens/models/gaussian/GaussianCheck.h"

namespace infolens::cli {

namespace {

// Smallest number of draws at which the measured relative SE reaches `target`, found by doubling
// and then interpolating log(sd) linearly in log(samples) between the bracketing sizes.
double samplesForTarget(int dim, int words, std::uint64_t worldSeed, SamplerKind sampler,
                        int repeats, std::uint64_t seed, double target, int maxSamples) {
    double prevN = 0, prevRel = 0;
    for (int n = 8; n <= maxSamples; n *= 2) {
        const EstimatorSpread s =
            measureEstimatorSpread(dim, words, worldSeed, sampler, n, repeats, seed + n);
        const double rel = s.sd / std::abs(s.mean);
        if (rel <= target) {
            if (prevN == 0)
                return n;
            const double slope =
                (std::log(rel) - std::log(prevRel)) / (std::log(n) - std::log(prevN));
            return std::exp(std::log(prevN) + (std::log(target) - std::log(prevRel)) / slope);
        }
        prevN = n;
        prevRel = rel;
    }
    return std::numeric_limits<double>::infinity();
}

constexpr double kLn2 = 0.69314718055994530942;

// The pilot's draws, one row each: log-SNR, importance weight and every pair's unweighted
// orthogonal integrand (nats per unit log-SNR), for finding where heavy-tailed draws fall.
void writeIntegrandCsv(const std::string& path, const Snapshot& run) {
    std::ostringstream csv;
    csv.precision(9);
    csv << "draw,log_snr,weight";
    for (const PairResult& p : run.pairs)
        csv << ",\"" << p.pair.label << "\"";
    csv << "\n";
    const std::size_t draws = run.pairs.empty() ? 0 : run.pairs.front().integrand.size();
    for (std::size_t d = 0; d < draws; ++d) {
        const IntegrandSample& first = run.pairs.front().integrand[d];
        csv << d << "," << first.logSnr << "," << first.weight;
        for (const PairResult& p : run.pairs)
            csv << "," << p.integrand.at(d).orthogonal;
        csv << "\n";
    }
    writeFileAtomically(path, csv.str());
}

// Every word's CMI of one image to `target` relative SE (or the absolute floor), counted in
// denoiser evaluations:
// (a) the reference recipe (the paper's code): iid log-SNR from the same truncated logistic, one
//     eps per draw, the full prompt and the word's omission evaluated for each word separately,
//     run until that word's SE meets its target. Its cost is projected from an iid pilot run:
//     word k needs n_k = var_k / se_k^2 draws (the iid SE is sd/sqrt(n)), 2 n_k evaluations.
// (b) the engine as shipped: stratified draws in 8 replicas, every condition of a draw in one
//     batch with the full prompt shared, per-word stopping under the honest rule at the same
//     target, run for real; its count is what the denoiser evaluated.
int benchEstimatorModel(const Args& args) {
    const std::shared_ptr<Model> model = openModel(args);
    if (!model->worksOnImages())
        throw Error("bench-estimator: the model '" + model->name + "' does not work on images");
    const std::string imagePath = args.has("image") ? args.text("image") : model->sample.imagePath;
    const std::string prompt = args.has("prompt") ? args.text("prompt") : model->sample.prompt;
    if (imagePath.empty() || prompt.empty())
        throw Error("bench-estimator: the model has no sample: give --image and --prompt");
    const double target = args.real("target");
    const double floorNats = args.real("floor-bits") * kLn2;
    const int pilot = args.integer("pilot", 16, 1 << 20);
    const int cap = args.integer("cap", 32, 1 << 20);
    const std::uint64_t seed = args.unsignedInteger("seed");

    torch::Tensor latent;
    {
        torch::InferenceMode guard;
        latent = model->codec->encode(
            imageToTensor(fitImage(loadImage(imagePath), model->imageWidth, model->imageHeight)));
    }
    const InfoPlan plan =
        InfoPlan::wordsOf(prompt, *model->textEncoder, WordMode::Omit, "_", /*includeMi=*/false);

    // (a) iid pilot: per-draw spread of each word's weighted integrand.
    InfoEngine pilotEngine(model->denoiser, model->textEncoder);
    EngineSettings pilotSettings;
    pilotSettings.samples = pilot;
    pilotSettings.sampler = SamplerKind::Iid;
    pilotSettings.proposal = ProposalKind::Logistic;  // the reference recipe's density
    pilotSettings.seed = seed + 1;
    const Snapshot pilotRun = pilotEngine.run(latent, plan, pilotSettings);
    if (args.has("integrand-csv"))
        writeIntegrandCsv(args.text("integrand-csv"), pilotRun);

    // (b) the engine with per-word stopping.
    InfoEngine engine(model->denoiser, model->textEncoder);
    EngineSettings settings;
    settings.samples = cap;
    settings.seed = seed;
    if (args.text("proposal") != "model")
        settings.proposal = proposalKindFromString(args.text("proposal"));
    settings.drawAlignment = settings.replicas;
    StoppingSettings stopping;
    stopping.targetRelativeSe = target;
    stopping.absoluteSeFloor = floorNats;
    stopping.replicas = settings.replicas;
    PerEstimateStopping rule(stopping, plan.pairs().size());
    const Snapshot run = engine.run(latent, plan, settings, [&](const Snapshot& s) {
        std::vector<EstimateView> estimates;
        for (const PairResult& p : s.pairs)
            estimates.push_back({p.io.value, p.io.se});
        for (const std::size_t p : rule.observe(s.drawsDone, estimates))
            engine.retirePair(p);
    });

    double referenceEvaluations = 0.0;
    nlohmann::json table = nlohmann::json::array();
    for (std::size_t k = 0; k < plan.pairs().size(); ++k) {
        const PairResult& p = pilotRun.pairs[k];
        double mean = 0.0, ss = 0.0;
        for (const IntegrandSample& d : p.integrand)
            mean += d.weight * d.orthogonal;
        mean /= static_cast<double>(p.integrand.size());
        for (const IntegrandSample& d : p.integrand)
            ss += (d.weight * d.orthogonal - mean) * (d.weight * d.orthogonal - mean);
        const double variance = ss / static_cast<double>(p.integrand.size() - 1);
        const double seTarget = std::max(target * std::abs(mean), floorNats);
        const double draws = std::max(1.0, std::ceil(variance / (seTarget * seTarget)));
        referenceEvaluations += 2.0 * draws;
        // Heavy tails: the pilot draws that carry the most of the sum, and where they fall.
        std::vector<const IntegrandSample*> byContribution;
        for (const IntegrandSample& d : p.integrand)
            byContribution.push_back(&d);
        std::sort(byContribution.begin(), byContribution.end(), [](auto* l, auto* r) {
            return std::abs(l->weight * l->orthogonal) > std::abs(r->weight * r->orthogonal);
        });
        nlohmann::json largest = nlohmann::json::array();
        const double total = mean * static_cast<double>(p.integrand.size());
        for (std::size_t i = 0; i < std::min<std::size_t>(3, byContribution.size()); ++i) {
            const IntegrandSample& d = *byContribution[i];
            largest.push_back({{"log_snr", d.logSnr},
                               {"weight", d.weight},
                               {"share_of_sum", d.weight * d.orthogonal / total}});
        }
        const PairResult& e = run.pairs[k];
        table.push_back({{"word", p.pair.label},
                         {"reference_bits", mean / kLn2},
                         {"reference_sd_per_draw_bits", std::sqrt(variance) / kLn2},
                         {"reference_draws", draws},
                         {"reference_evaluations", 2.0 * draws},
                         {"infolens_bits", e.io.value / kLn2},
                         {"infolens_se_bits", e.io.se / kLn2},
                         {"infolens_draws", e.draws},
                         {"infolens_converged", rule.converged(k)},
                         {"reference_largest_draws", largest}});
    }
    const double ratio = static_cast<double>(run.evaluations) / referenceEvaluations;
    const nlohmann::json out = {{"model", model->name},
                                {"image", imagePath},
                                {"prompt", prompt},
                                {"target_relative_se", target},
                                {"absolute_se_floor_bits", args.real("floor-bits")},
                                {"pilot_draws", pilot},
                                {"sample_cap", cap},
                                {"infolens_proposal", toString(run.proposal)},
                                {"reference_evaluations", referenceEvaluations},
                                {"infolens_evaluations", run.evaluations},
                                {"infolens_draws", run.drawsDone},
                                {"infolens_all_converged", rule.converged()},
                                {"ratio", ratio},
                                {"per_word", table}};
    std::cout << out.dump(2) << "\n";
    return 0;
}

}  // namespace

int benchEstimatorCommand(int argc, char** argv) {
    Args args(
        "bench-estimator",
        "Measures how many draws (and denoiser evaluations: 2 per draw, full prompt and omission)\n"
        "the CMI estimate of one word on one Gaussian image needs to reach --target relative SE, "
        "for\n"
        "the iid and the stratified sampler. The SE is measured as the spread over --repeats "
        "seeds,\n"
        "and the whole measurement is repeated on --worlds random worlds; medians are reported.\n"
        "With --model: every word's CMI of a sample image, the reference recipe (iid, full prompt\n"
        "and omission per word; projected from an iid pilot) against the engine as shipped\n"
        "(stratified, shared conditions, per-word stopping; run for real).",
        withModelOptions(
            {{"dim", "D", "coordinates of x", "64"},
             {"words", "K", "words", "4"},
             {"worlds", "W", "random worlds (medians over them)", "5"},
             {"repeats", "R", "seeds per size used to measure the spread", "48"},
             {"target", "T", "relative standard error to reach", "0.02"},
             {"seed", "N", "base seed", "0"},
             {"image", "F", "with --model: image (default: the model's sample)", ""},
             {"prompt", "TEXT", "with --model: prompt (default: the sample's caption)", ""},
             {"floor-bits", "B", "with --model: absolute SE floor in bits", "0.02"},
             {"pilot", "N", "with --model: iid pilot draws for the reference's variance", "256"},
             {"cap", "S", "with --model: the engine's draws at most", "4096"},
             {"proposal", "model|logistic|uniform",
              "with --model: the engine's log-SNR proposal (model: the model's preferred one)",
              "model"},
             {"integrand-csv", "FILE",
              "with --model: write the pilot's per-draw log-SNR, weight and integrands", ""},
             {"json", "", "print JSON (the only output format)", ""}}));
    if (!args.parse(argc, argv))
        return 0;
    if (args.has("model"))
        return benchEstimatorModel(args);
    const int dim = args.integer("dim", 1, 65536), words = args.integer("words", 1, 64);
    const int worlds = args.integer("worlds", 1, 1000),
              repeats = args.integer("repeats", 3, 100000);
    const double target = args.real("target");
    const std::uint64_t seed = args.unsignedInteger("seed");
    constexpr int kMaxSamples = 1 << 16;
    std::vector<double> iidEvals, stratEvals, ratios;
    nlohmann::json perWorld = nlohmann::json::array();
    for (int w = 0; w < worlds; ++w) {
        const std::uint64_t worldSeed = seed + 1000 + w;
        const double nIid = samplesForTarget(dim, words, worldSeed, SamplerKind::Iid, repeats, seed,
                                             target, kMaxSamples);
        const double nStrat = samplesForTarget(dim, words, worldSeed, SamplerKind::Stratified,
                                               repeats, seed, target, kMaxSamples);
        iidEvals.push_back(2.0 * nIid);
        stratEvals.push_back(2.0 * nStrat);
        ratios.push_back(nStrat / nIid);
        perWorld.push_back({{"world_seed", worldSeed},
                            {"iid_evaluations", 2.0 * nIid},
                            {"stratified_evaluations", 2.0 * nStrat},
                            {"ratio", nStrat / nIid}});
        std::cerr << "world " << w + 1 << "/" << worlds << ": iid " << 2.0 * nIid
                  << " evals, stratified " << 2.0 * nStrat << " evals\n";
    }
    const nlohmann::json out = {{"target_relative_se", target},
                                {"dim", dim},
                                {"words", words},
                                {"repeats", repeats},
                                {"worlds", worlds},
                                {"iid_evaluations_median", median(iidEvals)},
                                {"stratified_evaluations_median", median(stratEvals)},
                                {"ratio_stratified_over_iid_median", median(ratios)},
                                {"per_world", perWorld}};
    std::cout << out.dump(2) << "\n";
    return 0;
}

}  // namespace infolens::cli
