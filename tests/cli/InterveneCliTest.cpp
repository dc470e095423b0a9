// infolens-cli intervene: the files and JSON it writes, and how --word is read.
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "TestFiles.h"
#include "infolens/io/ImageIO.h"
#include "infolens/io/Npy.h"

#include <catch2/catch.hpp>

namespace {

CommandResult runCli(const std::string& arguments) {
    return runCommand(std::string(INFOLENS_CLI) + " " + arguments + " 2>&1");
}

const std::string kSample = std::string(INFOLENS_SOURCE_DIR) + "/resources/samples/0002";
const std::string kCaption = "a large purple triangle above a green diamond with a grey background";

}  // namespace

TEST_CASE("intervene writes the edited image, the maps and intervention.json", "[cli][model]") {
    TempDir dir;
    const std::string out = dir.file("purple");
    const CommandResult r =
        runCli("intervene --model default --image " + kSample + ".png --prompt \"" + kCaption +
               "\" --word purple --steps 20 --samples 16 --attention-passes 2 --out " + out);
    INFO(r.output);
    REQUIRE(r.status == 0);
    namespace fs = std::filesystem;
    for (const char* f : {"edited.png", "original-regenerated.png", "change.npy", "change.png",
                          "predicted.npy", "predicted.png", "attention.npy", "intervention.json"})
        CHECK(fs::exists(fs::path(out) / f));
    const auto bytes = readBytes(out + "/intervention.json");
    const nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end());
    for (const char* key :
         {"cmi", "se", "total_change", "pixel_r_information", "pixel_r_attention", "word", "edit",
          "steps", "inversion_psnr_db", "model_hash", "device", "seed"})
        CHECK(j.contains(key));
    CHECK(j["word"] == "purple");
    CHECK(j["word_index"] == 2);
    CHECK(j["edit"] == "remove");
    CHECK(j["edited_prompt"] == "a large triangle above a green diamond with a grey background");
    CHECK(j["cmi"].get<double>() > 0.0);
    CHECK(j["total_change"].get<double>() > 0.0);
    // change.npy is the latent change upsampled to the image; its sum scales with the area ratio.
    const infolens::NpyArray change = infolens::readNpyFloat32(out + "/change.npy");
    REQUIRE(change.shape == std::vector<std::int64_t>{64, 64});
    double sum = 0.0;
    for (const float v : change.values)
        sum += v;
    CHECK(sum / 16.0 == Approx(j["total_change"].get<double>()).epsilon(0.2));
    const infolens::NpyArray predicted = infolens::readNpyFloat32(out + "/predicted.npy");
    CHECK(predicted.shape == change.shape);
}

TEST_CASE("intervene reads --word as an index or a word and refuses ambiguity", "[cli][model]") {
    TempDir dir;
    const std::string common = "intervene --model default --image " + kSample +
                               ".png --steps 4 --samples 4 --attention-passes 1 --prompt \"" +
                               kCaption + "\" --out " + dir.file("o");
    const CommandResult byIndex = runCli(common + " --word 6 --swap red");
    INFO(byIndex.output);
    REQUIRE(byIndex.status == 0);
    const auto bytes = readBytes(dir.file("o") + "/intervention.json");
    const nlohmann::json j = nlohmann::json::parse(bytes.begin(), bytes.end());
    CHECK(j["word"] == "green");
    CHECK(j["edit"] == "swap");
    CHECK(j["edited_prompt"] ==
          "a large purple triangle above a red diamond with a grey background");

    const CommandResult twice = runCli(common + " --word a");
    CHECK(twice.status != 0);
    CHECK(twice.output.find("appears") != std::string::npos);
    const CommandResult missing = runCli(common + " --word zebra");
    CHECK(missing.status != 0);
    CHECK(missing.output.find("not a word") != std::string::npos);
    const CommandResult range = runCli(common + " --word 40");
    CHECK(range.status != 0);
}
