// The ShapesWorld model pipeline on a tiny configuration: training, resuming, bundles, generation.
#include <torch/torch.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "TestFiles.h"
#include "infolens/Error.h"
#include "infolens/engine/DdimSampler.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/io/Sha256.h"
#include "infolens/model/Model.h"
#include "infolens/model/ModelBundle.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/models/BuiltinFamilies.h"
#include "infolens/models/gaussian/GaussianFamily.h"
#include "infolens/models/shapes/ShapesModel.h"
#include "infolens/models/shapes/ShapesNets.h"
#include "infolens/models/shapes/ShapesTrainer.h"
#include "infolens/models/shapes/ShapesWorld.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

TrainConfig tinyConfig(const std::string& root) {
    TrainConfig c;
    c.model.imageSize = 32;
    c.model.aeChannels = 8;
    c.model.unetChannels = 16;
    c.model.textDim = 16;
    c.model.textLayers = 1;
    c.vocabulary = shapesVocabulary();
    c.workDir = root + "/work";
    c.bundleDir = root + "/bundle";
    c.examples = 64;
    c.aeSteps = 40;
    c.aeBatch = 8;
    c.aeLr = 3e-3;
    c.steps = 40;
    c.batch = 8;
    c.lr = 2e-3;
    c.warmupSteps = 5;
    c.logEvery = 10;
    c.checkpointEvery = 10;
    return c;
}

ExampleSource source(int size) {
    return [size](std::int64_t i) {
        ShapesScene s =
            generateShapesScene(ShapesSplit::Train, static_cast<std::uint64_t>(i), size);
        return TrainingExample{std::move(s.rgb), std::move(s.caption)};
    };
}

void quiet(const std::string&) {}

// One tiny model shared by the tests below (training it takes a few seconds).
const std::string& trainedBundle() {
    static TempDir dir;
    static const std::string bundle = [] {
        std::atomic<bool> stop{false};
        const TrainStatus status =
            trainShapesModel(tinyConfig(dir.path()), source(32), stop, quiet);
        REQUIRE(status.finished);
        return dir.path() + "/bundle";
    }();
    return bundle;
}

}  // namespace

TEST_CASE("a tiny training run lowers both losses", "[model]") {
    TempDir dir;
    std::atomic<bool> stop{false};
    const TrainStatus status = trainShapesModel(tinyConfig(dir.path()), source(32), stop, quiet);
    REQUIRE(status.finished);
    const auto [aeFirst, aeLast] = status.losses.at("autoencoder");
    const auto [dnFirst, dnLast] = status.losses.at("denoiser");
    CHECK(aeLast < 0.95 * aeFirst);
    CHECK(dnLast < dnFirst);
    CHECK(std::filesystem::exists(dir.path() + "/bundle/manifest.json"));
}

TEST_CASE("a stopped run resumes to the same weights as an uninterrupted one", "[model]") {
    TempDir whole, parts;
    std::atomic<bool> never{false};
    trainShapesModel(tinyConfig(whole.path()), source(32), never, quiet);

    std::atomic<bool> stop{false};
    auto stopAtDenoiserStep20 = [&](const std::string& line) {
        if (line.rfind("[denoiser] step 20/", 0) == 0)
            stop = true;
    };
    const TrainStatus first =
        trainShapesModel(tinyConfig(parts.path()), source(32), stop, stopAtDenoiserStep20);
    CHECK_FALSE(first.finished);
    CHECK(first.phase == "denoiser");
    CHECK(first.step == 20);
    stop = false;
    const TrainStatus second = trainShapesModel(tinyConfig(parts.path()), source(32), stop, quiet);
    CHECK(second.finished);
    CHECK(sha256FileHex(parts.path() + "/bundle/denoiser.pt") ==
          sha256FileHex(whole.path() + "/bundle/denoiser.pt"));
    CHECK(sha256FileHex(parts.path() + "/bundle/text_encoder.pt") ==
          sha256FileHex(whole.path() + "/bundle/text_encoder.pt"));
}

TEST_CASE("a trained bundle loads, verifies and runs in the engine", "[model]") {
    const auto model = builtinRegistry().load(trainedBundle());
    CHECK(model->kind == "shapes-ldm");
    CHECK(model->denoiser->dataShape() == std::vector<int64_t>{4, 8, 8});
    const ShapesScene scene = generateShapesScene(ShapesSplit::Test, 3, 32);
    const torch::Tensor latent = model->codec->encode(
        torch::from_blob(const_cast<std::uint8_t*>(scene.rgb.data()), {32, 32, 3}, torch::kUInt8)
            .permute({2, 0, 1})
            .to(torch::kFloat32)
            .div(255.0));
    InfoEngine engine(model->denoiser, model->textEncoder);
    EngineSettings settings;
    settings.samples = 8;
    const InfoPlan plan = InfoPlan::wordsOf(scene.caption, *model->textEncoder);
    const Snapshot snap = engine.run(latent, plan, settings);
    CHECK(snap.finished);
    CHECK(snap.pairs.front().ioMap.sizes() == torch::IntArrayRef({8, 8}));
    // i_o is a sum of squares, so only a strictly positive value says something: a denoiser that
    // ignored its text condition would give exactly 0. The map holds the same total.
    CHECK(snap.pairs.front().io.value > 0.0);
    CHECK(snap.pairs.front().ioMap.sum().item<double>() ==
          Approx(snap.pairs.front().io.value).epsilon(1e-9));
}

TEST_CASE("tampered or truncated weights give a clear error", "[model]") {
    TempDir dir;
    std::filesystem::copy(trainedBundle(), dir.path() + "/b",
                          std::filesystem::copy_options::recursive);
    const std::string weights = dir.path() + "/b/denoiser.pt";
    auto bytes = readBytes(weights);
    SECTION("flipped byte") {
        bytes[bytes.size() / 2] ^= 0x10;
        writeBytes(weights, bytes);
        CHECK_THROWS_WITH(builtinRegistry().load(dir.path() + "/b"),
                          Catch::Contains("does not match its SHA-256"));
    }
    SECTION("truncated") {
        bytes.resize(bytes.size() / 2);
        writeBytes(weights, bytes);
        CHECK_THROWS_WITH(builtinRegistry().load(dir.path() + "/b"),
                          Catch::Contains("corrupt, truncated or was modified"));
    }
    SECTION("truncated with a matching hash still fails cleanly") {
        bytes.resize(bytes.size() / 2);
        writeBytes(weights, bytes);
        BundleManifest m = readBundle(dir.path() + "/b", false);
        writeBundleManifest(m);
        CHECK_THROWS_AS(builtinRegistry().load(dir.path() + "/b"), Error);
    }
}

// Issue 13: readBundle hashed every file; a weights file swapped afterwards (here: for another
// valid LibTorch archive) must be caught, because the weights are loaded from the bytes that are
// hashed at load time, not read again by path after the check.
TEST_CASE("weights swapped after the bundle was verified are refused, not loaded", "[model]") {
    TempDir dir;
    std::filesystem::copy(trainedBundle(), dir.path() + "/b",
                          std::filesystem::copy_options::recursive);
    const BundleManifest manifest = readBundle(dir.path() + "/b");  // every hash checked here
    const std::string weights = dir.path() + "/b/denoiser.pt";
    const std::vector<unsigned char> swapped = readBytes(dir.path() + "/b/autoencoder.pt");
    std::filesystem::remove(weights);
    writeBytes(weights, swapped);
    CHECK_THROWS_WITH(
        ShapesNetworks::fromBundle(manifest, Placement{}),
        Catch::Contains("denoiser.pt") && Catch::Contains("does not match its SHA-256"));
    // The untouched bundle still loads through the same path.
    CHECK_NOTHROW(ShapesNetworks::fromBundle(readBundle(trainedBundle()), Placement{}));
}

TEST_CASE("generation is deterministic per seed and inversion round-trips", "[model]") {
    const auto model = builtinRegistry().load(trainedBundle());
    DdimSettings settings;
    settings.steps = 8;
    settings.seed = 5;
    const DdimSampler sampler(*model->denoiser, settings);
    const TextEncoding prompt = model->textEncoder->encode("a red circle");
    const TextEncoding null = model->textEncoder->encode("");
    const torch::Tensor a = sampler.generate(prompt, null);
    CHECK(torch::equal(a, sampler.generate(prompt, null)));
    settings.seed = 6;
    CHECK_FALSE(torch::equal(a, DdimSampler(*model->denoiser, settings).generate(prompt, null)));
    const torch::Tensor noise = sampler.invert(a, prompt);
    const torch::Tensor back = sampler.generateFrom(noise, prompt, prompt);
    CHECK((back - a).abs().max().item<double>() < 0.05 * a.abs().max().item<double>() + 1e-3);
}

TEST_CASE("the layout-2 UNet trains, saves and loads; older configs load as layout 1", "[model]") {
    TempDir dir;
    TrainConfig config = tinyConfig(dir.path());
    config.model.unetLayout = 2;
    config.aeSteps = 10;
    config.steps = 10;
    std::atomic<bool> stop{false};
    const TrainStatus status = trainShapesModel(config, source(32), stop, quiet);
    REQUIRE(status.finished);
    const auto model = builtinRegistry().load(dir.path() + "/bundle");
    const torch::Tensor z = torch::randn({2, 4, 8, 8});
    const TextEncoding a = model->textEncoder->encode("a red circle");
    const torch::Tensor eps = model->denoiser->predict(
        z, torch::full({2}, 1.0), torch::stack({a.cond, a.cond}), torch::stack({a.mask, a.mask}));
    CHECK(eps.sizes() == z.sizes());
    CHECK(torch::isfinite(eps).all().item<bool>());

    nlohmann::json json = toJson(config.model);
    CHECK(json.at("unet_layout") == 2);
    json.erase("unet_layout");
    CHECK(shapesModelConfigFromJson(json).unetLayout == 1);
    json["unet_layout"] = 3;
    CHECK_THROWS_AS(shapesModelConfigFromJson(json), Error);
}
