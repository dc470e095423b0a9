// Tests labelled `cuda`: the engine on a CUDA device gives the CPU's numbers. On a machine without
// CUDA each test passes after saying that it was skipped (scripts/device-check.sh runs them on a
// GPU machine).
#include <torch/cuda.h>
#include <torch/torch.h>

#include <iostream>

#include "infolens/engine/InfoEngine.h"
#include "infolens/engine/InfoPlan.h"
#include "infolens/io/ImageIO.h"
#include "infolens/model/ImageTensor.h"
#include "infolens/model/Model.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/models/BuiltinFamilies.h"
#include "infolens/models/gaussian/GaussianModel.h"
#include "infolens/models/gaussian/GaussianWorld.h"
#include "infolens/models/sd/SdCheckpoint.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

bool cudaOrSkip() {
    if (torch::cuda::is_available())
        return true;
    WARN("skipped: no CUDA device in this LibTorch build or machine");
    return false;
}

Snapshot runOn(const std::shared_ptr<Model>& model, const torch::Tensor& x,
               const std::string& prompt, int samples) {
    InfoEngine engine(model->denoiser, model->textEncoder);
    EngineSettings settings;
    settings.samples = samples;
    settings.seed = 11;
    return engine.run(x, InfoPlan::wordsOf(prompt, *model->textEncoder), settings);
}

// max |a - b| over every pair's value and map, relative to the larger magnitude.
double worstRelativeGap(const Snapshot& a, const Snapshot& b) {
    REQUIRE(a.pairs.size() == b.pairs.size());
    double worst = 0.0;
    for (std::size_t i = 0; i < a.pairs.size(); ++i) {
        const double va = a.pairs[i].io.value, vb = b.pairs[i].io.value;
        worst = std::max(worst, std::abs(va - vb) / std::max({1e-12, std::abs(va), std::abs(vb)}));
        REQUIRE(a.pairs[i].ioMap.device().is_cpu());  // snapshots come back to the host
        const double mapScale = a.pairs[i].ioMap.abs().max().item<double>();
        const double mapGap = (a.pairs[i].ioMap - b.pairs[i].ioMap).abs().max().item<double>();
        worst = std::max(worst, mapGap / std::max(1e-12, mapScale));
    }
    return worst;
}

}  // namespace

TEST_CASE("the Gaussian model's numbers on CUDA equal the CPU's (float64)", "[cuda]") {
    if (!cudaOrSkip())
        return;
    const auto cpu = builtinRegistry().load("gaussian:dim=48,words=4,seed=3");
    const auto gpu = builtinRegistry().load("gaussian:dim=48,words=4,seed=3",
                                            Placement{torch::Device(torch::kCUDA, 0)});
    CHECK(gpu->denoiser->device().is_cuda());
    const auto& params = std::static_pointer_cast<GaussianDenoiser>(cpu->denoiser)->params();
    const GaussianSample sample = drawGaussianSample(params, 2);
    std::static_pointer_cast<GaussianDenoiser>(cpu->denoiser)->setObservation(sample.y);
    std::static_pointer_cast<GaussianDenoiser>(gpu->denoiser)->setObservation(sample.y);
    const torch::Tensor x = gaussianDataTensor(sample.x);
    const double gap =
        worstRelativeGap(runOn(cpu, x, "w0 w1 w2 w3", 96), runOn(gpu, x, "w0 w1 w2 w3", 96));
    std::cout << "gaussian cpu vs cuda: worst relative gap " << gap << "\n";
    CHECK(gap < 1e-9);
}

TEST_CASE("ShapesWorld on CUDA: float32 matches the CPU, float16 within tolerance", "[cuda]") {
    if (!cudaOrSkip())
        return;
    const auto cpu = builtinRegistry().load("default");
    const Image image = loadImage(cpu->sample.imagePath);
    const torch::Tensor x = cpu->codec->encode(imageToTensor(image));
    const std::string prompt = cpu->sample.prompt;
    const Snapshot reference = runOn(cpu, x, prompt, 64);
    for (const auto dtype : {torch::kFloat32, torch::kFloat16, torch::kBFloat16}) {
        const auto gpu =
            builtinRegistry().load("default", Placement{torch::Device(torch::kCUDA, 0), dtype});
        CHECK(gpu->denoiser->device().is_cuda());
        // The same latent as the CPU path, so only the denoiser's arithmetic differs.
        const double gap = worstRelativeGap(reference, runOn(gpu, x, prompt, 64));
        std::cout << "shapes cpu float32 vs cuda " << dtypeName(dtype) << ": worst relative gap "
                  << gap << "\n";
        // TF32 and reduction order move float32 by ~1e-3; half precision by a few percent.
        CHECK(gap < (dtype == torch::kFloat32 ? 2e-2 : 0.15));
    }
}

TEST_CASE("tiny Stable Diffusion on CUDA matches the reference (float32) and float16 within 2%",
          "[cuda]") {
    if (!cudaOrSkip())
        return;
    const std::string dir = std::string(INFOLENS_SOURCE_DIR) + "/tests/data/sd/";
    const std::string spec = "sd:" + dir + "tiny-sd1.safetensors,heads=2,text-heads=2,image=16";
    const SdCheckpoint golden(dir + "tiny-sd1-golden.safetensors");
    const torch::Tensor abar = golden.tensor("alphas_cumprod", torch::kFloat64);
    auto logSnrAt = [&](int t) {
        const double a = abar[t].item<double>();
        return std::log(a) - std::log1p(-a);
    };
    // The reference rows: t = 37 and t = 611.5 in one batch.
    const torch::Tensor logSnr =
        torch::tensor(std::vector<double>{logSnrAt(37), 0.5 * (logSnrAt(611) + logSnrAt(612))});
    const torch::Tensor reference = golden.tensor("unet_out");
    const double scale = std::max(1.0, reference.abs().max().item<double>());
    for (const auto dtype : {torch::kFloat32, torch::kFloat16}) {
        const auto model =
            builtinRegistry().load(spec, Placement{torch::Device(torch::kCUDA, 0), dtype});
        torch::InferenceMode guard;
        const torch::Tensor eps =
            model->denoiser->predict(golden.tensor("x_t"), logSnr, golden.tensor("text_out"), {})
                .to(torch::kCPU, torch::kFloat64);
        const double gap = (eps - reference.to(torch::kFloat64)).abs().max().item<double>();
        std::cout << "tiny SD 1 UNet on cuda " << dtypeName(dtype) << ": max gap " << gap
                  << " (output scale " << scale << ")\n";
        CHECK(gap <= (dtype == torch::kFloat32 ? 1e-4 : 2e-2) * scale);
    }
}
