// Runs the real infolens-cli binary and checks its outputs.
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "TestFiles.h"
#include "infolens/io/ImageIO.h"
#include "infolens/io/Npy.h"

#include <catch2/catch.hpp>

namespace {

using RunResult = CommandResult;

RunResult runCli(const std::string& arguments) {
    return runCommand(std::string(INFOLENS_CLI) + " " + arguments + " 2>&1");
}

}  // namespace

TEST_CASE("check-gaussian prints the documented JSON", "[cli]") {
    const RunResult r =
        runCli("check-gaussian --dim 24 --words 3 --seed 9 --samples 2 --pairs 256 --json");
    REQUIRE(r.status == 0);
    const nlohmann::json j = nlohmann::json::parse(r.output);
    CHECK(j["params"]["prior_var"].size() == 24);
    REQUIRE(j["params"]["words"].size() == 3);
    CHECK(j["params"]["words"][0].contains("noise_var"));
    CHECK(j["params"]["words"][0].contains("region"));
    CHECK(j["params"]["logsnr_range"].size() == 2);
    REQUIRE(j["cmi"].size() == 3);
    for (const auto& q : {j["mi"], j["cmi"][0], j["cmi"][2]}) {
        for (const char* key : {"estimate", "se", "exact", "exact_truncated"}) {
            INFO(key);
            CHECK(q[key].is_number());
        }
        CHECK(std::abs(q["estimate"].get<double>() - q["exact_truncated"].get<double>()) <
              4 * q["se"].get<double>());
    }
    CHECK(j["evaluations"] == 256 * 2 * 5);
}

TEST_CASE("maps writes PNG, NPY and JSON whose values agree", "[cli]") {
    TempDir dir;
    const RunResult r = runCli(
        "maps --model gaussian:dim=32,words=3,seed=2 --image sample --prompt \"w0 w1 w2\" --out " +
        dir.path() + " --samples 64 --quiet");
    INFO(r.output);
    REQUIRE(r.status == 0);
    const auto bytes = readBytes(dir.file("values.json"));
    const nlohmann::json values = nlohmann::json::parse(bytes.begin(), bytes.end());
    REQUIRE(values["words"].size() == 3);
    CHECK(values["model"]["hash"].get<std::string>().size() == 64);
    for (const auto& w : values["words"]) {
        const auto npy = infolens::readNpyFloat32(dir.file(w["map_npy"].get<std::string>()));
        CHECK(npy.shape == std::vector<std::int64_t>{1, 32});
        double sum = 0.0;
        for (const float v : npy.values)
            sum += v;
        CHECK(sum == Approx(w["nats"].get<double>()).epsilon(1e-4));
        CHECK(std::filesystem::file_size(dir.file(w["map_png"].get<std::string>())) > 100);
        CHECK(w["se_bits"].get<double>() > 0.0);
    }
}

TEST_CASE("maps on a shipped sample with the default model puts each colour word on its object",
          "[cli][model]") {
    TempDir dir;
    const std::string sample = std::string(INFOLENS_SOURCE_DIR) + "/resources/samples/0002";
    const auto captionBytes = readBytes(sample + ".txt");
    std::string caption(captionBytes.begin(), captionBytes.end());
    while (!caption.empty() && caption.back() == '\n')
        caption.pop_back();
    const RunResult r = runCli("maps --model default --image " + sample + ".png --prompt \"" +
                               caption + "\" --out " + dir.path() + " --samples 64 --quiet");
    INFO(r.output);
    REQUIRE(r.status == 0);
    const auto jsonBytes = readBytes(sample + ".json");
    const nlohmann::json truth = nlohmann::json::parse(jsonBytes.begin(), jsonBytes.end());
    const auto valueBytes = readBytes(dir.file("values.json"));
    const nlohmann::json values = nlohmann::json::parse(valueBytes.begin(), valueBytes.end());
    const infolens::Image labels = infolens::loadImage(sample + "_masks.png");  // 80 * (object + 1)
    int checked = 0;
    for (std::size_t o = 0; o < truth["objects"].size(); ++o) {
        const std::string color = truth["objects"][o]["color"];
        for (const auto& w : values["words"]) {
            if (w["word"] != color)
                continue;
            const auto map = infolens::readNpyFloat32(dir.file(w["map_npy"].get<std::string>()));
            const int side = static_cast<int>(map.shape[0]), scale = labels.width / side;
            double inside = 0.0, total = 0.0, area = 0.0;
            for (int y = 0; y < side; ++y) {
                for (int x = 0; x < side; ++x) {
                    const int label =
                        labels
                            .rgb[((y * scale + scale / 2) * labels.width + x * scale + scale / 2) *
                                 3];
                    const bool in = label == 80 * static_cast<int>(o + 1);
                    total += map.values[y * side + x];
                    inside += in ? map.values[y * side + x] : 0.0;
                    area += in ? 1.0 : 0.0;
                }
            }
            INFO("colour word '" << color << "': " << inside / total << " of the map on "
                                 << area / (side * side) << " of the image");
            CHECK(inside / total > 2.0 * area / (side * side));
            ++checked;
        }
    }
    CHECK(checked == static_cast<int>(truth["objects"].size()));
}

// Issue 16.3: a symbol outside the vocabulary is read as [UNK] and changes the numbers, so it
// is a word of its own (a row with its CMI) and values.json lists it, as the app shows it.
TEST_CASE("maps lists symbols the model reads as [UNK] and gives them their own rows",
          "[cli][model]") {
    TempDir dir;
    const std::string sample = std::string(INFOLENS_SOURCE_DIR) + "/resources/samples/0002.png";
    const RunResult r = runCli("maps --model default --image " + sample +
                               " --prompt \"a purple triangle; above a green diamond!\" --out " +
                               dir.path() + " --samples 8 --quiet");
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK_THAT(r.output, Catch::Contains("read as [UNK]"));
    const auto bytes = readBytes(dir.file("values.json"));
    const nlohmann::json values = nlohmann::json::parse(bytes.begin(), bytes.end());
    CHECK(values["unknown_words"] == nlohmann::json::array({";", "!"}));
    REQUIRE(values["notices"].size() == 2);
    CHECK_THAT(values["notices"][0].get<std::string>(), Catch::Contains("';'"));
    REQUIRE(values["words"].size() == 9);
    CHECK(values["words"][3]["word"] == ";");
    CHECK(values["words"][3]["kind"] == "symbol");
    CHECK(values["words"][8]["word"] == "!");
    CHECK(values["words"][1]["kind"] == "word");
    // Both forms, named.
    CHECK(values["words"][1].contains("standard_bits"));
    CHECK(values["forms"].contains("standard_bits"));

    // A known symbol ("," is in the shapes vocabulary) stays punctuation: no row, not listed.
    TempDir known;
    const RunResult k = runCli("maps --model default --image " + sample +
                               " --prompt \"a purple triangle, a green diamond\" --out " +
                               known.path() + " --samples 8 --quiet");
    INFO(k.output);
    REQUIRE(k.status == 0);
    const auto knownBytes = readBytes(known.file("values.json"));
    const nlohmann::json knownValues = nlohmann::json::parse(knownBytes.begin(), knownBytes.end());
    CHECK(knownValues["unknown_words"].empty());
    CHECK(knownValues["words"].size() == 6);
}

TEST_CASE("the CLI reports bad input clearly and writes nothing", "[cli]") {
    TempDir dir;
    const std::string out = dir.file("out");
    SECTION("corrupt data file") {
        writeBytes(dir.file("bad.npy"), {1, 2, 3});
        const RunResult r = runCli("maps --model gaussian --image " + dir.file("bad.npy") +
                                   " --prompt w0 --out " + out);
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::Contains("error:"));
        CHECK_FALSE(std::filesystem::exists(out + "/values.json"));
    }
    SECTION("empty prompt") {
        const RunResult r =
            runCli("maps --model gaussian --image sample --prompt \"  \" --out " + out);
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::Contains("the prompt is empty"));
    }
    SECTION("a prompt of punctuation only") {
        const RunResult r =
            runCli("maps --model gaussian --image sample --prompt \"...\" --out " + out);
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::Contains("the prompt has no words"));
    }
    SECTION("unknown option") {
        const RunResult r = runCli("check-gaussian --dims 3");
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::Contains("unknown option --dims"));
    }
    SECTION("bad number") {
        const RunResult r = runCli("check-gaussian --samples ten");
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::Contains("expects an integer"));
    }
    SECTION("a model without images in an image command") {
        // Used to die with SIGFPE (the image fitted to a 0x0 model size).
        const RunResult r = runCli("bench-latency --model gaussian --repeats 1 --json");
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::Contains("does not work on images"));
        const RunResult g = runCli("generate --model gaussian --prompt w0 --out " + out + ".png");
        CHECK(g.status == 1);
        CHECK_FALSE(std::filesystem::exists(out + ".png"));
    }
    SECTION("missing model") {
        const RunResult r =
            runCli("maps --model " + dir.file("none") + " --image sample --prompt w0 --out " + out);
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::Contains("neither a built-in model"));
    }
}
