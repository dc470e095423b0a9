#include <algorithm>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Args.h"
#include "Commands.h"
#include "Statistics.h"
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

}  // namespace

int benchEstimatorCommand(int argc, char** argv) {
    Args args(
        "bench-estimator",
        "Measures how many draws (and denoiser evaluations: 2 per draw, full prompt and omission)\n"
        "the CMI estimate of one word on one Gaussian image needs to reach --target relative SE, "
        "for\n"
        "the iid and the stratified sampler. The SE is measured as the spread over --repeats "
        "seeds,\n"
        "and the whole measurement is repeated on --worlds random worlds; medians are reported.",
        {{"dim", "D", "coordinates of x", "64"},
         {"words", "K", "words", "4"},
         {"worlds", "W", "random worlds (medians over them)", "5"},
         {"repeats", "R", "seeds per size used to measure the spread", "48"},
         {"target", "T", "relative standard error to reach", "0.02"},
         {"seed", "N", "base seed", "0"},
         {"json", "", "print JSON (the only output format)", ""}});
    if (!args.parse(argc, argv))
        return 0;
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
