// The SD networks against the independent reference (tools/sd-reference). Text encoders: the tiny
// SD 1 (HF CLIP naming, F16 weights) and SD 2 (OpenCLIP naming, BF16 weights, penultimate layer)
// checkpoints, run on the reference's token ids, must give its conditioning to 1e-4.
#include <torch/torch.h>

#include "infolens/Error.h"
#include "infolens/models/sd/ClipTextEncoder.h"
#include "infolens/models/sd/ClipTokenizer.h"
#include "infolens/models/sd/SdCheckpoint.h"
#include "infolens/models/sd/SdUNet.h"
#include "infolens/models/sd/SdVae.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

std::string dataFile(const std::string& name) {
    return std::string(INFOLENS_SOURCE_DIR) + "/tests/data/sd/" + name;
}

// max|a - b| <= 1e-4 * max(1, max|b|), the reference's stated rule.
void requireClose(const torch::Tensor& ours, const torch::Tensor& reference) {
    REQUIRE(ours.sizes() == reference.sizes());
    const double error = (ours - reference).abs().max().item<double>();
    const double bound = 1e-4 * std::max(1.0, reference.abs().max().item<double>());
    INFO("max abs error " << error << " bound " << bound);
    CHECK(error <= bound);
}

}  // namespace

TEST_CASE("SD 1 and SD 2 text encoders match the reference conditioning", "[sd]") {
    for (const auto& [model, kind, layers] :
         {std::make_tuple(std::string("tiny-sd1"), ClipTextKind::Sd1, 2),
          std::make_tuple(std::string("tiny-sd2"), ClipTextKind::Sd2, 3)}) {
        INFO(model);
        const SdCheckpoint checkpoint(dataFile(model + ".safetensors"));
        const SdCheckpoint golden(dataFile(model + "-golden.safetensors"));
        const ClipTextConfig config = ClipTextEncoder::detect(checkpoint, 2);
        CHECK(config.kind == kind);
        CHECK(config.width == 16);
        CHECK(config.layers == layers);
        CHECK(config.vocabulary == 49408);
        const ClipTextEncoder encoder(checkpoint, config);
        torch::InferenceMode guard;
        const torch::Tensor out = encoder.forward(golden.tensor("tokens", torch::kInt64));
        requireClose(out, golden.tensor("text_out"));
        // A wrong head count is a different function: the reference would not be matched.
        ClipTextConfig oneHead = config;
        oneHead.heads = 1;
        const torch::Tensor wrong =
            ClipTextEncoder(checkpoint, oneHead).forward(golden.tensor("tokens", torch::kInt64));
        CHECK((wrong - golden.tensor("text_out")).abs().max().item<double>() > 1e-3);
    }
}

TEST_CASE("tokenizer and text encoder together reproduce the reference from the prompt", "[sd]") {
    const ClipTokenizer tokenizer = ClipTokenizer::fromMergesFile(
        std::string(INFOLENS_SD_SOURCE_DATA_DIR) + "/clip-bpe-merges.txt");
    const SdCheckpoint checkpoint(dataFile("tiny-sd2.safetensors"));
    const SdCheckpoint golden(dataFile("tiny-sd2-golden.safetensors"));
    const ClipTextEncoder encoder(checkpoint, ClipTextEncoder::detect(checkpoint, 2));
    const std::vector<int> ids =
        ClipTokenizer::wrap(tokenizer.encode("a photo of an astronaut riding a horse on mars"), 0);
    const torch::Tensor tokens =
        torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), torch::kInt64).view({1, 77});
    torch::InferenceMode guard;
    requireClose(encoder.forward(tokens), golden.tensor("text_out").narrow(0, 0, 1));
}

TEST_CASE("pickle checkpoints are refused with the reason and a way out", "[sd]") {
    CHECK_THROWS_AS(SdCheckpoint(dataFile("refuse-me.ckpt")), ModelError);
    CHECK_THROWS_WITH(SdCheckpoint(dataFile("refuse-me.ckpt")),
                      Catch::Contains("arbitrary code") && Catch::Contains(".safetensors"));
}

TEST_CASE("a checkpoint without the expected tensors names what is missing", "[sd]") {
    const SdCheckpoint vaeOnly(dataFile("tiny-sd1-unaligned.safetensors"));
    CHECK_THROWS_WITH(ClipTextEncoder::detect(vaeOnly),
                      Catch::Contains("no Stable Diffusion text encoder"));
    const SdCheckpoint checkpoint(dataFile("tiny-sd1.safetensors"));
    CHECK_THROWS_WITH(
        checkpoint.tensor("cond_stage_model.transformer.text_model.final_layer_norm.weight",
                          torch::kFloat32, {32}),
        Catch::Contains("has shape [16], expected [32]"));
    CHECK_THROWS_WITH(checkpoint.tensor("no.such.key"),
                      Catch::Contains("has no tensor 'no.such.key'"));
}

TEST_CASE("the SD autoencoder matches the reference moments and decoding", "[sd]") {
    // The aligned checkpoint and the unaligned VAE-only copy must give the same numbers.
    for (const char* file : {"tiny-sd1.safetensors", "tiny-sd1-unaligned.safetensors"}) {
        INFO(file);
        const SdCheckpoint checkpoint(dataFile(file));
        const SdCheckpoint golden(dataFile("tiny-sd1-golden.safetensors"));
        const SdVae vae(checkpoint);
        CHECK(vae.downsampling() == 2);
        CHECK(vae.latentChannels() == 4);
        torch::InferenceMode guard;
        const torch::Tensor moments = vae.moments(golden.tensor("image"));
        requireClose(moments, golden.tensor("moments"));
        const torch::Tensor mean = golden.tensor("moments").narrow(1, 0, 4);
        requireClose(vae.decode(mean), golden.tensor("decoded"));
    }
    const SdCheckpoint sd2(dataFile("tiny-sd2.safetensors"));
    const SdCheckpoint golden2(dataFile("tiny-sd2-golden.safetensors"));
    torch::InferenceMode guard;
    requireClose(SdVae(sd2).moments(golden2.tensor("image")), golden2.tensor("moments"));
}

TEST_CASE("the SD 1 and SD 2 UNets match the reference at fractional timesteps", "[sd]") {
    for (const auto& [model, heads] :
         {std::make_pair(std::string("tiny-sd1"), SdHeads{2, -1}),      // num_heads 2
          std::make_pair(std::string("tiny-sd2"), SdHeads{-1, 16})}) {  // num_head_channels 16
        INFO(model);
        const SdCheckpoint checkpoint(dataFile(model + ".safetensors"));
        const SdCheckpoint golden(dataFile(model + "-golden.safetensors"));
        const SdUNet unet(checkpoint, heads);
        CHECK(unet.inChannels() == 4);
        CHECK(unet.contextDim() == 16);
        torch::InferenceMode guard;
        const torch::Tensor eps =
            unet.forward(golden.tensor("x_t"), golden.tensor("t"), golden.tensor("text_out"));
        requireClose(eps, golden.tensor("unet_out"));
        // The timestep matters (a tiny config with only 32-channel blocks would erase it).
        const torch::Tensor shifted = unet.forward(golden.tensor("x_t"), golden.tensor("t") + 100.0,
                                                   golden.tensor("text_out"));
        CHECK((shifted - eps).abs().max().item<double>() > 1e-3);
    }
}
