// Stable Diffusion's cross-attention readout on the tiny reference checkpoint.
#include <torch/torch.h>

#include "infolens/engine/AttentionMaps.h"
#include "infolens/engine/Intervention.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/models/BuiltinFamilies.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

const std::string kTinySd1 = "sd:" + std::string(INFOLENS_SOURCE_DIR) +
                             "/tests/data/sd/tiny-sd1.safetensors,heads=2,text-heads=2,image=32";

}  // namespace

TEST_CASE("SD attention: per-token probabilities of every attn2 layer, summing to 1 per pixel",
          "[sd][attention]") {
    const std::shared_ptr<Model> model = builtinRegistry().load(kTinySd1);
    AttentionCapture* capture = model->denoiser->attentionCapture();
    REQUIRE(capture != nullptr);
    torch::InferenceMode guard;
    const std::vector<int64_t> shape = model->denoiser->dataShape();
    const TextEncoding e = model->textEncoder->encode("a red cat on a mat");
    const int64_t L = e.cond.size(0);
    CHECK(L == 77);
    const torch::Tensor z = torch::randn({2, shape[0], shape[1], shape[2]});
    const torch::Tensor a = torch::tensor({-1.0f, 2.0f});
    capture->setCaptureAttention(true);
    const torch::Tensor withCapture = model->denoiser->predict(
        z, a, e.cond.unsqueeze(0).expand({2, -1, -1}), e.mask.unsqueeze(0).expand({2, -1}));
    const std::vector<torch::Tensor> layers = capture->takeCapturedAttention();
    capture->setCaptureAttention(false);
    const torch::Tensor without = model->denoiser->predict(
        z, a, e.cond.unsqueeze(0).expand({2, -1, -1}), e.mask.unsqueeze(0).expand({2, -1}));
    // Reading the attention does not change the prediction.
    CHECK((withCapture - without).abs().max().item<double>() < 1e-5);
    // The tiny checkpoint has four SpatialTransformers: input 1, middle, output 2 and 3.
    REQUIRE(layers.size() == 4);
    bool coarser = false;
    for (const torch::Tensor& layer : layers) {
        REQUIRE(layer.dim() == 4);
        CHECK(layer.size(0) == 2);
        CHECK(layer.size(1) == L);
        CHECK(shape[1] % layer.size(2) == 0);
        coarser = coarser || layer.size(2) < shape[1];
        CHECK(layer.min().item<double>() >= 0.0);
        // All 77 positions (start, end and padding included) share each pixel's probability mass.
        CHECK((layer.sum(1) - 1.0).abs().max().item<double>() < 1e-5);
    }
    CHECK(coarser);  // the UNet has attention at more than one resolution

    AttentionSettings settings;
    settings.passes = 3;
    const torch::Tensor latent = torch::randn({shape[0], shape[1], shape[2]});
    const AttentionMaps maps =
        computeAttentionMaps(*model->denoiser, *model->textEncoder, latent, "a red cat on a mat",
                             settings, model->imageHeight, model->imageWidth);
    CHECK(maps.firstToken == 1);
    CHECK(maps.tokens.sizes() == torch::IntArrayRef({L, shape[1], shape[2]}));
    CHECK((maps.tokens.sum(0) - 1.0).abs().max().item<double>() < 1e-5);
    CHECK(maps.words.size(0) == 6);
    CHECK(maps.wordsImage.size(1) == model->imageHeight);
    CHECK(maps.words.min().item<double>() >= 0.0);
}
