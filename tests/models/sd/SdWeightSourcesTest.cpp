// Stable Diffusion weight sources beyond the single LDM file: diffusers folders (bit-identical to
// the single file they were renamed from), the Hugging Face cache layout, EMA-only files, the
// settings layers (spec > config file > sidecar > detection), refusals, and bfloat16 placement.
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "SdTestFolders.h"
#include "infolens/Error.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/models/BuiltinFamilies.h"
#include "infolens/models/sd/ClipTextEncoder.h"
#include "infolens/models/sd/SdCheckpoint.h"
#include "infolens/models/sd/SdDiffusers.h"
#include "infolens/models/sd/SdModel.h"
#include "infolens/models/sd/SdUNet.h"
#include "infolens/models/sd/SdVae.h"

#include <catch2/catch.hpp>

using namespace infolens;
using namespace infolens::sdtest;
namespace fs = std::filesystem;

namespace {

// The single-file spec that matches what the diffusers copy's configs say.
std::string singleFileSpec(int version, const std::string& file = "") {
    const std::string path =
        file.empty() ? dataFile("tiny-sd" + std::to_string(version) + ".safetensors") : file;
    return "sd:" + path + (version == 1 ? ",heads=2" : ",head-channels=16") +
           ",text-heads=2,image=16";
}

struct Outputs {
    torch::Tensor cond, eps, latent, image;
};

// Text conditioning, eps at both ends of the schedule (log-SNRs beyond the trained range clamp to
// t = 0 and t = 999 exactly, so no schedule table rounding enters) and the codec both ways.
Outputs run(const Model& model) {
    torch::InferenceMode guard;
    const SdCheckpoint golden(dataFile("tiny-sd1-golden.safetensors"));
    Outputs o;
    o.cond = model.textEncoder->encode("a photo of an astronaut riding a horse").cond;
    const torch::Tensor x = golden.tensor("x_t");
    const torch::Tensor cond = torch::stack({o.cond, o.cond});
    o.eps = model.denoiser->predict(x, torch::tensor(std::vector<double>{50.0, -50.0}), cond, {});
    o.latent = model.codec->encode((golden.tensor("image")[0] + 1.0) * 0.5);
    o.image = model.codec->decode(o.latent);
    return o;
}

void requireIdentical(const Outputs& a, const Outputs& b) {
    CHECK(torch::equal(a.cond, b.cond));
    CHECK(torch::equal(a.eps, b.eps));
    CHECK(torch::equal(a.latent, b.latent));
    CHECK(torch::equal(a.image, b.image));
}

double maxDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

}  // namespace

TEST_CASE("diffusers copies of the tiny models match the single files bit for bit", "[sd]") {
    for (const int version : {1, 2}) {
        INFO("SD " << version);
        const TempDir dir("sd-diffusers");
        const std::string folder = dir.path() + "/tiny";
        writeDiffusersCopy(version, folder);
        // No options: heads, text heads, image size, prediction and pad token come from the
        // folder's own configs.
        const auto diffusers = builtinRegistry().load(folder);
        const auto single = builtinRegistry().load(singleFileSpec(version));
        CHECK(diffusers->kind == "stable-diffusion");
        CHECK(diffusers->imageWidth == 16);  // unet sample_size 8 x VAE factor 2
        CHECK(diffusers->denoiser->predictionType() == PredictionType::Eps);
        CHECK(diffusers->name.find(version == 1 ? "SD 1.x" : "SD 2.x") == 0);
        CHECK(diffusers->hash.size() == 64);
        CHECK(diffusers->hash != single->hash);
        const Outputs a = run(*diffusers), b = run(*single);
        requireIdentical(a, b);
        // SD 2: the diffusers text encoder has one layer fewer and runs all of them; it must give
        // the LDM path's penultimate layer + ln_final exactly, and the reference's conditioning.
        const SdCheckpoint golden(
            dataFile("tiny-sd" + std::to_string(version) + "-golden.safetensors"));
        {
            torch::InferenceMode guard;
            const torch::Tensor reference = golden.tensor("text_out")[0];
            const torch::Tensor ours =
                diffusers->textEncoder->encode("a photo of an astronaut riding a horse on mars")
                    .cond;
            CHECK(maxDiff(ours, reference) <=
                  1e-4 * std::max(1.0, reference.abs().max().item<double>()));
        }
        // The networks at the reference's fractional timesteps, straight from both sources.
        const SdDiffusersWeights weights(folder);
        const SdCheckpoint checkpoint(
            dataFile("tiny-sd" + std::to_string(version) + ".safetensors"));
        const SdHeads heads = version == 1 ? SdHeads{2, -1} : SdHeads{-1, 16};
        CHECK(weights.info().settings.unetHeads->count == (version == 1 ? 2 : -1));
        torch::InferenceMode guard;
        const torch::Tensor x = golden.tensor("x_t"), t = golden.tensor("t");
        const torch::Tensor ctx = golden.tensor("text_out");
        const torch::Tensor fromFolder = SdUNet(weights, heads).forward(x, t, ctx);
        CHECK(torch::equal(fromFolder, SdUNet(checkpoint, heads).forward(x, t, ctx)));
        CHECK(maxDiff(fromFolder, golden.tensor("unet_out")) <=
              1e-4 * std::max(1.0, golden.tensor("unet_out").abs().max().item<double>()));
        CHECK(torch::equal(SdVae(weights).moments(golden.tensor("image")),
                           SdVae(checkpoint).moments(golden.tensor("image"))));
    }
}

TEST_CASE("diffusers names map to LDM names as the published conversion does", "[sd]") {
    // SD 1.5 layout: 2 resnets per down block, up block 0 without attention.
    const std::vector<bool> upAttention = {false, true, true, true};
    CHECK(ldmUNetName("down_blocks.1.attentions.0.proj_in.weight", 2, upAttention) ==
          "input_blocks.4.1.proj_in.weight");
    CHECK(ldmUNetName("down_blocks.2.downsamplers.0.conv.bias", 2, upAttention) ==
          "input_blocks.9.0.op.bias");
    CHECK(ldmUNetName("up_blocks.0.upsamplers.0.conv.weight", 2, upAttention) ==
          "output_blocks.2.1.conv.weight");
    CHECK(ldmUNetName("up_blocks.2.upsamplers.0.conv.weight", 2, upAttention) ==
          "output_blocks.8.2.conv.weight");
    CHECK(ldmUNetName("up_blocks.3.resnets.2.conv_shortcut.weight", 2, upAttention) ==
          "output_blocks.11.0.skip_connection.weight");
    CHECK(ldmUNetName("mid_block.resnets.1.time_emb_proj.bias", 2, upAttention) ==
          "middle_block.2.emb_layers.1.bias");
    CHECK(ldmUNetName("time_embedding.linear_2.weight", 2, upAttention) == "time_embed.2.weight");
    CHECK(ldmUNetName("add_embedding.linear_1.weight", 2, upAttention).empty());
    CHECK(ldmVaeName("decoder.up_blocks.0.resnets.2.conv_shortcut.weight", 4) ==
          "decoder.up.3.block.2.nin_shortcut.weight");
    CHECK(ldmVaeName("encoder.mid_block.attentions.0.to_out.0.weight", 4) ==
          "encoder.mid.attn_1.proj_out.weight");
    CHECK(ldmVaeName("encoder.mid_block.attentions.0.proj_attn.bias", 4) ==
          "encoder.mid.attn_1.proj_out.bias");
    CHECK(ldmVaeName("decoder.up_blocks.3.upsamplers.0.conv.weight", 4).empty() == false);
    CHECK(ldmVaeName("decoder.conv_norm_out.weight", 4) == "decoder.norm_out.weight");
}

TEST_CASE("a Hugging Face cache snapshot loads through its symlinks, and only inside the cache",
          "[sd]") {
    const TempDir dir("sd-hfcache");
    const std::string plain = dir.path() + "/plain";
    writeDiffusersCopy(1, plain);
    const fs::path repo = fs::path(dir.path()) / "hub" / "models--org--tiny-sd1";
    const std::string commit = "0123456789abcdef0123456789abcdef01234567";
    const fs::path snapshot = repo / "snapshots" / commit;
    int blob = 0;
    for (const auto& entry : fs::recursive_directory_iterator(plain)) {
        if (!entry.is_regular_file())
            continue;
        const fs::path rel = fs::relative(entry.path(), plain);
        const std::string blobName = "blob" + std::to_string(blob++);
        fs::create_directories(repo / "blobs");
        fs::copy_file(entry.path(), repo / "blobs" / blobName);
        fs::create_directories((snapshot / rel).parent_path());
        // As huggingface_hub writes them: relative links up to the repo folder.
        std::string up = "../../";
        for (auto it = rel.begin(); std::next(it) != rel.end(); ++it)
            up += "../";
        fs::create_symlink(up + "blobs/" + blobName, snapshot / rel);
    }
    writeText((repo / "refs" / "main").string(), commit + "\n");
    REQUIRE(fs::is_symlink(snapshot / "unet" / "diffusion_pytorch_model.safetensors"));

    const Outputs reference = run(*builtinRegistry().load(plain));
    requireIdentical(run(*builtinRegistry().load(snapshot.string())), reference);
    requireIdentical(run(*builtinRegistry().load(repo.string())), reference);  // via refs/main

    // A link that leaves the cache folder is refused, even to a valid file.
    const fs::path unet = snapshot / "unet" / "diffusion_pytorch_model.safetensors";
    fs::remove(unet);
    fs::create_symlink(fs::path(plain) / "unet" / "diffusion_pytorch_model.safetensors", unet);
    CHECK_THROWS_WITH(builtinRegistry().load(snapshot.string()),
                      Catch::Contains("outside the cache folder"));
    writeText((repo / "refs" / "main").string(), "not-a-commit\n");
    CHECK_THROWS_WITH(builtinRegistry().load(repo.string()), Catch::Contains("refs/main"));
}

TEST_CASE("settings: spec options over config file over sidecar over detection", "[sd]") {
    const TempDir dir("sd-settings");
    const std::string file = dir.path() + "/tiny.safetensors";
    fs::copy_file(dataFile("tiny-sd1.safetensors"), file);
    const std::string sidecar = file + ".infolens.json";
    const Outputs reference = run(*builtinRegistry().load(singleFileSpec(1)));

    // The sidecar alone states what the file cannot: same model as the spec options give.
    writeText(sidecar, R"({"heads": 2, "text_heads": 2, "image_size": 16})");
    const auto fromSidecar = builtinRegistry().load(file);
    CHECK(fromSidecar->imageWidth == 16);
    requireIdentical(run(*fromSidecar), reference);

    // A config file overrides the sidecar: 4 heads is a different function.
    const std::string config = dir.path() + "/four-heads.json";
    writeText(config, R"({"heads": 4, "prediction": "v"})");
    const auto fourHeads = builtinRegistry().load("sd:" + file + ",config=" + config);
    CHECK(fourHeads->denoiser->predictionType() == PredictionType::V);
    const Outputs four = run(*fourHeads);
    CHECK(torch::equal(four.cond, reference.cond));  // text heads still from the sidecar
    CHECK(maxDiff(four.eps, reference.eps) > 1e-3);
    // Spec options override the config file.
    const auto specWins =
        builtinRegistry().load("sd:" + file + ",config=" + config + ",heads=2,prediction=eps");
    CHECK(specWins->denoiser->predictionType() == PredictionType::Eps);
    requireIdentical(run(*specWins), reference);

    // Bad files name themselves and the problem.
    writeText(sidecar, R"({"heads": 2, "colour": "red"})");
    CHECK_THROWS_WITH(builtinRegistry().load(file),
                      Catch::Contains(sidecar) && Catch::Contains("unknown key 'colour'"));
    writeText(sidecar, R"({"heads": 0})");
    CHECK_THROWS_WITH(builtinRegistry().load(file),
                      Catch::Contains(sidecar) && Catch::Contains("heads must be"));
    writeText(sidecar, R"({"heads": 2, "head_channels": 16})");
    CHECK_THROWS_WITH(builtinRegistry().load(file), Catch::Contains("not both"));
    writeText(sidecar, R"({"prediction": "x0"})");
    CHECK_THROWS_WITH(builtinRegistry().load(file), Catch::Contains("prediction must be"));
    writeText(sidecar, "{heads: 2");
    CHECK_THROWS_WITH(builtinRegistry().load(file), Catch::Contains("not valid JSON"));
    CHECK_THROWS_WITH(builtinRegistry().load("sd:" + file + ",config=" + dir.path() + "/none.json"),
                      Catch::Contains("none.json"));

    // In a diffusers folder, infolens.json sits above the folder's own configs.
    const std::string folder = dir.path() + "/diffusers";
    writeDiffusersCopy(1, folder);
    writeText(folder + "/infolens.json", R"({"heads": 4})");
    CHECK(maxDiff(run(*builtinRegistry().load(folder)).eps, reference.eps) > 1e-3);
}

TEST_CASE("diffusers folders SD cannot run are refused with the reason", "[sd]") {
    const TempDir dir("sd-refuse");
    const std::string folder = dir.path() + "/f";
    writeDiffusersCopy(1, folder);
    const std::string unetConfig = folder + "/unet/config.json";
    std::ifstream in(unetConfig);
    const std::string original((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    in.close();

    writeText(unetConfig, R"({"in_channels": 9, "attention_head_dim": 2})");
    CHECK_THROWS_WITH(builtinRegistry().load(folder), Catch::Contains("inpainting"));
    writeText(unetConfig, original);

    fs::create_directories(folder + "/text_encoder_2");
    CHECK_THROWS_WITH(builtinRegistry().load(folder), Catch::Contains("XL"));
    fs::remove_all(folder + "/text_encoder_2");

    const std::string scheduler = folder + "/scheduler/scheduler_config.json";
    writeText(scheduler, R"({"beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02})");
    CHECK_THROWS_WITH(builtinRegistry().load(folder), Catch::Contains("scaled_linear"));
    fs::remove(scheduler);
    CHECK_NOTHROW(builtinRegistry().load(folder));  // without a scheduler: SD's schedule

    fs::remove(folder + "/model_index.json");
    CHECK_THROWS_WITH(builtinRegistry().load("sd:" + folder), Catch::Contains("model_index.json"));
}

TEST_CASE("an EMA-only checkpoint is read from its EMA copy of the UNet", "[sd]") {
    CHECK(ldmNameOfEmaKey("model_ema.diffusion_modelinput_blocks110weight") ==
          "model.diffusion_model.input_blocks.11.0.weight");
    CHECK(ldmNameOfEmaKey(
              "model_ema.diffusion_modeloutput_blocks21transformer_blocks0attn1to_out0bias") ==
          "model.diffusion_model.output_blocks.2.1.transformer_blocks.0.attn1.to_out.0.bias");
    CHECK(ldmNameOfEmaKey("model_ema.diffusion_modelmiddle_block0in_layers0weight") ==
          "model.diffusion_model.middle_block.0.in_layers.0.weight");
    CHECK(ldmNameOfEmaKey("model_ema.decay").empty());

    // Rewrite tiny-sd1 with its UNet only under EMA names.
    const TempDir dir("sd-ema");
    const SafeTensorsFile source(dataFile("tiny-sd1.safetensors"));
    std::vector<SafeTensorToWrite> tensors;
    const std::string unet = "model.diffusion_model.";
    for (const TensorInfo& t : source.tensors()) {
        std::string name = t.name;
        if (name.rfind(unet, 0) == 0) {
            std::string dotless = "diffusion_model." + name.substr(unet.size());
            dotless.erase(std::remove(dotless.begin(), dotless.end(), '.'), dotless.end());
            name = "model_ema." + dotless;
        }
        std::vector<unsigned char> bytes(t.end - t.begin);
        source.copyBytes(t, bytes.data());
        tensors.push_back({name, t.dtype, t.shape, std::move(bytes)});
    }
    const std::string file = dir.path() + "/ema-only.safetensors";
    writeText(file, encodeSafeTensors(tensors, {}));
    const SdCheckpoint ema(file);
    CHECK(ema.usesEma());
    CHECK_FALSE(SdCheckpoint(dataFile("tiny-sd1.safetensors")).usesEma());
    requireIdentical(run(*builtinRegistry().load(singleFileSpec(1, file))),
                     run(*builtinRegistry().load(singleFileSpec(1))));
}

TEST_CASE("bfloat16 placement loads and runs close to float32; float16 on the CPU is refused",
          "[sd]") {
    const auto f32 = builtinRegistry().load(singleFileSpec(1));
    const auto bf16 =
        builtinRegistry().load(singleFileSpec(1), Placement{torch::kCPU, torch::kBFloat16});
    CHECK(bf16->placement.dtype == torch::kBFloat16);
    CHECK(f32->placement.dtype == torch::kFloat32);
    const Outputs a = run(*f32), b = run(*bf16);
    CHECK(b.eps.scalar_type() == torch::kFloat32);  // the engine's arithmetic type
    CHECK(b.image.scalar_type() == torch::kFloat32);
    // bfloat16 keeps 8 bits of mantissa (relative step 2^-8 = 0.4%); through a few dozen layers
    // the outputs stay within 5% of their scale.
    for (const auto& [ours, reference] :
         {std::make_pair(b.cond, a.cond), std::make_pair(b.eps, a.eps),
          std::make_pair(b.latent, a.latent), std::make_pair(b.image, a.image)}) {
        const double scale = std::max(1e-3, reference.abs().max().item<double>());
        INFO("max diff " << maxDiff(ours, reference) << " scale " << scale);
        CHECK(maxDiff(ours, reference) <= 0.05 * scale);
        CHECK(maxDiff(ours, reference) > 0.0);  // really computed in bfloat16
    }
    CHECK_THROWS_WITH(
        builtinRegistry().load(singleFileSpec(1), Placement{torch::kCPU, torch::kFloat16}),
        Catch::Contains("float16 on the CPU"));
}
