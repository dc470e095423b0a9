// `infolens-cli batch`: the same bytes from one process, shards, a killed-and-resumed run and
// mpirun -np 2; bad manifest lines reported with their line numbers while the others run.
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "TestFiles.h"

#include <catch2/catch.hpp>

namespace {

namespace fs = std::filesystem;
const std::string kSamples = std::string(INFOLENS_SOURCE_DIR) + "/resources/samples";
constexpr int kItems = 12;

CommandResult runCli(const std::string& arguments) {
    return runCommand(std::string(INFOLENS_CLI) + " " + arguments + " 2>&1");
}

std::string firstLine(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

// 12 ShapesWorld items: the bundled samples (each twice, with different ids and so different
// seeds), images relative to the manifest's folder. `lastWordOnly` decomposes only each caption's
// last word (3 conditions a draw instead of ~10), for the tests that run the manifest many times.
std::string writeManifest(const TempDir& dir, bool lastWordOnly = false) {
    fs::create_directories(dir.file("data"));
    std::ofstream out(dir.file("data/manifest.jsonl"));
    for (int i = 0; i < kItems; ++i) {
        const std::string stem = "000" + std::to_string(i % 6);
        fs::copy_file(kSamples + "/" + stem + ".png", dir.file("data/" + stem + ".png"),
                      fs::copy_options::skip_existing);
        const std::string prompt = firstLine(kSamples + "/" + stem + ".txt");
        nlohmann::json item = {
            {"id", "s" + std::to_string(i)}, {"image", stem + ".png"}, {"prompt", prompt}};
        if (lastWordOnly)
            item["words"] = {prompt.substr(prompt.rfind(' ') + 1)};
        out << item.dump() << "\n";
    }
    return dir.file("data/manifest.jsonl");
}

std::string batchArgs(const std::string& manifest, const std::string& out) {
    return "batch --model default --samples 8 --seed 5 --threads 1 --quiet --manifest " + manifest +
           " --out " + out;
}

// Every file of the results (items/, results.jsonl, results.csv) by relative path.
std::map<std::string, std::vector<unsigned char>> outputs(const std::string& root) {
    std::map<std::string, std::vector<unsigned char>> files;
    for (const char* top : {"results.jsonl", "results.csv"})
        files[top] = readBytes((fs::path(root) / top).string());
    if (fs::is_directory(fs::path(root) / "items")) {
        for (const auto& e : fs::recursive_directory_iterator(fs::path(root) / "items")) {
            if (e.is_regular_file())
                files[fs::relative(e.path(), root).string()] = readBytes(e.path().string());
        }
    }
    return files;
}

void requireSameOutputs(const std::string& a, const std::string& b) {
    const auto fa = outputs(a), fb = outputs(b);
    REQUIRE(fa.size() == fb.size());
    for (const auto& [name, bytes] : fa) {
        INFO(name);
        REQUIRE(fb.count(name) == 1);
        CHECK(!bytes.empty());
        CHECK(bytes == fb.at(name));
    }
}

std::vector<nlohmann::json> readJsonl(const std::string& path) {
    std::ifstream in(path);
    std::vector<nlohmann::json> rows;
    std::string line;
    while (std::getline(in, line))
        rows.push_back(nlohmann::json::parse(line));
    return rows;
}

}  // namespace

TEST_CASE("batch writes every item's maps and merged results with SE and provenance", "[cli]") {
    TempDir dir;
    const std::string manifest = writeManifest(dir);
    const CommandResult r = runCli(batchArgs(manifest, dir.file("one")));
    INFO(r.output);
    REQUIRE(r.status == 0);
    const std::vector<nlohmann::json> rows = readJsonl(dir.file("one/results.jsonl"));
    REQUIRE(rows.size() == kItems);
    std::set<std::uint64_t> seeds;
    for (int i = 0; i < kItems; ++i) {
        const nlohmann::json& row = rows[static_cast<std::size_t>(i)];
        INFO(row.dump());
        CHECK(row["id"] == "s" + std::to_string(i));
        CHECK(row["line"] == i + 1);
        CHECK_FALSE(row.contains("error"));
        CHECK(row["model"]["hash"].get<std::string>().size() == 64);
        CHECK(row["sampler"] == "stratified");
        CHECK(row["samples"] == 8);
        CHECK(row["device"] == "cpu");
        seeds.insert(row["seed"].get<std::uint64_t>());
        // MI plus one row per word of the caption, each with a positive SE.
        REQUIRE(row["quantities"].size() >= 3);
        for (const nlohmann::json& q : row["quantities"])
            CHECK(q["i_o_se_nats"].get<double>() > 0);
        const fs::path folder = dir.file("one/items/s" + std::to_string(i));
        const auto bytes = readBytes((folder / "values.json").string());
        const nlohmann::json values = nlohmann::json::parse(bytes.begin(), bytes.end());
        CHECK(values["seed"] == row["seed"]);
        CHECK(values["mi"]["nats"] == row["quantities"][0]["i_o_nats"]);
        for (const nlohmann::json& w : values["words"]) {
            CHECK(fs::is_regular_file(folder / w["map_png"].get<std::string>()));
            CHECK(fs::is_regular_file(folder / w["map_npy"].get<std::string>()));
        }
    }
    // Seeds derive from the item id: the two items of one image differ.
    CHECK(seeds.size() == kItems);
    std::ifstream csv(dir.file("one/results.csv"));
    std::string header;
    std::getline(csv, header);
    CHECK(header.find("i_o_se_nats") != std::string::npos);
    CHECK(header.find("model_hash") != std::string::npos);
}

TEST_CASE("batch on shards 0/2 and 1/2 then --merge-only gives one process's bytes", "[cli]") {
    TempDir dir;
    const std::string manifest = writeManifest(dir, true);
    REQUIRE(runCli(batchArgs(manifest, dir.file("one"))).status == 0);
    const std::string shards = dir.file("shards");
    REQUIRE(runCli(batchArgs(manifest, shards) + " --shard 0/2").status == 0);
    // The first shard cannot merge: half the items are not done.
    CHECK_FALSE(fs::exists(shards + "/results.jsonl"));
    // The second finds every item done and merges; --merge-only writes the same again.
    REQUIRE(runCli(batchArgs(manifest, shards) + " --shard 1/2").status == 0);
    REQUIRE(fs::exists(shards + "/results.jsonl"));
    fs::remove(shards + "/results.jsonl");
    fs::remove(shards + "/results.csv");
    REQUIRE(runCli(batchArgs(manifest, shards) + " --merge-only").status == 0);
    requireSameOutputs(dir.file("one"), shards);
}

TEST_CASE("batch killed with SIGKILL midway resumes to the same bytes", "[cli]") {
    TempDir dir;
    const std::string manifest = writeManifest(dir, true);
    REQUIRE(runCli(batchArgs(manifest, dir.file("one"))).status == 0);
    const std::string resumed = dir.file("resumed");
    const CommandResult killed =
        runCommand(std::string(INFOLENS_CLI) + " " + batchArgs(manifest, resumed) +
                   " >/dev/null 2>&1 & pid=$!; "
                   "while [ \"$(ls " +
                   resumed +
                   "/items 2>/dev/null | wc -l)\" -lt 3 ] && "
                   "kill -0 $pid 2>/dev/null; do sleep 0.02; done; kill -9 $pid; wait $pid; "
                   "ls " +
                   resumed + "/items | wc -l");
    const int before = std::stoi(killed.output);
    INFO("items finished before the kill: " << before);
    REQUIRE(before >= 3);
    REQUIRE(before < kItems);
    CHECK_FALSE(fs::exists(resumed + "/results.jsonl"));
    const CommandResult again = runCli(batchArgs(manifest, resumed));
    INFO(again.output);
    REQUIRE(again.status == 0);
    // Only the items missing at the kill were computed again.
    CHECK(again.output.find(std::to_string(kItems - before) + " computed here") !=
          std::string::npos);
    requireSameOutputs(dir.file("one"), resumed);
}

TEST_CASE("batch reports bad manifest lines with their numbers and runs the rest", "[cli]") {
    TempDir dir;
    fs::copy_file(kSamples + "/0000.png", dir.file("a.png"));
    {
        std::ofstream out(dir.file("bad.jsonl"));
        out << R"({"id": "ok1", "image": "a.png", "prompt": "an image of a green circle"})"
            << "\n"
            << R"({"id": "broken", "image": )"
            << "\n"
            << R"({"id": "gone", "image": "missing.png", "prompt": "a red square"})"
            << "\n"
            << R"({"id": "word", "image": "a.png", "prompt": "a green circle", "words": ["zebra"]})"
            << "\n"
            << "\n"
            << R"({"image": "a.png", "prompt": "a green circle", "words": ["circle"]})"
            << "\n";
    }
    const CommandResult r = runCli("batch --samples 4 --threads 1 --quiet --manifest " +
                                   dir.file("bad.jsonl") + " --out " + dir.file("out"));
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("bad.jsonl:2: invalid JSON") != std::string::npos);
    CHECK(r.output.find("bad.jsonl:3: image 'missing.png' not found") != std::string::npos);
    CHECK(r.output.find("bad.jsonl:4: item 'word' failed: word 'zebra'") != std::string::npos);
    const std::vector<nlohmann::json> rows = readJsonl(dir.file("out/results.jsonl"));
    REQUIRE(rows.size() == 5);
    CHECK_FALSE(rows[0].contains("error"));
    CHECK(rows[1]["line"] == 2);
    CHECK(rows[1].contains("error"));
    CHECK(rows[2]["id"] == "gone");
    CHECK(rows[2].contains("error"));
    CHECK(rows[3]["error"].get<std::string>().find("zebra") != std::string::npos);
    // The last line has no id (its line number names it) and decomposes only "circle".
    CHECK(rows[4]["id"] == "line-6");
    CHECK_FALSE(rows[4].contains("error"));
    REQUIRE(rows[4]["quantities"].size() == 2);
    CHECK(rows[4]["quantities"][1]["label"] == "circle");
    CHECK(fs::is_regular_file(dir.file("out/items/ok1/values.json")));
    CHECK_FALSE(fs::exists(dir.file("out/items/word")));
}

TEST_CASE("batch under mpirun -np 2 writes the same bytes as one process", "[mpi]") {
#ifndef INFOLENS_TEST_MPI
    WARN("skipped: this build has no MPI (configure with -DINFOLENS_WITH_MPI=ON)");
    return;
#endif
    if (runCommand("command -v mpirun >/dev/null 2>&1").status != 0) {
        WARN("skipped: mpirun is not on PATH (Debian: apt-get install openmpi-bin)");
        return;
    }
    TempDir dir;
    const std::string manifest = writeManifest(dir);
    REQUIRE(runCli(batchArgs(manifest, dir.file("one"))).status == 0);
    const CommandResult r = runCommand(
        "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader "
        "OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo "
        "mpirun -np 2 --oversubscribe " +
        std::string(INFOLENS_CLI) + " " + batchArgs(manifest, dir.file("mpi")) + " 2>&1");
    INFO(r.output);
    REQUIRE(r.status == 0);
    CHECK(r.output.find("on 2 processes") != std::string::npos);
    requireSameOutputs(dir.file("one"), dir.file("mpi"));
}
