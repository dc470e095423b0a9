#include <torch/torch.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "Args.h"
#include "Commands.h"
#include "ModelOptions.h"
#include "infolens/model/Model.h"
#include "infolens/models/shapes/ShapesInterventionEval.h"

namespace infolens::cli {

int interveneEvalCommand(int argc, char** argv) {
    const std::vector<OptionSpec> options = withModelOptions({
        {"split", "train|test", "ShapesWorld split", "test"},
        {"first", "I", "first scene index", "0"},
        {"n", "SCENES", "scenes to evaluate", "200"},
        {"seed", "N", "seed of the estimation, attention and bootstrap draws", "0"},
        {"steps", "N", "DDIM steps of inversion and regeneration (1-50)", "50"},
        {"samples", "S", "log-SNR draws of the information maps", "32"},
        {"attention-passes", "P", "denoiser passes averaged for attention maps", "8"},
        {"mode", "omit|placeholder", "how a removed word leaves the caption", "omit"},
        {"threads", "N", "intra-op threads (0: every core); 1 on a shared machine", "0"},
        {"json", "", "print JSON (the only output format)", ""},
    });
    Args args("intervene-eval",
              "Prompt interventions on held-out ShapesWorld scenes: for every content word "
              "(colour, shape, size,\n"
              "relation) of each caption, removes the word and regenerates the inverted scene "
              "from the same noise.\n"
              "Reports image-level Pearson r across interventions (CMI i_s vs total change; "
              "attention sum vs total\n"
              "change), mean pixel-level r of the CMI map (i_o) and of the attention map with the "
              "change map, and for\n"
              "colour and shape words the fraction of the change mass inside the object's "
              "ground-truth mask; each as\n"
              "{value, se} with a bootstrap SE over scenes (100 resamples of 90%, with "
              "replacement). Progress on stderr.",
              options);
    if (!args.parse(argc, argv))
        return 0;
    ShapesInterventionEvalConfig config;
    config.split = shapesSplitFromString(args.text("split"));
    if (config.split == ShapesSplit::Train)
        std::cerr
            << "note: train scenes were seen in training; held-out results use --split test\n";
    config.firstIndex = args.unsignedInteger("first");
    config.images = args.integer("n", 1, 1000000);
    config.seed = args.unsignedInteger("seed");
    config.steps = args.integer("steps", 1, 50);
    config.samples = args.integer("samples", 2, 1 << 20);
    config.attentionPasses = args.integer("attention-passes", 1, 4096);
    const std::string mode = args.text("mode");
    if (mode != "omit" && mode != "placeholder")
        throw UsageError("--mode must be omit or placeholder, not '" + mode + "'");
    config.mode = mode == "omit" ? WordMode::Omit : WordMode::Placeholder;
    if (const int threads = args.integer("threads", 0, 1024); threads > 0)
        torch::set_num_threads(threads);
    const std::shared_ptr<Model> model = openModel(args);
    if (model->kind != "shapes-ldm" && model->kind != "latent-diffusion")
        throw UsageError("intervene-eval runs on ShapesWorld models; '" + model->name + "' is " +
                         model->kind);
    std::cerr << "model " << model->name << " (" << placementLine(*model) << ")\n";
    const ShapesInterventionEvalResult result = evaluateShapesInterventions(
        *model, config, [](const std::string& line) { std::cerr << line << std::endl; });
    nlohmann::json json = toJson(result, config);
    json["model"] = {{"name", model->name}, {"hash", model->hash}};
    json["device"] = deviceName(model->placement.device);
    std::cout << json.dump(2) << "\n";
    return 0;
}

}  // namespace infolens::cli
