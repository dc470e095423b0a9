// `infolens-cli batch --task rank` and `--task intervene` on the bundled ShapesWorld samples:
// what each writes, the documented ranking rule (by i_s, largest first), and bit-identical reruns.
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "TestFiles.h"

#include <catch2/catch.hpp>

namespace {

namespace fs = std::filesystem;
const std::string kSamples = std::string(INFOLENS_SOURCE_DIR) + "/resources/samples";

CommandResult runCli(const std::string& arguments) {
    return runCommand(std::string(INFOLENS_CLI) + " " + arguments + " 2>&1");
}

std::string caption(const std::string& stem) {
    std::ifstream in(kSamples + "/" + stem + ".txt");
    std::string line;
    std::getline(in, line);
    return line;
}

void copySample(const TempDir& dir, const std::string& stem) {
    fs::copy_file(kSamples + "/" + stem + ".png", dir.file(stem + ".png"),
                  fs::copy_options::skip_existing);
}

std::vector<nlohmann::json> readJsonl(const std::string& path) {
    std::ifstream in(path);
    std::vector<nlohmann::json> rows;
    std::string line;
    while (std::getline(in, line))
        rows.push_back(nlohmann::json::parse(line));
    return rows;
}

nlohmann::json readJson(const std::string& path) {
    const std::vector<unsigned char> bytes = readBytes(path);
    return nlohmann::json::parse(bytes.begin(), bytes.end());
}

// Every regular file under root, by relative path.
std::map<std::string, std::vector<unsigned char>> filesUnder(const std::string& root) {
    std::map<std::string, std::vector<unsigned char>> files;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.is_regular_file())
            files[fs::relative(e.path(), root).string()] = readBytes(e.path().string());
    }
    return files;
}

}  // namespace

TEST_CASE("batch --task rank ranks every caption by i_s and records i_o and i_s with SE", "[cli]") {
    TempDir dir;
    copySample(dir, "0000");
    copySample(dir, "0001");
    // Each image with its own caption, a same-words variant and an unrelated caption. The
    // unrelated captions move the denoiser most (largest i_o) but explain the image worst
    // (negative i_s): a ranking by i_o would put them first.
    const std::map<std::string, std::vector<std::string>> captions = {
        {"r0", {"an image of a red square", caption("0000"), caption("0001")}},
        {"r1", {caption("0000"), "a brown triangle on a pink background", caption("0001")}},
    };
    {
        std::ofstream out(dir.file("rank.jsonl"));
        out << nlohmann::json({{"id", "r0"},
                               {"image", "0000.png"},
                               {"prompt", caption("0000")},
                               {"captions", captions.at("r0")}})
                   .dump()
            << "\n"
            << nlohmann::json({{"id", "r1"},
                               {"image", "0001.png"},
                               {"prompt", caption("0001")},
                               {"captions", captions.at("r1")}})
                   .dump()
            << "\n"
            // A rank line without captions is a manifest problem with its line number.
            << R"({"id": "r2", "image": "0000.png", "prompt": "a green circle"})"
            << "\n";
    }
    const CommandResult r = runCli(
        "batch --model default --task rank --samples 16 --seed 5 --threads 1 --quiet "
        "--manifest " +
        dir.file("rank.jsonl") + " --out " + dir.file("out"));
    INFO(r.output);
    CHECK(r.status == 1);  // the line without captions
    CHECK(r.output.find("rank.jsonl:3:") != std::string::npos);
    const std::vector<nlohmann::json> rows = readJsonl(dir.file("out/results.jsonl"));
    REQUIRE(rows.size() == 3);
    CHECK(rows[2]["line"] == 3);
    CHECK(rows[2].contains("error"));

    const std::map<std::string, std::string> trueCaption = {{"r0", caption("0000")},
                                                            {"r1", caption("0001")}};
    const std::map<std::string, std::string> unrelated = {{"r0", caption("0001")},
                                                          {"r1", caption("0000")}};
    for (int i = 0; i < 2; ++i) {
        const nlohmann::json& row = rows[static_cast<std::size_t>(i)];
        const std::string id = row["id"];
        INFO(row.dump(2));
        CHECK_FALSE(row.contains("error"));
        CHECK(row["task"] == "rank");
        CHECK(row["model"]["hash"].get<std::string>().size() == 64);
        const std::vector<std::string>& given = captions.at(id);
        // Every caption once, with both forms and their standard errors.
        const nlohmann::json& q = row["quantities"];
        REQUIRE(q.size() == given.size());
        std::multiset<std::string> labels;
        std::map<std::string, double> io, is;
        for (const nlohmann::json& c : q) {
            labels.insert(c["label"].get<std::string>());
            io[c["label"]] = c["i_o_nats"].get<double>();
            is[c["label"]] = c["i_s_nats"].get<double>();
            CHECK(c["i_o_se_nats"].get<double>() > 0);
            CHECK(c["i_s_se_nats"].get<double>() > 0);
            CHECK(c["i_o_nats"].get<double>() >= 0);  // the orthogonal form is non-negative
        }
        CHECK(labels == std::multiset<std::string>(given.begin(), given.end()));
        // The documented rule: largest i_s first.
        for (std::size_t k = 1; k < q.size(); ++k)
            CHECK(q[k - 1]["i_s_nats"].get<double>() >= q[k]["i_s_nats"].get<double>());
        CHECK(row["top_caption"] == q[0]["label"]);
        // The image's own caption explains it better than the unrelated one, although the
        // unrelated one moves the denoiser more.
        CHECK(is.at(trueCaption.at(id)) > is.at(unrelated.at(id)));
        CHECK(io.at(unrelated.at(id)) > io.at(trueCaption.at(id)));
        CHECK(row["top_caption"] != unrelated.at(id));

        // ranking.json: ranks 1..n, each caption's index into the manifest's list, same values.
        const nlohmann::json ranking = readJson(dir.file("out/items/" + id + "/ranking.json"));
        CHECK(ranking["ranked_by"].get<std::string>().rfind("i_s", 0) == 0);
        CHECK(ranking["seed"] == row["seed"]);
        REQUIRE(ranking["ranking"].size() == given.size());
        std::set<int> indices;
        for (std::size_t k = 0; k < given.size(); ++k) {
            const nlohmann::json& entry = ranking["ranking"][k];
            CHECK(entry["rank"] == k + 1);
            const int index = entry["index"];
            indices.insert(index);
            CHECK(entry["caption"] == given.at(static_cast<std::size_t>(index)));
            CHECK(entry["caption"] == q[k]["label"]);
            CHECK(entry["i_s_nats"] == q[k]["i_s_nats"]);
            CHECK(entry["i_s_se_nats"] == q[k]["i_s_se_nats"]);
            CHECK(entry["i_o_nats"] == q[k]["i_o_nats"]);
            CHECK(entry["i_o_se_nats"] == q[k]["i_o_se_nats"]);
        }
        CHECK(indices.size() == given.size());
    }
    // The CSV has one row per caption, labelled.
    std::ifstream csv(dir.file("out/results.csv"));
    std::string line;
    int captionRows = 0;
    while (std::getline(csv, line)) {
        if (line.rfind("r0,1,rank,", 0) == 0 || line.rfind("r1,2,rank,", 0) == 0)
            ++captionRows;
    }
    CHECK(captionRows == 6);
}

TEST_CASE("batch --task intervene writes the intervention files and gives the same bytes twice",
          "[cli]") {
    TempDir dir;
    copySample(dir, "0000");
    {
        std::ofstream out(dir.file("edit.jsonl"));
        out << nlohmann::json({{"id", "e0"},
                               {"image", "0000.png"},
                               {"prompt", caption("0000")},
                               {"word", "green"}})
                   .dump()
            << "\n"
            // A word the prompt does not have fails this item only, with its line number.
            << nlohmann::json({{"id", "e1"},
                               {"image", "0000.png"},
                               {"prompt", caption("0000")},
                               {"word", "zebra"}})
                   .dump()
            << "\n";
    }
    const auto run = [&](const std::string& out) {
        return runCli(
            "batch --model default --task intervene --samples 8 --steps 10 --seed 5 "
            "--threads 1 --quiet --manifest " +
            dir.file("edit.jsonl") + " --out " + dir.file(out));
    };
    const CommandResult first = run("a");
    INFO(first.output);
    CHECK(first.status == 1);
    CHECK(first.output.find("edit.jsonl:2: item 'e1' failed") != std::string::npos);
    const std::vector<nlohmann::json> rows = readJsonl(dir.file("a/results.jsonl"));
    REQUIRE(rows.size() == 2);
    const nlohmann::json& row = rows[0];
    INFO(row.dump(2));
    REQUIRE_FALSE(row.contains("error"));
    CHECK(row["task"] == "intervene");
    CHECK(row["edited_prompt"] == "an image of a circle");
    CHECK(row["steps"] == 10);
    REQUIRE(row["quantities"].size() == 1);
    const nlohmann::json& q = row["quantities"][0];
    CHECK(q["label"] == "green");
    CHECK(q["i_o_se_nats"].get<double>() > 0);
    CHECK(q["i_s_se_nats"].get<double>() > 0);
    CHECK(rows[1]["id"] == "e1");
    CHECK(rows[1]["error"].get<std::string>().find("zebra") != std::string::npos);
    CHECK_FALSE(fs::exists(dir.file("a/items/e1")));

    const std::string item = dir.file("a/items/e0");
    for (const char* name :
         {"intervention.json", "edited.png", "original-regenerated.png", "change.npy", "change.png",
          "predicted.npy", "predicted.png", "attention.npy", "result.json"}) {
        INFO(name);
        CHECK(fs::is_regular_file(item + "/" + name));
    }
    // The intervention file and the results row hold the same numbers.
    const nlohmann::json intervention = readJson(item + "/intervention.json");
    CHECK(intervention["word"] == "green");
    CHECK(intervention["seed"] == row["seed"]);
    CHECK(intervention["steps"] == 10);
    CHECK(intervention["cmi"] == q["i_o_nats"]);
    CHECK(intervention["se"] == q["i_o_se_nats"]);
    CHECK(intervention["cmi_standard"]["value"] == q["i_s_nats"]);
    CHECK(intervention["cmi_standard"]["se"] == q["i_s_se_nats"]);
    CHECK(intervention["total_change"].get<double>() > 0);

    // Deterministic: a second run into another folder writes the same bytes, file by file.
    const CommandResult second = run("b");
    CHECK(second.status == 1);
    const auto fa = filesUnder(dir.file("a")), fb = filesUnder(dir.file("b"));
    CHECK(fa.size() >= 11);
    REQUIRE(fa.size() == fb.size());
    for (const auto& [name, bytes] : fa) {
        INFO(name);
        REQUIRE(fb.count(name) == 1);
        CHECK(!bytes.empty());
        CHECK(bytes == fb.at(name));
    }
}
