#include "infolens/io/ResultExport.h"

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "TestFiles.h"
#include "infolens/Error.h"
#include "infolens/io/Npy.h"

#include <catch2/catch.hpp>

namespace fs = std::filesystem;
using infolens::LiveResult;
using infolens::WordResult;

namespace {

constexpr int kWidth = 5;
constexpr int kHeight = 3;

WordResult word(const std::string& text, int begin, double bits, float mapBase) {
    WordResult w;
    w.text = text;
    w.span = {begin, begin + static_cast<int>(text.size()), true};
    w.bits = bits;
    w.seBits = bits / 10.0;
    w.standardBits = bits * 1.5;
    w.standardSeBits = bits / 7.0;
    for (int i = 0; i < kWidth * kHeight; ++i)
        w.map.push_back(mapBase + 0.125f * i);
    return w;
}

// A prompt whose words need CSV quoting; the spans are synthetic, as a tokenizer never puts a
// comma inside a word, but the export must not depend on that.
LiveResult sampleResult() {
    LiveResult r;
    r.prompt = "a x,y say \"hi\"";
    r.drawsDone = 64;
    r.sampleCap = 128;
    r.evaluations = 1280;
    r.finished = true;
    r.converged = true;
    r.mapWidth = kWidth;
    r.mapHeight = kHeight;
    r.imagePixelsPerCell = 16.0;
    r.mi = word(r.prompt, 0, 12.75, 100.0f);
    r.words = {word("a", 0, 0.1, 1.0f), word("x,y", 2, 2.5, 2.0f),
               word("say \"hi\"", 6, 1.0 / 3.0, 3.0f)};
    r.words[1].mode = infolens::WordMode::Placeholder;
    r.words[2].unknown = true;
    return r;
}

std::string readText(const std::string& path) {
    const auto bytes = readBytes(path);
    return std::string(bytes.begin(), bytes.end());
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

int regularFiles(const std::string& dir) {
    int n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        n += e.is_regular_file();
    return n;
}

}  // namespace

TEST_CASE("maps export as a [K+1, H, W] float32 npy", "[export]") {
    TempDir dir;
    const LiveResult r = sampleResult();
    infolens::writeMapsNpy(dir.file("maps.npy"), r);
    const auto back = infolens::readNpyFloat32(dir.file("maps.npy"));
    CHECK(back.shape == std::vector<std::int64_t>{4, kHeight, kWidth});
    std::vector<float> expected = r.mi.map;
    for (const auto& w : r.words)
        expected.insert(expected.end(), w.map.begin(), w.map.end());
    CHECK(back.values == expected);
}

TEST_CASE("maps export refuses results without maps", "[export]") {
    TempDir dir;
    LiveResult r = sampleResult();
    r.mapWidth = 0;
    CHECK_THROWS_AS(infolens::writeMapsNpy(dir.file("a.npy"), r), infolens::Error);
    r = sampleResult();
    r.mi.map.clear();
    CHECK_THROWS_WITH(infolens::writeMapsNpy(dir.file("a.npy"), r), Catch::Contains("no maps"));
    r = sampleResult();
    r.words[2].map.pop_back();
    CHECK_THROWS_WITH(infolens::writeMapsNpy(dir.file("a.npy"), r), Catch::Contains("word 3"));
    r = sampleResult();
    r.error = "model failed";
    CHECK_THROWS_WITH(infolens::writeMapsNpy(dir.file("a.npy"), r),
                      Catch::Contains("model failed"));
    CHECK(regularFiles(dir.path()) == 0);
}

TEST_CASE("values export as CSV with quoting", "[export]") {
    TempDir dir;
    const LiveResult r = sampleResult();
    infolens::writeValuesCsv(dir.file("v.csv"), r);
    const std::vector<std::string> rows = lines(readText(dir.file("v.csv")));
    REQUIRE(rows.size() == r.words.size() + 2);
    // The value columns name their form: i_o (orthogonal) and i_s (standard).
    CHECK(rows[0] ==
          "index,word,kind,begin,end,mode,unknown,i_o_bits,i_o_se_bits,i_s_bits,"
          "i_s_se_bits");
    CHECK(rows[1] ==
          "0,\"a x,y say \"\"hi\"\"\",mi,0,14,,false,12.75,1.275,19.125,"
          "1.8214285714285714");
    CHECK(rows[2] == "1,a,word,0,1,omit,false,0.1,0.01,0.15000000000000002,0.014285714285714287");
    CHECK(rows[3].rfind("2,\"x,y\",word,2,5,placeholder,false,2.5,", 0) == 0);
    CHECK(rows[4].rfind("3,\"say \"\"hi\"\"\",word,6,14,omit,true,0.3333333333333333,", 0) == 0);
}

TEST_CASE("values export as JSON with provenance", "[export]") {
    TempDir dir;
    const LiveResult r = sampleResult();
    const nlohmann::json provenance = {{"modelHash", "abc123"}, {"seed", 7}};
    infolens::writeValuesJson(dir.file("v.json"), r, provenance);
    const auto j = nlohmann::json::parse(readText(dir.file("v.json")));
    CHECK(j["format"] == "infolens-values");
    // Which form each number is.
    CHECK_THAT(j["forms"]["bits"].get<std::string>(), Catch::Contains("i_o"));
    CHECK_THAT(j["forms"]["standardBits"].get<std::string>(), Catch::Contains("i_s"));
    CHECK(j["prompt"] == r.prompt);
    CHECK(j["drawsDone"] == 64);
    CHECK(j["sampleCap"] == 128);
    CHECK(j["evaluations"] == 1280);
    CHECK(j["converged"] == true);
    CHECK(j["map"]["width"] == kWidth);
    CHECK(j["map"]["height"] == kHeight);
    CHECK(j["mi"]["bits"] == 12.75);
    CHECK(j["mi"]["seBits"] == 1.275);
    REQUIRE(j["words"].size() == 3);
    CHECK(j["words"][1]["text"] == "x,y");
    CHECK(j["words"][1]["mode"] == "placeholder");
    CHECK(j["words"][2]["bits"].get<double>() == 1.0 / 3.0);
    CHECK(j["words"][2]["unknown"] == true);
    CHECK(j["words"][2]["index"] == 3);
    CHECK(j["provenance"] == provenance);

    CHECK_THROWS_AS(infolens::writeValuesJson(dir.file("w.json"), r, nlohmann::json::array()),
                    infolens::Error);
    CHECK_FALSE(fs::exists(dir.file("w.json")));
}

TEST_CASE("exports to a missing folder throw and leave no file", "[export]") {
    TempDir dir;
    const LiveResult r = sampleResult();
    CHECK_THROWS_AS(infolens::writeMapsNpy(dir.file("no/such/maps.npy"), r), infolens::Error);
    CHECK_THROWS_AS(infolens::writeValuesCsv(dir.file("no/such/v.csv"), r), infolens::Error);
    CHECK_THROWS_WITH(infolens::writeValuesJson(dir.file("no/such/v.json"), r, {}),
                      Catch::Contains(dir.file("no/such/v.json")));
    CHECK_FALSE(fs::exists(dir.file("no")));
    CHECK(regularFiles(dir.path()) == 0);
}

TEST_CASE("exports over an existing file replace it wholly", "[export]") {
    TempDir dir;
    const LiveResult r = sampleResult();
    infolens::writeMapsNpy(dir.file("fresh.npy"), r);
    infolens::writeValuesCsv(dir.file("fresh.csv"), r);
    infolens::writeValuesJson(dir.file("fresh.json"), r, {{"seed", 1}});
    for (const char* name : {"old.npy", "old.csv", "old.json"})
        writeBytes(dir.file(name), std::vector<unsigned char>(200000, 'z'));
    infolens::writeMapsNpy(dir.file("old.npy"), r);
    infolens::writeValuesCsv(dir.file("old.csv"), r);
    infolens::writeValuesJson(dir.file("old.json"), r, {{"seed", 1}});
    CHECK(readBytes(dir.file("old.npy")) == readBytes(dir.file("fresh.npy")));
    CHECK(readBytes(dir.file("old.csv")) == readBytes(dir.file("fresh.csv")));
    CHECK(readBytes(dir.file("old.json")) == readBytes(dir.file("fresh.json")));
    CHECK(regularFiles(dir.path()) == 6);
}
