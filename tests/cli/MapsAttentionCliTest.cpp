// infolens-cli maps --attention: each word's attention map beside its information map, and a clear
// refusal for a model without attention readout.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "TestFiles.h"
#include "infolens/io/Npy.h"

#include <catch2/catch.hpp>

namespace {

CommandResult runCli(const std::string& arguments) {
    return runCommand(std::string(INFOLENS_CLI) + " " + arguments + " 2>&1");
}

const std::string kSample = std::string(INFOLENS_SOURCE_DIR) + "/resources/samples/0002.png";

}  // namespace

TEST_CASE("maps --attention writes each word's attention map and lists it", "[cli][model]") {
    TempDir dir;
    const std::string out = dir.file("maps");
    const CommandResult r =
        runCli("maps --model default --image " + kSample +
               " --prompt \"a purple triangle above a green diamond\" --samples 8 "
               "--attention --attention-passes 2 --quiet --out " +
               out);
    INFO(r.output);
    REQUIRE(r.status == 0);
    namespace fs = std::filesystem;
    const auto bytes = readBytes(out + "/values.json");
    const nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end());
    REQUIRE(j.contains("attention"));
    CHECK(j["attention"]["npy"] == "attention.npy");
    CHECK(j["attention"]["passes"] == 2);
    const nlohmann::json& words = j["words"];
    REQUIRE(words.size() == 7);

    const infolens::NpyArray attention = infolens::readNpyFloat32(out + "/attention.npy");
    REQUIRE(attention.shape.size() == 3);
    CHECK(attention.shape[0] == 7);
    CHECK(j["attention"]["shape"] == attention.shape);
    const std::size_t cells = static_cast<std::size_t>(attention.shape[1] * attention.shape[2]);
    for (std::size_t k = 0; k < words.size(); ++k) {
        double total = 0.0;
        for (std::size_t i = 0; i < cells; ++i)
            total += attention.values[k * cells + i];
        CHECK(total == Approx(1.0).epsilon(1e-4));  // each word's map is normalised
        CHECK(words[k]["attention_sum"].get<double>() > 0.0);
        REQUIRE(words[k].contains("attention_png"));
        CHECK(fs::exists(fs::path(out) / words[k]["attention_png"].get<std::string>()));
        CHECK(words[k]["attention_png"] != words[k]["map_png"]);
    }
    // "purple" and "diamond" attend to different places.
    CHECK(std::vector<float>(attention.values.begin() + cells,
                             attention.values.begin() + 2 * cells) !=
          std::vector<float>(attention.values.begin() + 6 * cells,
                             attention.values.begin() + 7 * cells));

    // Without the flag nothing about attention is written.
    const std::string plain = dir.file("plain");
    const CommandResult p =
        runCli("maps --model default --image " + kSample +
               " --prompt \"a purple triangle\" --samples 4 --quiet --out " + plain);
    REQUIRE(p.status == 0);
    CHECK_FALSE(fs::exists(fs::path(plain) / "attention.npy"));
}

TEST_CASE("maps --attention is refused for a model without attention readout", "[cli]") {
    TempDir dir;
    const CommandResult r = runCli(
        "maps --model gaussian:dim=32,words=3,seed=2 --image sample --prompt \"w0 w1 w2\" "
        "--samples 4 --attention --quiet --out " +
        dir.file("g"));
    CHECK(r.status == 1);
    CHECK_THAT(r.output, Catch::Contains("no cross-attention readout"));
    CHECK_FALSE(std::filesystem::exists(dir.file("g") + "/values.json"));
}
