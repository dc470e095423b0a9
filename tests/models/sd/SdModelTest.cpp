// Stable Diffusion as a model family: opened through the registry from its .safetensors file, its
// log-SNR -> timestep mapping, and the engine running on it end to end (tiny reference model).
#include <torch/torch.h>

#include "infolens/Error.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/models/BuiltinFamilies.h"
#include "infolens/models/sd/SdCheckpoint.h"
#include "infolens/models/sd/SdModel.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

std::string dataFile(const std::string& name) {
    return std::string(INFOLENS_SOURCE_DIR) + "/tests/data/sd/" + name;
}

std::vector<double> referenceLogSnrs() {
    const SdCheckpoint golden(dataFile("tiny-sd1-golden.safetensors"));
    const torch::Tensor abar = golden.tensor("alphas_cumprod", torch::kFloat64);
    std::vector<double> table;
    for (int t = 0; t < abar.size(0); ++t) {
        const double a = abar[t].item<double>();
        table.push_back(std::log(a) - std::log1p(-a));
    }
    return table;
}

const std::string kTinySd1 =
    "sd:" + dataFile("tiny-sd1.safetensors") + ",heads=2,text-heads=2,image=16";

}  // namespace

TEST_CASE("log-SNR maps back to the fractional timestep it came from", "[sd]") {
    const std::vector<double> table = referenceLogSnrs();
    REQUIRE(table.size() == 1000);
    CHECK(table.front() == Approx(7.069).margin(0.01));  // SD's trained range (METHOD.md)
    CHECK(table.back() == Approx(-5.364).margin(0.01));
    for (const int t : {0, 1, 37, 500, 998, 999})
        CHECK(timestepForLogSnr(table, table[t]) == Approx(t).margin(1e-9));
    const double mid = 0.5 * (table[611] + table[612]);
    CHECK(timestepForLogSnr(table, mid) == Approx(611.5).margin(1e-9));
    CHECK(timestepForLogSnr(table, 50.0) == 0.0);  // beyond the trained range: clamped
    CHECK(timestepForLogSnr(table, -50.0) == 999.0);
}

TEST_CASE("the SD denoiser gives each row its own timestep and matches the reference UNet",
          "[sd]") {
    const auto model = builtinRegistry().load(kTinySd1);
    CHECK(model->kind == "stable-diffusion");
    CHECK(model->imageWidth == 16);
    CHECK(model->denoiser->dataShape() == std::vector<int64_t>{4, 8, 8});
    const LogSnrRange range = model->denoiser->trainedLogSnrRange();
    CHECK(range.lo == Approx(-5.364).margin(0.01));
    CHECK(range.hi == Approx(7.069).margin(0.01));
    const SdCheckpoint golden(dataFile("tiny-sd1-golden.safetensors"));
    const std::vector<double> table = referenceLogSnrs();
    // The reference rows are at t = 37 and t = 611.5: one batch, two different noise levels.
    const torch::Tensor logSnr =
        torch::tensor(std::vector<double>{table[37], 0.5 * (table[611] + table[612])});
    torch::InferenceMode guard;
    const torch::Tensor eps =
        model->denoiser->predict(golden.tensor("x_t"), logSnr, golden.tensor("text_out"), {});
    const torch::Tensor reference = golden.tensor("unet_out");
    const double bound = 1e-4 * std::max(1.0, reference.abs().max().item<double>());
    CHECK((eps - reference).abs().max().item<double>() <= bound);
}

TEST_CASE("the engine computes MI and word CMIs on a Stable Diffusion model", "[sd]") {
    const auto model = builtinRegistry().load(kTinySd1);
    const std::string prompt = "a photo of an astronaut";
    const Tokenization tokens = model->textEncoder->tokenize(prompt);
    REQUIRE(tokens.words.size() == 5);
    for (const Word& w : tokens.words)
        CHECK_FALSE(w.tokens.empty());  // every word owns its CLIP tokens
    torch::InferenceMode guard;
    const torch::Tensor image =
        torch::rand({3, 16, 16}, torch::TensorOptions().dtype(torch::kFloat32));
    const torch::Tensor x = model->codec->encode(image);
    REQUIRE(x.sizes() == torch::IntArrayRef({4, 8, 8}));
    InfoEngine engine(model->denoiser, model->textEncoder);
    EngineSettings settings;
    settings.samples = 16;
    const Snapshot snap = engine.run(x, InfoPlan::wordsOf(prompt, *model->textEncoder), settings);
    REQUIRE(snap.finished);
    REQUIRE(snap.pairs.size() == 6);
    for (const PairResult& p : snap.pairs) {
        INFO(p.pair.label);
        CHECK(std::isfinite(p.io.value));
        CHECK(p.io.value > 0.0);  // different prompts move this random-weight model
        CHECK(std::isfinite(p.io.se));
        CHECK(p.ioMap.sum().item<double>() == Approx(p.io.value).epsilon(1e-9));
    }
    // The SD UNet takes few rows per call: 6 conditions x 16 draws in calls of at most 4 rows.
    CHECK(model->denoiser->preferredBatchRows() == 4);
}

TEST_CASE("timesteps=nearest rounds to the trained step; the default interpolates", "[sd]") {
    const auto interpolating = builtinRegistry().load(kTinySd1);
    const auto nearest = builtinRegistry().load(kTinySd1 + ",timesteps=nearest");
    const SdCheckpoint golden(dataFile("tiny-sd1-golden.safetensors"));
    const std::vector<double> table = referenceLogSnrs();
    torch::InferenceMode guard;
    const torch::Tensor x = golden.tensor("x_t").narrow(0, 0, 1);
    const torch::Tensor text = golden.tensor("text_out").narrow(0, 0, 1);
    auto eps = [&](const std::shared_ptr<Model>& m, double logSnr) {
        return m->denoiser->predict(x, torch::tensor(std::vector<double>{logSnr}), text, {});
    };
    // A log-SNR 30% of the way from step 400 to 401.
    const double between = table[400] + 0.3 * (table[401] - table[400]);
    CHECK(torch::equal(eps(nearest, between), eps(interpolating, table[400])));
    CHECK_FALSE(torch::equal(eps(interpolating, between), eps(interpolating, table[400])));
    CHECK_THROWS_WITH(builtinRegistry().load(kTinySd1 + ",timesteps=round"),
                      Catch::Matchers::Contains("timesteps=interpolate|nearest"));
}

TEST_CASE("Stable Diffusion specs: pickles refused, options checked", "[sd]") {
    CHECK_THROWS_WITH(builtinRegistry().load(dataFile("refuse-me.ckpt")),
                      Catch::Contains("arbitrary code"));
    CHECK_THROWS_WITH(
        builtinRegistry().load("sd:" + dataFile("tiny-sd1.safetensors") + ",colour=red"),
        Catch::Contains("unknown option"));
    CHECK_THROWS_WITH(builtinRegistry().load("sd:" + dataFile("tiny-sd1.safetensors") + ",heads=0"),
                      Catch::Contains("heads must be"));
    // The released SD 1 rule (8 heads) cannot split the tiny text width: refused, not misread.
    CHECK_THROWS_AS(builtinRegistry().load(dataFile("tiny-sd1.safetensors")), Error);
}
