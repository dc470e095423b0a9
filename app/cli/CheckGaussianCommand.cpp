#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Args.h"
#include "Commands.h"
#include "infolens/models/gaussian/GaussianCheck.h"

namespace infolens::cli {

int checkGaussianCommand(int argc, char** argv) {
    Args args(
        "check-gaussian",
        "Draws a random jointly Gaussian world from --seed (prior variances, word noise and "
        "regions),\n"
        "estimates the expected MI of all words and the CMI of each word on --pairs random draws "
        "of\n"
        "(x, y), and prints them beside the exact values (nats). The SE is the spread over pairs.",
        {{"dim", "D", "coordinates of x", "64"},
         {"words", "K", "number of observation channels (words)", "4"},
         {"seed", "N", "seed of the world, the data and the estimator", "0"},
         {"samples", "S", "log-SNR draws per (x, y) pair", "64"},
         {"pairs", "P", "independent (x, y) draws averaged", "64"},
         {"sampler", "iid|stratified", "log-SNR sampler", "stratified"},
         {"replicas", "R", "independent groups of pairs (randomisations) behind the SE", "32"},
         {"clip", "K", "truncation of the logistic proposal, in scales", "3"},
         {"json", "", "print JSON (default: a table)", ""}});
    if (!args.parse(argc, argv))
        return 0;
    GaussianCheckConfig config;
    config.dim = args.integer("dim", 1, 65536);
    config.words = args.integer("words", 1, 64);
    config.seed = args.unsignedInteger("seed");
    config.samples = args.integer("samples", 1, 1 << 24);
    config.pairs = args.integer("pairs", 1, 1 << 24);
    config.sampler = samplerKindFromString(args.text("sampler"));
    config.replicas = args.integer("replicas", 1, 4096);
    config.clip = args.real("clip");
    const GaussianCheckResult result = runGaussianCheck(config);
    const nlohmann::json json = toJson(result, config);
    if (args.flag("json")) {
        std::cout << json.dump(2) << "\n";
        return 0;
    }
    std::cout << std::fixed << std::setprecision(4)
              << "quantity   estimate      se   exact(trunc)   exact   rel.err\n";
    auto row = [](const std::string& name, const nlohmann::json& q) {
        std::cout << std::left << std::setw(9) << name << std::right << std::setw(10)
                  << q["estimate"].get<double>() << std::setw(8) << q["se"].get<double>()
                  << std::setw(14) << q["exact_truncated"].get<double>() << std::setw(9)
                  << q["exact"].get<double>() << std::setw(9)
                  << 100.0 * q["relative_error"].get<double>() << "%\n";
    };
    row("MI", json["mi"]);
    for (std::size_t k = 0; k < json["cmi"].size(); ++k)
        row("CMI w" + std::to_string(k), json["cmi"][k]);
    std::cout << "evaluations: " << result.evaluations << "\n";
    return 0;
}

}  // namespace infolens::cli
