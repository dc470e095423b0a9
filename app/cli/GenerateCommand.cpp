#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Args.h"
#include "Commands.h"
#include "ModelOptions.h"
#include "infolens/Error.h"
#include "infolens/engine/DdimSampler.h"
#include "infolens/model/ImageTensor.h"
#include "infolens/model/Model.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/models/BuiltinFamilies.h"

namespace infolens::cli {

namespace {

std::shared_ptr<Model> imageModel(const Args& args) {
    std::shared_ptr<Model> model = openModel(args);
    if (!model->worksOnImages()) {
        throw Error("model '" + args.text("model") + "' does not work on images (it is " +
                    model->kind + ")");
    }
    return model;
}

void requireKnownWords(const Model& model, const std::string& prompt) {
    for (const Word& w : model.textEncoder->tokenize(prompt).words) {
        if (w.unknown)
            std::cerr << "note: '" << w.text
                      << "' is not in the model's vocabulary and is read as [UNK]\n";
    }
}

}  // namespace

int generateCommand(int argc, char** argv) {
    Args args("generate",
              "Generates an image from a prompt with deterministic DDIM sampling (eta = 0) over "
              "the model's trained\n"
              "log-SNR range, with classifier-free guidance against the empty prompt.",
              withModelOptions({{"prompt", "TEXT", "the prompt", ""},
                                {"seed", "N", "seed of the starting noise", "0"},
                                {"steps", "N", "DDIM steps (1-50)", "40"},
                                {"guidance", "W", "classifier-free guidance scale (1 = none)", "3"},
                                {"out", "FILE", "PNG to write", ""}}));
    if (!args.parse(argc, argv))
        return 0;
    args.require("prompt");
    args.require("out");
    const auto model = imageModel(args);
    const std::string prompt = args.text("prompt");
    requireKnownWords(*model, prompt);
    DdimSettings settings;
    settings.seed = args.unsignedInteger("seed");
    settings.steps = args.integer("steps", 1, 50);
    settings.guidance = args.real("guidance");
    const DdimSampler sampler(*model->denoiser, settings);
    const auto start = std::chrono::steady_clock::now();
    const torch::Tensor latent =
        sampler.generate(model->textEncoder->encode(prompt), model->textEncoder->encode(""));
    const Image image = tensorToImage(model->codec->decode(latent));
    writePng(args.text("out"), image.width, image.height, 3, image.rgb);
    std::cout << "wrote " << args.text("out") << " (" << image.width << "x" << image.height << ", "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
              << " s)\n";
    return 0;
}

int invertCommand(int argc, char** argv) {
    Args args(
        "invert",
        "Inverts a real image to noise with deterministic DDIM under its prompt and regenerates it "
        "from that\n"
        "noise (no guidance), reporting the reconstruction error. This is the round trip "
        "interventions use.",
        withModelOptions(
            {{"image", "FILE", "PNG, JPEG or BMP (resized to the model's size with a notice)", ""},
             {"prompt", "TEXT", "the prompt", ""},
             {"steps", "N", "DDIM steps (1-50)", "40"},
             {"out", "FILE", "PNG of the reconstruction (optional)", ""},
             {"json", "", "print JSON", ""}}));
    if (!args.parse(argc, argv))
        return 0;
    args.require("image");
    args.require("prompt");
    const auto model = imageModel(args);
    std::string notice;
    const Image image =
        fitImage(loadImage(args.text("image")), model->imageWidth, model->imageHeight, &notice);
    if (!notice.empty())
        std::cerr << "note: " << notice << "\n";
    const std::string prompt = args.text("prompt");
    requireKnownWords(*model, prompt);
    DdimSettings settings;
    settings.steps = args.integer("steps", 1, 50);
    settings.guidance = 1.0;
    const DdimSampler sampler(*model->denoiser, settings);
    const TextEncoding encoding = model->textEncoder->encode(prompt);
    const torch::Tensor latent = model->codec->encode(imageToTensor(image));
    const torch::Tensor noise = sampler.invert(latent, encoding);
    const torch::Tensor back = sampler.generateFrom(noise, encoding, encoding);
    const torch::Tensor original = imageToTensor(image);
    const torch::Tensor decodedOriginal = model->codec->decode(latent);
    const torch::Tensor reconstructed = model->codec->decode(back);
    auto psnr = [](const torch::Tensor& a, const torch::Tensor& b) {
        return 10.0 * std::log10(1.0 / std::max(1e-12, (a - b).square().mean().item<double>()));
    };
    const nlohmann::json result = {
        {"latent_rmse", (back - latent).square().mean().sqrt().item<double>()},
        {"latent_std", latent.std().item<double>()},
        {"noise_std", noise.std().item<double>()},
        {"psnr_reconstruction_vs_image_db", psnr(reconstructed, original)},
        {"psnr_autoencoder_vs_image_db", psnr(decodedOriginal, original)},
        {"steps", settings.steps},
        {"device", deviceName(model->placement.device)},
        {"dtype", dtypeName(model->placement.dtype)}};
    if (args.has("out")) {
        const Image out = tensorToImage(reconstructed);
        writePng(args.text("out"), out.width, out.height, 3, out.rgb);
    }
    if (args.flag("json")) {
        std::cout << result.dump(2) << "\n";
    } else {
        std::cout << "latent RMSE " << result["latent_rmse"].get<double>() << " (latent std "
                  << result["latent_std"].get<double>() << "), PSNR "
                  << result["psnr_reconstruction_vs_image_db"].get<double>()
                  << " dB (autoencoder alone "
                  << result["psnr_autoencoder_vs_image_db"].get<double>() << " dB)\n";
    }
    return 0;
}

}  // namespace infolens::cli
