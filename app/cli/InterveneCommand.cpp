#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Args.h"
#include "Commands.h"
#include "InterveneOutput.h"
#include "ModelOptions.h"
#include "infolens/Error.h"
#include "infolens/engine/Intervention.h"
#include "infolens/io/ImageIO.h"
#include "infolens/model/ImageTensor.h"
#include "infolens/model/Model.h"

namespace infolens::cli {

int interveneCommand(int argc, char** argv) {
    const std::vector<OptionSpec> options = withModelOptions({
        {"image", "FILE", "PNG, JPEG or BMP (resized to the model's size with a notice)", ""},
        {"prompt", "TEXT", "the image's prompt", ""},
        {"word", "K",
         "the word to edit: its 0-based index among the prompt's words, or its text "
         "(case-insensitive; must occur once and not also read as an index)",
         ""},
        {"swap", "W", "replace the word by W (default: remove it)", ""},
        {"mode", "omit|placeholder", "how a removed word leaves the prompt", "omit"},
        {"placeholder", "TEXT", "the placeholder of --mode placeholder", "_"},
        {"steps", "N", "DDIM steps of inversion and regeneration (1-50)", "50"},
        {"guidance", "W", "guidance of the regenerations (1 = the inversion's own ODE)", "1"},
        {"samples", "S", "log-SNR draws of the predicted (information) map", "64"},
        {"attention-passes", "P", "denoiser passes averaged for the attention map", "8"},
        {"seed", "N", "seed of the estimation and attention draws", "0"},
        {"out", "DIR", "output folder", ""},
    });
    Args args("intervene",
              "Prompt intervention: inverts the image under its prompt with deterministic DDIM, "
              "regenerates it from\n"
              "the same noise under the prompt and under the edited prompt (the word removed or "
              "swapped), and compares\n"
              "where the image changed with the word's information map (i_o; for a swap the map "
              "of ||eps(y) - eps(y')||^2)\n"
              "and its attention map. Writes edited.png, original-regenerated.png, change.npy/png "
              "(latent squared change\n"
              "upsampled to the image), change-pixels.npy, predicted.npy/png, attention.npy "
              "(maps at image size;\n"
              "*-latent.npy at latent size, where the Pearson r are computed) and "
              "intervention.json (nats).",
              options);
    if (!args.parse(argc, argv))
        return 0;
    args.require("image");
    args.require("prompt");
    args.require("word");
    args.require("out");
    const auto start = std::chrono::steady_clock::now();
    const std::shared_ptr<Model> model = openModel(args);
    if (!model->worksOnImages())
        throw UsageError("model '" + model->name + "' does not work on images (it is " +
                         model->kind + ")");
    const std::string prompt = args.text("prompt");
    const Tokenization tokens = model->textEncoder->tokenize(prompt);
    InterventionEdit edit;
    edit.word = resolveWord(args.text("word"), tokens);
    const std::string mode = args.text("mode");
    if (mode != "omit" && mode != "placeholder")
        throw UsageError("--mode must be omit or placeholder, not '" + mode + "'");
    edit.mode = mode == "omit" ? WordMode::Omit : WordMode::Placeholder;
    edit.placeholder = args.text("placeholder");
    if (args.has("swap")) {
        edit.kind = EditKind::Swap;
        edit.replacement = args.text("swap");
    }
    InterventionSettings settings;
    settings.steps = args.integer("steps", 1, 50);
    settings.guidance = args.real("guidance");
    settings.engine.samples = args.integer("samples", 2, 1 << 20);
    settings.engine.seed = args.unsignedInteger("seed");
    settings.attention.passes = args.integer("attention-passes", 1, 4096);
    settings.attention.seed = settings.engine.seed;

    std::string notice;
    const Image loaded =
        fitImage(loadImage(args.text("image")), model->imageWidth, model->imageHeight, &notice);
    if (!notice.empty())
        std::cerr << "note: " << notice << "\n";
    for (const Word& w : tokens.words) {
        if (w.unknown)
            std::cerr << "note: '" << w.text << "' is not in the model's vocabulary\n";
    }
    const torch::Tensor image = imageToTensor(loaded);
    InversionCache cache;
    const InterventionResult r = runIntervention(*model, cache, image, prompt, edit, settings);

    writeInterventionOutputs(
        args.text("out"), *model, r, edit, settings,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    constexpr double kLn2 = 0.69314718055994530942;
    std::cout << "'" << r.word << "' " << toString(edit.kind) << ": '" << r.prompt << "' -> '"
              << r.edited << "'\n"
              << "CMI " << r.cmi.value / kLn2 << " ± " << r.cmi.se / kLn2
              << " bits (i_o), total change " << r.change.total << ", pixel r information "
              << r.pixelRInformation << ", attention " << r.pixelRAttention << "; inversion PSNR "
              << r.inversion->psnrDb << " dB\n"
              << "wrote " << args.text("out") << "\n";
    return 0;
}

}  // namespace infolens::cli
