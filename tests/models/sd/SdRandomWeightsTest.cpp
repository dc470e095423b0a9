// sd1-random / sd2-random: full-size SD 1.5 and SD 2.1-base layouts with seeded random weights.
// Parameter counts are computed from the architecture below and compared with the published
// figures: SD 1.5 UNet 859,520,964; SD 2.x UNet 865,910,724; KL-f8 VAE 83,653,863; CLIP ViT-L/14
// text 123,060,480; OpenCLIP ViT-H/14 text 352,984,064 stored (24 layers), of which SD runs 23 =
// 340,387,840 (the diffusers SD 2 text encoder's size).
#include <torch/torch.h>

#include <chrono>

#include "infolens/model/ModelRegistry.h"
#include "infolens/models/BuiltinFamilies.h"
#include "infolens/models/sd/SdRandomWeights.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

int64_t countWithPrefix(const SdRandomWeights& w, const std::string& prefix) {
    int64_t n = 0;
    for (const std::string& name : w.namesWithPrefix(prefix)) {
        int64_t size = 1;
        for (const int64_t d : w.shape(name))
            size *= d;
        n += size;
    }
    return n;
}

// From the LDM configs (SD-NOTES 2.1): model_channels 320, mult 1,2,4,4, 2 res blocks, attention
// at the first three levels, one transformer block; conv or linear projections count the same.
int64_t unetParameters(int64_t context) {
    const int64_t mc = 320, time = 1280;
    const std::vector<int64_t> mult = {1, 2, 4, 4};
    auto res = [&](int64_t i, int64_t o) {
        return 2 * i + 9 * i * o + o + time * o + o + 2 * o + 9 * o * o + o +
               (i != o ? i * o + o : 0);
    };
    auto st = [&](int64_t c) {
        return 2 * c + 2 * (c * c + c) + 6 * c + (4 * c * c + c) +
               (2 * c * c + 2 * c * context + c) + (8 * c * c + 8 * c) + (4 * c * c + c);
    };
    int64_t n = (mc * time + time) + (time * time + time) + (4 * mc * 9 + mc);
    int64_t ch = mc;
    std::vector<int64_t> skips = {mc};
    for (std::size_t l = 0; l < mult.size(); ++l) {
        for (int j = 0; j < 2; ++j) {
            n += res(ch, mc * mult[l]);
            ch = mc * mult[l];
            n += l < 3 ? st(ch) : 0;
            skips.push_back(ch);
        }
        if (l < 3) {
            n += 9 * ch * ch + ch;
            skips.push_back(ch);
        }
    }
    n += 2 * res(ch, ch) + st(ch);
    for (int l = 3; l >= 0; --l) {
        for (int j = 0; j < 3; ++j) {
            n += res(ch + skips.back(), mc * mult[l]);
            skips.pop_back();
            ch = mc * mult[l];
            n += l < 3 ? st(ch) : 0;
            n += l > 0 && j == 2 ? 9 * ch * ch + ch : 0;
        }
    }
    return n + 2 * mc + mc * 4 * 9 + 4;
}

// ch 128, mult 1,2,4,4, 2 res blocks, z 4, mid attention with 1x1 convolutions.
int64_t vaeParameters() {
    auto res = [](int64_t i, int64_t o) {
        return 2 * i + 9 * i * o + o + 2 * o + 9 * o * o + o + (i != o ? i * o + o : 0);
    };
    auto mid = [&](int64_t c) { return 2 * res(c, c) + 2 * c + 4 * (c * c + c); };
    const std::vector<int64_t> mult = {1, 2, 4, 4};
    int64_t n = 3 * 128 * 9 + 128, in = 128;
    for (int l = 0; l < 4; ++l) {
        for (int j = 0; j < 2; ++j, in = 128 * mult[l])
            n += res(in, 128 * mult[l]);
        n += l < 3 ? 9 * in * in + in : 0;
    }
    n += mid(512) + 2 * 512 + (512 * 8 * 9 + 8) + (8 * 8 + 8) + (4 * 4 + 4);
    n += (4 * 512 * 9 + 512) + mid(512);
    in = 512;
    for (int l = 3; l >= 0; --l) {
        for (int j = 0; j < 3; ++j, in = 128 * mult[l])
            n += res(in, 128 * mult[l]);
        n += l > 0 ? 9 * in * in + in : 0;
    }
    return n + 2 * 128 + 128 * 3 * 9 + 3;
}

// Token and position tables, `layers` pre-norm blocks (attention with biases, MLP 4w), final norm.
int64_t textParameters(int64_t w, int64_t layers) {
    const int64_t block = 4 * (w * w + w) + 4 * w + (4 * w * w + 4 * w) + (4 * w * w + w);
    return 49408 * w + 77 * w + layers * block + 2 * w;
}

}  // namespace

TEST_CASE("sd1-random and sd2-random have the released models' layouts", "[sd]") {
    const SdRandomWeights sd1(1), sd2(2);
    CHECK(unetParameters(768) == 859520964);
    CHECK(unetParameters(1024) == 865910724);
    CHECK(vaeParameters() == 83653863);
    CHECK(textParameters(768, 12) == 123060480);
    CHECK(textParameters(1024, 23) == 340387840);
    CHECK(countWithPrefix(sd1, "model.diffusion_model.") == unetParameters(768));
    CHECK(countWithPrefix(sd2, "model.diffusion_model.") == unetParameters(1024));
    CHECK(countWithPrefix(sd1, "first_stage_model.") == vaeParameters());
    CHECK(countWithPrefix(sd2, "first_stage_model.") == vaeParameters());
    CHECK(countWithPrefix(sd1, "cond_stage_model.") == textParameters(768, 12));
    CHECK(countWithPrefix(sd2, "cond_stage_model.") == textParameters(1024, 24));
    CHECK(sd1.shape("model.diffusion_model.input_blocks.1.1.proj_in.weight") ==
          std::vector<int64_t>{320, 320, 1, 1});
    CHECK(sd2.shape("model.diffusion_model.input_blocks.1.1.proj_in.weight") ==
          std::vector<int64_t>{320, 320});
    CHECK(sd2.shape(
              "model.diffusion_model.output_blocks.5.1.transformer_blocks.0.attn2.to_k.weight") ==
          std::vector<int64_t>{1280, 1024});
}

TEST_CASE("random weights are drawn per name, reproducibly, scaled by fan-in", "[sd]") {
    const SdRandomWeights a(1), b(1), other(1, 7);
    const std::string conv = "model.diffusion_model.input_blocks.4.0.in_layers.2.weight";
    torch::InferenceMode guard;
    const torch::Tensor x = a.tensor(conv);
    CHECK(torch::equal(x, b.tensor(conv)));  // same seed and name: same values, any order
    CHECK_FALSE(torch::equal(x, other.tensor(conv)));
    CHECK(x.sizes() == torch::IntArrayRef({640, 320, 3, 3}));
    CHECK(x.std().item<double>() == Approx(1.0 / std::sqrt(320.0 * 9.0)).epsilon(0.02));
    CHECK(a.tensor("model.diffusion_model.input_blocks.4.0.in_layers.0.weight")
              .min()
              .item<double>() == 1.0);
    CHECK(a.tensor("model.diffusion_model.input_blocks.4.0.in_layers.2.bias")
              .abs()
              .max()
              .item<double>() == 0.0);
    CHECK(a.hash() == b.hash());
    CHECK(a.hash() != other.hash());
    CHECK(a.hash() != SdRandomWeights(2).hash());
}

TEST_CASE("sd1-random opens at full size and runs its text encoder and UNet", "[sd][.slow]") {
    const auto start = std::chrono::steady_clock::now();
    const auto model = builtinRegistry().load("sd1-random");
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    WARN("sd1-random loaded in " << seconds << " s");
    CHECK(model->imageWidth == 512);
    CHECK(model->denoiser->dataShape() == std::vector<int64_t>{4, 64, 64});
    CHECK(model->hash == SdRandomWeights(1).hash());
    torch::InferenceMode guard;
    const torch::Tensor cond = model->textEncoder->encode("a photo of an astronaut").cond;
    CHECK(cond.sizes() == torch::IntArrayRef({77, 768}));
    CHECK(torch::isfinite(cond).all().item<bool>());
    // One UNet call on 8x8 latents (the full 64x64 takes seconds on two cores).
    const torch::Tensor eps = model->denoiser->predict(
        torch::randn({1, 4, 8, 8}), torch::tensor(std::vector<double>{0.0}), cond.unsqueeze(0), {});
    CHECK(eps.sizes() == torch::IntArrayRef({1, 4, 8, 8}));
    CHECK(torch::isfinite(eps).all().item<bool>());
}

TEST_CASE("sd2-random opens at full size and runs its text encoder", "[sd][.slow]") {
    const auto start = std::chrono::steady_clock::now();
    const auto model = builtinRegistry().load("sd2-random");
    WARN("sd2-random loaded in "
         << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
         << " s");
    CHECK(model->name.find("SD 2.x") == 0);
    torch::InferenceMode guard;
    const torch::Tensor cond = model->textEncoder->encode("a photo of an astronaut").cond;
    CHECK(cond.sizes() == torch::IntArrayRef({77, 1024}));
    CHECK(torch::isfinite(cond).all().item<bool>());
}
