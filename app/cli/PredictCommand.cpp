#include <torch/torch.h>

#include <cmath>
#include <iostream>

#include "Args.h"
#include "Commands.h"
#include "ModelOptions.h"
#include "NpyTensor.h"

namespace infolens::cli {

namespace {

// The log-SNR the command runs at: --logsnr as given, or --timestep T as the log-SNR of the
// model's own step T, which the denoiser maps back to exactly T.
double chosenLogSnr(const Args& args, const Denoiser& denoiser, std::string& described) {
    if (args.has("logsnr") == args.has("timestep"))
        throw UsageError("predict: give exactly one of --logsnr and --timestep (see --help)");
    if (args.has("logsnr")) {
        const double a = args.real("logsnr");
        if (!std::isfinite(a))
            throw UsageError("predict: --logsnr must be a finite number");
        const LogSnrRange range = denoiser.trainedLogSnrRange();
        if (a < range.lo || a > range.hi)
            std::cerr << "note: log-SNR " << a << " is outside the model's trained range ["
                      << range.lo << ", " << range.hi << "]\n";
        described = "log-SNR " + std::to_string(a);
        return a;
    }
    const std::vector<double> steps = denoiser.stepLogSnrs();
    if (steps.empty())
        throw UsageError(
            "predict: this model is continuous in log-SNR and has no discrete "
            "timesteps; use --logsnr");
    const int t = args.integer("timestep", 0, static_cast<int>(steps.size()) - 1);
    described = "timestep " + std::to_string(t) + " (log-SNR " +
                std::to_string(steps[static_cast<std::size_t>(t)]) + ")";
    return steps[static_cast<std::size_t>(t)];
}

}  // namespace

int predictCommand(int argc, char** argv) {
    std::vector<OptionSpec> options = modelOptions();
    options.insert(
        options.end(),
        {{"latent", "IN.npy",
          "noisy latent z, float32 or float64, shape [B, C, H, W] or [C, H, W] (C: the model's "
          "latent channels)",
          ""},
         {"logsnr", "A", "noise level as log-SNR: z = sqrt(sigmoid(A)) x + sqrt(sigmoid(-A)) eps",
          ""},
         {"timestep", "T",
          "noise level as the model's own discrete step (Stable Diffusion: 0..999 on the DDPM "
          "scaled-linear schedule)",
          ""},
         {"prompt", "TEXT", "the prompt (default: the empty prompt, the null condition)", ""},
         {"out", "OUT.npy", "where to write eps-hat: float32, the shape of IN", ""}});
    Args args("predict",
              "Writes the denoiser's noise prediction eps-hat for the latent IN at one noise level "
              "under one prompt,\n"
              "every row of a batch at the same level. Give exactly one of --logsnr and "
              "--timestep. Models that\n"
              "predict v (or x0) are converted to eps.",
              options);
    try {
        if (!args.parse(argc, argv))
            return 0;
        args.require("latent");
        args.require("out");
    } catch (const UsageError&) {
        throw;
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
    if (args.has("logsnr") == args.has("timestep"))
        throw UsageError("predict: give exactly one of --logsnr and --timestep (see --help)");
    const std::string latentPath = args.text("latent");
    const torch::Tensor input = readNpyTensor(latentPath);

    const std::shared_ptr<Model> model = openModel(args);
    Denoiser& denoiser = *model->denoiser;
    std::string described;
    double logSnr = 0.0;
    try {
        logSnr = chosenLogSnr(args, denoiser, described);
    } catch (const UsageError&) {
        throw;
    } catch (const Error& e) {  // a malformed or out-of-range number
        throw UsageError(e.what());
    }
    const std::vector<int64_t> shape = denoiser.dataShape();
    if (input.dim() != 3 && input.dim() != 4)
        throw Error("'" + latentPath + "' has shape " + shapeText(input.sizes()) +
                    "; predict takes [B, C, H, W] or [C, H, W]");
    const torch::Tensor z = input.dim() == 3 ? input.unsqueeze(0) : input;
    if (z.size(1) != shape[0] || z.size(0) < 1 || z.size(2) < 1 || z.size(3) < 1)
        throw Error("'" + latentPath + "' has shape " + shapeText(input.sizes()) + ", but " +
                    model->name + " takes latents of " + std::to_string(shape[0]) +
                    " channels, [B, " + std::to_string(shape[0]) +
                    ", H, W] (its own size: " + shapeText(shape) + ")");

    const std::string prompt = args.has("prompt") ? args.text("prompt") : "";
    torch::NoGradGuard noGrad;
    const TextEncoding encoding = model->textEncoder->encode(prompt);
    const torch::Device device = denoiser.device();
    const torch::ScalarType dtype = denoiser.dtype();
    std::vector<torch::Tensor> parts;
    const int64_t rows = z.size(0);
    const int64_t chunk = std::max(1, denoiser.preferredBatchRows());
    for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
        const int64_t n = std::min(chunk, rows - r0);
        const torch::Tensor zPart = z.narrow(0, r0, n).to(device, dtype);
        // float64 keeps the log-SNR of a discrete step exact, so it maps back to that very step.
        const torch::Tensor a = torch::full({n}, logSnr, torch::dtype(torch::kFloat64));
        const torch::Tensor cond = encoding.cond.unsqueeze(0).expand({n, -1, -1}).to(device);
        const torch::Tensor mask = encoding.mask.unsqueeze(0).expand({n, -1}).to(device);
        torch::Tensor raw;
        try {
            raw = denoiser.predict(zPart, a, cond, mask);
        } catch (const c10::Error& e) {
            throw Error("'" + latentPath + "' (shape " + shapeText(input.sizes()) +
                        ") does not fit " + model->name + " (its latents are " + shapeText(shape) +
                        "): " + e.what_without_backtrace());
        }
        parts.push_back(epsFromPrediction(raw, zPart, a.to(device), denoiser.predictionType())
                            .to(torch::kCPU, torch::kFloat32));
    }
    torch::Tensor eps = torch::cat(parts);
    if (eps.sizes() != z.sizes())
        throw Error(model->name + " returned " + shapeText(eps.sizes()) + " for a latent of " +
                    shapeText(z.sizes()));
    if (input.dim() == 3)
        eps = eps[0];
    writeNpyTensor(args.text("out"), eps);
    std::cout << "wrote " << args.text("out") << " " << shapeText(eps.sizes()) << " at "
              << described << ", " << placementLine(*model) << "\n";
    return 0;
}

}  // namespace infolens::cli
