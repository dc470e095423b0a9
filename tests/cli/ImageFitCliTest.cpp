// `infolens-cli image-fit`: the bundled samples are within the default model's reference, a
// photo-like image is flagged, models without a reference say nothing, and --write-reference
// writes what the app reads (ImageFitRule.h).
#include <filesystem>
#include <nlohmann/json.hpp>

#include "PhotoLikeImage.h"
#include "TestFiles.h"

#include <catch2/catch.hpp>

namespace {

namespace fs = std::filesystem;
const std::string kSamples = std::string(INFOLENS_SOURCE_DIR) + "/resources/samples";

nlohmann::json imageFit(const std::string& arguments) {
    const CommandResult r = runCommand(std::string(INFOLENS_CLI) + " image-fit --threads 1 " +
                                       arguments + " 2>/dev/null");
    INFO(arguments << "\n" << r.output);
    REQUIRE(r.status == 0);
    return nlohmann::json::parse(r.output);
}

}  // namespace

TEST_CASE("image-fit: the samples fit the default model, a photo-like image does not", "[cli]") {
    for (int i = 0; i < 6; ++i) {
        const std::string path = kSamples + "/000" + std::to_string(i) + ".png";
        const nlohmann::json j = imageFit("--image " + path + " --samples 64");
        INFO(j.dump(2));
        // The reference beside the bundle, for this model's hash.
        REQUIRE(j["reference"].is_object());
        CHECK(j["reference"]["model_hash"] == j["model"]["hash"]);
        CHECK(j["se_bits_per_dim"].get<double>() > 0);
        CHECK(j["warns"] == false);
        WARN("sample " << i << ": " << j["bits_per_dim"].get<double>() << " +- "
                       << j["se_bits_per_dim"].get<double>() << " bits/dim (p99 "
                       << j["reference"]["p99_bits_per_dim"].get<double>() << ")");
    }
    TempDir dir;
    const infolens::Image photo = photoLikeImage(128, 7);
    infolens::writePng(dir.file("photo.png"), photo.width, photo.height, 3, photo.rgb);
    const nlohmann::json j = imageFit("--image " + dir.file("photo.png") + " --samples 64");
    INFO(j.dump(2));
    CHECK(j["warns"] == true);
    CHECK(j["bits_per_dim"].get<double>() - 2 * j["se_bits_per_dim"].get<double>() >
          j["reference"]["p99_bits_per_dim"].get<double>());
    WARN("photo-like: " << j["bits_per_dim"].get<double>() << " +- "
                        << j["se_bits_per_dim"].get<double>() << " bits/dim");
}

TEST_CASE("image-fit: a model without a reference gives the value and no verdict", "[cli]") {
    const nlohmann::json j =
        imageFit("--model gaussian:dim=16,words=2,seed=1 --image sample --samples 16");
    INFO(j.dump(2));
    CHECK(j["reference"].is_null());
    CHECK(j["warns"].is_null());
    CHECK(std::isfinite(j["bits_per_dim"].get<double>()));
}

TEST_CASE("image-fit --scenes --write-reference writes a reference the rule reads", "[cli]") {
    TempDir dir;
    const std::string file = dir.file("ref.image-fit.json");
    const nlohmann::json j = imageFit(
        "--scenes --split test --first 500 --n 4 --samples 8 "
        "--seed 3 --write-reference " +
        file);
    INFO(j.dump(2));
    REQUIRE(j["scenes"].size() == 4);
    const auto bytes = readBytes(file);
    const nlohmann::json ref = nlohmann::json::parse(bytes.begin(), bytes.end());
    CHECK(ref["kind"] == "infolens-image-fit-reference");
    CHECK(ref["model"]["hash"] == j["model"]["hash"]);
    CHECK(ref["n"] == 4);
    CHECK(ref["seed"] == 3);
    CHECK(ref["samples"] == 8);
    CHECK(ref["values_bits_per_dim"].size() == 4);
    double hi = -1e300;
    for (const auto& s : j["scenes"])
        hi = std::max(hi, s["bits_per_dim"].get<double>());
    CHECK(ref["max_bits_per_dim"].get<double>() == hi);
    CHECK(ref["p99_bits_per_dim"].get<double>() <= hi);
    CHECK(ref["median_bits_per_dim"].get<double>() <= ref["p99_bits_per_dim"].get<double>());
    // The same scenes against that reference: the rule flags at most the scenes above p99.
    const nlohmann::json check = imageFit(
        "--scenes --split test --first 500 --n 4 --samples 8 --seed 3 --reference " + file);
    CHECK(check["false_alarm_rate"].get<double>() <= 0.25);
}
