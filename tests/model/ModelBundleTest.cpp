#include <torch/torch.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "TestFiles.h"
#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/io/Sha256.h"
#include "infolens/model/Model.h"
#include "infolens/model/ModelBundle.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/models/BuiltinFamilies.h"
#include "infolens/models/gaussian/GaussianFamily.h"
#include "infolens/models/gaussian/GaussianModel.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

// A Gaussian world saved as a bundle, the same manifest format as every other model.
BundleManifest writeGaussianBundle(const std::string& dir) {
    const GaussianParams params = drawGaussianParams(16, 3, 2);
    writeFileAtomically(dir + "/params.json", toJson(params).dump());
    BundleManifest m;
    m.directory = dir;
    m.kind = "gaussian";
    m.name = "test-gaussian";
    m.imageWidth = 16;
    m.imageHeight = 1;
    m.imageChannels = 1;
    m.dataShape = {1, 1, 16};
    m.logSnrRange = {params.logSnrLo, params.logSnrHi};
    m.files["params"] = {"params.json", ""};
    writeBundleManifest(m);
    return m;
}

std::string loadError(const std::string& dir) {
    try {
        (void)builtinRegistry().load(dir);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

void editManifest(const std::string& dir, const std::function<void(nlohmann::json&)>& edit) {
    const auto bytes = readBytes(dir + "/manifest.json");
    nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end());
    edit(j);
    writeFileAtomically(dir + "/manifest.json", j.dump());
}

}  // namespace

TEST_CASE("sha256 matches the standard test vector", "[bundle]") {
    CHECK(sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("a bundle loads, verifies and is identified by its manifest hash", "[bundle]") {
    TempDir dir;
    const BundleManifest written = writeGaussianBundle(dir.path());
    const BundleManifest read = readBundle(dir.path());
    CHECK(read.kind == "gaussian");
    CHECK(read.dataShape == std::vector<int64_t>{1, 1, 16});
    CHECK(read.manifestSha256 == written.manifestSha256);
    const auto model = builtinRegistry().load(dir.path());
    CHECK(model->kind == "gaussian");
    CHECK(model->hash == written.manifestSha256);
    CHECK(model->denoiser->dataShape() == std::vector<int64_t>{1, 1, 16});
}

TEST_CASE("tampered, truncated or missing files give clear errors", "[bundle]") {
    TempDir dir;
    writeGaussianBundle(dir.path());
    const std::string params = dir.file("params.json");
    SECTION("one byte changed") {
        auto bytes = readBytes(params);
        bytes[bytes.size() / 2] ^= 0x01;
        writeBytes(params, bytes);
        CHECK_THAT(loadError(dir.path()), Catch::Contains("does not match its SHA-256"));
    }
    SECTION("truncated") {
        auto bytes = readBytes(params);
        bytes.resize(bytes.size() / 3);
        writeBytes(params, bytes);
        CHECK_THAT(loadError(dir.path()), Catch::Contains("corrupt, truncated or was modified"));
    }
    SECTION("missing file") {
        std::filesystem::remove(params);
        CHECK_THAT(loadError(dir.path()), Catch::Contains("is missing"));
    }
    SECTION("missing manifest") {
        std::filesystem::remove(dir.file("manifest.json"));
        CHECK_THAT(loadError(dir.path()), Catch::Contains("manifest.json is missing"));
    }
    SECTION("manifest not JSON") {
        writeBytes(dir.file("manifest.json"), {'{', 'x'});
        CHECK_THAT(loadError(dir.path()), Catch::Contains("not valid JSON"));
    }
    SECTION("missing field") {
        editManifest(dir.path(), [](nlohmann::json& j) { j.erase("kind"); });
        CHECK_THAT(loadError(dir.path()), Catch::Contains("lacks 'kind'"));
    }
    SECTION("wrong type") {
        editManifest(dir.path(), [](nlohmann::json& j) { j["image"]["width"] = "wide"; });
        CHECK_THAT(loadError(dir.path()), Catch::Contains("image.width"));
    }
    SECTION("path escaping the bundle") {
        editManifest(dir.path(),
                     [](nlohmann::json& j) { j["files"]["params"]["path"] = "../params.json"; });
        CHECK_THAT(loadError(dir.path()), Catch::Contains("escapes"));
    }
    SECTION("unsupported kind") {
        editManifest(dir.path(), [](nlohmann::json& j) { j["kind"] = "quantum"; });
        CHECK_THAT(loadError(dir.path()), Catch::Contains("cannot run"));
    }
    SECTION("unknown prediction type") {
        editManifest(dir.path(), [](nlohmann::json& j) { j["prediction"] = "score"; });
        CHECK_THAT(loadError(dir.path()), Catch::Contains("prediction type"));
    }
    SECTION("not a bundle at all") {
        CHECK_THAT(loadError(dir.file("nothing-here")),
                   Catch::Contains("neither a built-in model"));
    }
}

TEST_CASE("discrete schedules give the trained log-SNR range", "[bundle]") {
    // Stable Diffusion's scaled-linear schedule: about [-5.36, 7.07] (METHOD.md).
    const LogSnrRange sd = discreteScheduleRange("scaled_linear", 0.00085, 0.012, 1000);
    CHECK(sd.lo == Approx(-5.36).margin(0.01));
    CHECK(sd.hi == Approx(7.07).margin(0.01));
    CHECK_THROWS_AS(discreteScheduleRange("cosine", 0.1, 0.2, 1000), Error);
}

TEST_CASE("model specs are parsed strictly", "[bundle]") {
    CHECK(builtinRegistry().load("gaussian:dim=8,words=2,seed=4")->denoiser->dataShape() ==
          std::vector<int64_t>{1, 1, 8});
    CHECK_THROWS_WITH(builtinRegistry().load("gaussian:dim=x"), Catch::Contains("not a number"));
    CHECK_THROWS_WITH(builtinRegistry().load("gaussian:colour=3"), Catch::Contains("unknown key"));
    // The same spec gives the same model identity.
    CHECK(builtinRegistry().load("gaussian:seed=3")->hash ==
          builtinRegistry().load("gaussian:seed=3")->hash);
    CHECK(builtinRegistry().load("gaussian:seed=3")->hash !=
          builtinRegistry().load("gaussian:seed=4")->hash);
}

TEST_CASE("manifest numbers out of range are clear errors, not a crash", "[bundle]") {
    TempDir dir;
    writeGaussianBundle(dir.path());
    SECTION("zero image width") {
        editManifest(dir.path(), [](nlohmann::json& j) { j["image"]["width"] = 0; });
        CHECK_THAT(loadError(dir.path()), Catch::Contains("image.width and image.height must be"));
    }
    SECTION("impossible channel count") {
        editManifest(dir.path(), [](nlohmann::json& j) { j["image"]["channels"] = 7; });
        CHECK_THAT(loadError(dir.path()), Catch::Contains("image.channels"));
    }
    SECTION("absurd log-SNR range") {
        editManifest(dir.path(), [](nlohmann::json& j) {
            j["schedule"] = {{"type", "continuous"}, {"logsnr_min", -1e9}, {"logsnr_max", 5.0}};
        });
        CHECK_THAT(loadError(dir.path()), Catch::Contains("log-SNR bounds"));
    }
    // Found by the bundle fuzzer: 1e56 reached get<int64_t> (undefined behaviour, a wrapped
    // size in practice).
    SECTION("a floating-point data_shape entry") {
        editManifest(dir.path(), [](nlohmann::json& j) { j["data_shape"][0] = 1e56; });
        CHECK_THAT(loadError(dir.path()), Catch::Contains("data_shape has an impossible size"));
    }
    SECTION("a zero data_shape entry") {
        editManifest(dir.path(), [](nlohmann::json& j) { j["data_shape"][2] = 0; });
        CHECK_THAT(loadError(dir.path()), Catch::Contains("data_shape has an impossible size"));
    }
    SECTION("a floating-point version") {
        editManifest(dir.path(), [](nlohmann::json& j) { j["version"] = 1e56; });
        CHECK_THAT(loadError(dir.path()), Catch::Contains("'version' must be an integer"));
    }
}
