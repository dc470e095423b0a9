// Runs the real infolens-cli binary and checks its outputs.
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "TestFiles.h"
#include "infolens/Npy.h"

#include <catch2/catch.hpp>

namespace {

struct RunResult {
    int status = -1;
    std::string output;
};

RunResult runCli(const std::string& arguments) {
    const std::string command = std::string(INFOLENS_CLI) + " " + arguments + " 2>&1";
    RunResult result;
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
        result.output.append(buffer, n);
    const int raw = ::pclose(pipe);
    result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return result;
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
        CHECK_THAT(r.output, Catch::Contains("no words"));
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
    SECTION("missing model") {
        const RunResult r =
            runCli("maps --model " + dir.file("none") + " --image sample --prompt w0 --out " + out);
        CHECK(r.status == 1);
        CHECK_THAT(r.output, Catch::Contains("neither a built-in model"));
    }
}
