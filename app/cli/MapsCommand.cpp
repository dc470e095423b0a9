#include <torch/torch.h>

#include <string>

#include "Args.h"
#include "Commands.h"
#include "MapsOutput.h"
#include "ModelOptions.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/model/Model.h"

namespace infolens::cli {

int mapsCommand(int argc, char** argv) {
    Args args(
        "maps",
        "Computes the MI of the prompt and the CMI of every word with its pixel map, and writes\n"
        "per-word maps as viridis PNG (shared scale, bits per pixel) and float32 NPY (nats per "
        "pixel)\n"
        "plus values.json (nats and bits, each with its standard error) into --out.\n"
        "For the Gaussian model, --image is an .npy vector of dim values or 'sample'.",
        withModelOptions(
            {{"image", "F",
              "image file (PNG, JPEG, BMP), or for the Gaussian model .npy or 'sample'", ""},
             {"prompt", "TEXT", "the prompt", ""},
             {"out", "DIR", "output directory (created if missing)", ""},
             {"samples", "S", "log-SNR draws", "256"},
             {"seed", "N", "seed (noise, log-SNR, Gaussian observations)", "0"},
             {"sampler", "iid|stratified", "log-SNR sampler", "stratified"},
             {"proposal", "model|logistic|uniform",
              "log-SNR proposal over the trained range (model: the model's preferred one)",
              "model"},
             {"placeholder", "TEXT", "replace each word with TEXT instead of omitting it", ""},
             {"attention", "",
              "also write each word's DAAM-style attention map (attention.npy [K,h,w], each map "
              "summing to 1, and NN_word_attention.png); models with attention readout only",
              ""},
             {"attention-passes", "P", "denoiser passes averaged for the attention maps", "8"},
             {"quiet", "", "no progress on stderr", ""}}));
    if (!args.parse(argc, argv))
        return 0;
    args.require("image");
    args.require("prompt");
    args.require("out");
    MapsRequest request;
    request.image = args.text("image");
    request.prompt = args.text("prompt");
    request.settings.samples = args.integer("samples", 1, 1 << 22);
    request.settings.seed = args.unsignedInteger("seed");
    request.settings.sampler = samplerKindFromString(args.text("sampler"));
    if (args.text("proposal") != "model")
        request.settings.proposal = proposalKindFromString(args.text("proposal"));
    request.placeholder = args.has("placeholder");
    if (request.placeholder)
        request.placeholderText = args.text("placeholder");
    request.progress = !args.flag("quiet");
    request.attention = args.flag("attention");
    request.attentionSettings.passes = args.integer("attention-passes", 1, 4096);
    request.attentionSettings.seed = request.settings.seed;
    const std::string outDir = args.text("out");

    const std::shared_ptr<Model> model = openModel(args);
    InfoEngine engine(model->denoiser, model->textEncoder);
    printMapsSummary(computeAndWriteMaps(*model, engine, request, outDir), outDir);
    return 0;
}

}  // namespace infolens::cli
