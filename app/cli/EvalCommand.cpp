#include <iostream>
#include <nlohmann/json.hpp>

#include "Args.h"
#include "Commands.h"
#include "infolens/models/shapes/ShapesEval.h"
#include "infolens/models/shapes/ShapesFamily.h"

namespace infolens::cli {

int evalCommand(int argc, char** argv) {
    Args args("eval",
              "Evaluates a ShapesWorld model on held-out scenes. Localization: mIoU of "
              "thresholded, normalised maps\n"
              "against ground-truth masks for CMI of object phrases, colour words and shape words, "
              "the MI map, DAAM-style\n"
              "attention and the whole-image baseline; thresholds are chosen on the validation "
              "split. Compositional:\n"
              "how often the true caption has higher i_o than its perturbation (colours swapped, "
              "relation reversed,\n"
              "words shuffled).",
              {{"model", "M", "bundle directory or 'default'", "default"},
               {"split", "train|test", "split to evaluate", "test"},
               {"first", "I", "first scene index", "0"},
               {"n", "IMAGES", "scenes to evaluate", "200"},
               {"validation", "IMAGES", "validation scenes for choosing thresholds", "100"},
               {"samples", "S", "log-SNR draws per image", "32"},
               {"attention-passes", "P", "denoiser passes averaged for attention maps", "8"},
               {"sampler", "iid|stratified", "log-SNR sampler", "stratified"},
               {"seed", "N", "seed", "0"},
               {"device", "D", "auto (CUDA when available), cpu, cuda or cuda:N", "auto"},
               {"dtype", "T", "float32, float16 or bfloat16", "float32"},
               {"json", "", "print JSON (the only output format)", ""}});
    if (!args.parse(argc, argv))
        return 0;
    ShapesEvalConfig config;
    config.split = shapesSplitFromString(args.text("split"));
    config.firstIndex = args.unsignedInteger("first");
    config.images = args.integer("n", 1, 1000000);
    config.validationImages = args.integer("validation", 1, 1000000);
    config.samples = args.integer("samples", 2, 1 << 20);
    config.attentionPasses = args.integer("attention-passes", 1, 1024);
    config.sampler = samplerKindFromString(args.text("sampler"));
    config.seed = args.unsignedInteger("seed");
    const ShapesModelHandle handle = openShapesModel(
        args.text("model"), parsePlacement(args.text("device"), args.text("dtype")));
    const auto& model = handle.model;
    const ShapesEvalResult result = evaluateShapesModel(
        handle, config, [](const std::string& line) { std::cerr << line << std::endl; });
    nlohmann::json json = toJson(result, config);
    json["model"] = {{"name", model->name}, {"hash", model->hash}};
    json["device"] = deviceName(model->placement.device);
    json["dtype"] = dtypeName(model->placement.dtype);
    std::cout << json.dump(2) << "\n";
    return 0;
}

}  // namespace infolens::cli
