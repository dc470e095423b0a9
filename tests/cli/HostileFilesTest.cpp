// The hostile corpus (tests/data/hostile/, see its README.md) driven through infolens-cli: every
// file is refused with exit status 1 and one "error: ..." line naming the file and the problem;
// never a signal, a hang, an "internal error" (status 3) or an allocation sized by the file.
// Sessions have no CLI command, so they go through loadSession, the function the app calls.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "TestFiles.h"
#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/io/SessionFile.h"
#include "infolens/io/Sha256.h"

#include <catch2/catch.hpp>

namespace fs = std::filesystem;

namespace {

const std::string kCorpus = std::string(INFOLENS_SOURCE_DIR) + "/tests/data/hostile/";
// A small exact model, so each refusal costs milliseconds, not a model load.
const std::string kGaussian = "gaussian:dim=16,words=2,seed=1";

// `timeout` turns a hang into status 124 (and a failed test) rather than a stuck suite.
CommandResult runCli(const std::string& arguments) {
    return runCommand("timeout 60 " + std::string(INFOLENS_CLI) + " " + arguments + " 2>&1");
}

void requireRefused(const CommandResult& r, const std::string& fileName, const std::string& why) {
    INFO(r.output);
    CHECK(r.status == 1);  // documented: 1 = bad input; 2 = usage; 3 = internal error
    CHECK_THAT(r.output, Catch::StartsWith("error: ") || Catch::Contains("\nerror: "));
    CHECK_THAT(r.output, !Catch::Contains("internal error"));
    CHECK_THAT(r.output, Catch::Contains(fileName));
    CHECK_THAT(r.output, Catch::Contains(why, Catch::CaseSensitive::No));
}

std::string sessionError(const std::string& path) {
    try {
        (void)infolens::loadSession(path);
    } catch (const infolens::Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("hostile images are refused by the CLI with exit status 1", "[cli][hostile]") {
    TempDir dir;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"gif-renamed.png", "GIF"},
        {"tga-renamed.png", "TGA"},
        {"truncated.png", "truncated"},
        {"wide-100000x1.png", "100000x1"},
        {"huge-dims.bmp", "8192x8192"},
        {"empty.png", "empty"},
        {"undefined-huffman-table.jpg", "Huffman table DC 1"},
    };
    for (const auto& [file, why] : cases) {
        SECTION(file) {
            requireRefused(
                runCli("maps --model default --image " + kCorpus + file +
                       " --prompt \"a red circle\" --out " + dir.path() + " --samples 2 --quiet"),
                file, why);
        }
    }
    SECTION("a FIFO named .png is refused without blocking") {
        REQUIRE(::mkfifo(dir.file("pipe.png").c_str(), 0600) == 0);
        requireRefused(
            runCli("maps --model default --image " + dir.file("pipe.png") +
                   " --prompt \"a red circle\" --out " + dir.path() + " --samples 2 --quiet"),
            "pipe.png", "FIFO");
    }
    SECTION("a device is refused") {
        requireRefused(runCli("maps --model default --image /dev/zero --prompt \"a red circle\" "
                              "--out " +
                              dir.path() + " --samples 2 --quiet"),
                       "/dev/zero", "device");
    }
}

TEST_CASE("hostile NPY files are refused by the CLI with exit status 1", "[cli][hostile]") {
    TempDir dir;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"negative-shape.npy", "negative"},
        {"overflow-shape.npy", "more values"},
        {"huge-number-shape.npy", "too large"},
        {"short-data.npy", "bytes of data"},
    };
    for (const auto& [file, why] : cases) {
        SECTION(file) {
            requireRefused(
                runCli("maps --model " + kGaussian + " --image " + kCorpus + file +
                       " --prompt \"w0 w1\" --out " + dir.path() + " --samples 2 --quiet"),
                file, why);
        }
    }
}

TEST_CASE("an invalid UTF-8 prompt is refused by the CLI with exit status 1", "[cli][hostile]") {
    const CommandResult r = runCli("tokenize --model " + kGaussian + " -- \"$(cat " + kCorpus +
                                   "invalid-utf8-prompt.txt)\"");
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK_THAT(r.output, Catch::Contains("not valid UTF-8"));
    CHECK_THAT(r.output, !Catch::Contains("internal error"));
}

TEST_CASE("a bundle whose file is a symbolic link is refused", "[cli][hostile]") {
    TempDir dir;
    const fs::path bundle = fs::path(dir.path()) / "bundle";
    fs::create_directories(bundle);
    const std::string params = "{}";
    infolens::writeFileAtomically(dir.file("outside-params.json"), params);
    fs::create_symlink(dir.file("outside-params.json"), bundle / "params.json");
    const nlohmann::json manifest = {
        {"format", "infolens-bundle"},
        {"version", 1},
        {"kind", "gaussian"},
        {"name", "hostile"},
        {"image", {{"width", 16}, {"height", 1}, {"channels", 1}}},
        {"data_shape", {1, 1, 16}},
        {"schedule", {{"type", "continuous"}, {"logsnr_min", -5.0}, {"logsnr_max", 5.0}}},
        {"prediction", "eps"},
        {"files", {{"params", {{"path", "params.json"}, {"sha256", infolens::sha256Hex(params)}}}}},
    };
    infolens::writeFileAtomically((bundle / "manifest.json").string(), manifest.dump());
    requireRefused(runCli("tokenize --model " + bundle.string() + " w0"), "params.json",
                   "symbolic link");

    // A linked folder on the way is refused too: the file it reaches lies outside the bundle.
    fs::remove(bundle / "params.json");
    fs::create_directories(fs::path(dir.path()) / "elsewhere");
    fs::copy_file(dir.file("outside-params.json"), dir.file("elsewhere/p.json"));
    fs::create_directory_symlink(fs::path(dir.path()) / "elsewhere", bundle / "sub");
    nlohmann::json nested = manifest;
    nested["files"]["params"]["path"] = "sub/p.json";
    infolens::writeFileAtomically((bundle / "manifest.json").string(), nested.dump());
    requireRefused(runCli("tokenize --model " + bundle.string() + " w0"), "sub", "symbolic link");
}

TEST_CASE("hostile session files are refused or reported", "[cli][hostile]") {
    TempDir dir;
    SECTION("version 999") {
        CHECK_THAT(sessionError(kCorpus + "version-999.infolens"),
                   Catch::Contains("version 999") && Catch::Contains("newer"));
    }
    SECTION("an image at /dev/zero") {
        CHECK_THAT(sessionError(kCorpus + "dev-zero-image.infolens"),
                   Catch::Contains("/dev/zero") && Catch::Contains("device"));
    }
    SECTION("an image that is a FIFO created now") {
        fs::copy_file(kCorpus + "fifo-image.infolens", dir.file("fifo-image.infolens"));
        REQUIRE(::mkfifo(dir.file("fifo-made-at-test-time.png").c_str(), 0600) == 0);
        CHECK_THAT(sessionError(dir.file("fifo-image.infolens")), Catch::Contains("FIFO"));
    }
    SECTION("an image path climbing out with ..") {
        const infolens::SessionState s = infolens::loadSession(kCorpus + "dotdot-image.infolens");
        CHECK(s.imagePathEscapes);
        CHECK_THAT(s.imagePathNotice, Catch::Contains("outside the session's folder"));
    }
}
