#include "infolens/io/SessionFile.h"

#include <filesystem>
#include <limits>
#include <string>

#include "TestFiles.h"
#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/io/ImageIO.h"
#include "infolens/io/Sha256.h"

#include <catch2/catch.hpp>

namespace fs = std::filesystem;
using infolens::SessionState;
using infolens::WordMode;

namespace {

// Every field differs from its default, so a field the file forgets cannot pass by accident.
SessionState fullState(const std::string& imagePath) {
    SessionState s;
    s.modelSpec = "/opt/models/shapes-v1";
    s.modelName = "shapes-v1";
    s.modelHash = std::string(64, 'a');
    s.imagePath = imagePath;
    s.imageSha256 = std::string(63, '0') + "f";
    s.imageWidth = 64;
    s.imageHeight = 48;
    s.prompt = "a red \"circle\", left of a blue square — ünïcode";
    s.modes = {WordMode::Placeholder, WordMode::Omit, WordMode::Placeholder};
    s.placeholder = "[mask]";
    s.seed = 18446744073709551557ull;  // beyond int64, so it must survive as unsigned
    s.sampleCap = 512;
    s.targetRelativeSe = 0.0125;
    s.iidSampler = true;
    s.colormap = "magma";
    s.opacity = 0.35;
    s.sharedScale = false;
    s.maskBelowThreshold = true;
    s.contour = true;
    s.fadeLowValues = false;
    s.thresholdFraction = 0.8;
    s.selectedWord = 2;
    s.savedBy = "InfoLens 0.1.0";
    s.savedAt = "2024-05-01T12:34:56Z";
    return s;
}

void requireEqual(const SessionState& a, const SessionState& b) {
    CHECK(a.version == b.version);
    CHECK(a.modelSpec == b.modelSpec);
    CHECK(a.modelName == b.modelName);
    CHECK(a.modelHash == b.modelHash);
    CHECK(a.imagePath == b.imagePath);
    CHECK(a.imageSha256 == b.imageSha256);
    CHECK(a.imageWidth == b.imageWidth);
    CHECK(a.imageHeight == b.imageHeight);
    CHECK(a.prompt == b.prompt);
    CHECK(a.modes == b.modes);
    CHECK(a.placeholder == b.placeholder);
    CHECK(a.seed == b.seed);
    CHECK(a.sampleCap == b.sampleCap);
    CHECK(a.targetRelativeSe == b.targetRelativeSe);
    CHECK(a.iidSampler == b.iidSampler);
    CHECK(a.colormap == b.colormap);
    CHECK(a.opacity == b.opacity);
    CHECK(a.sharedScale == b.sharedScale);
    CHECK(a.maskBelowThreshold == b.maskBelowThreshold);
    CHECK(a.contour == b.contour);
    CHECK(a.fadeLowValues == b.fadeLowValues);
    CHECK(a.thresholdFraction == b.thresholdFraction);
    CHECK(a.selectedWord == b.selectedWord);
    CHECK(a.savedBy == b.savedBy);
    CHECK(a.savedAt == b.savedAt);
}

std::string loadError(const std::string& path) {
    try {
        infolens::loadSession(path);
    } catch (const infolens::Error& e) {
        return e.what();
    }
    return "(no error)";
}

void writeText(const std::string& path, const std::string& text) {
    writeBytes(path, std::vector<unsigned char>(text.begin(), text.end()));
}

std::string readText(const std::string& path) {
    const auto bytes = readBytes(path);
    return std::string(bytes.begin(), bytes.end());
}

}  // namespace

TEST_CASE("a session survives save and load field for field", "[session]") {
    TempDir dir;
    TempDir elsewhere;
    const SessionState state = fullState(elsewhere.file("picture.png"));
    infolens::saveSession(dir.file("s.infolens"), state);
    requireEqual(infolens::loadSession(dir.file("s.infolens")), state);

    // The in-memory conversion keeps every field too, including the path as given.
    SessionState relative = fullState("images/picture.png");
    requireEqual(infolens::sessionFromJson(infolens::sessionToJson(relative), "memory"), relative);

    // Defaults and an empty session (no image yet) round-trip as well.
    SessionState empty;
    infolens::saveSession(dir.file("empty.infolens"), empty);
    requireEqual(infolens::loadSession(dir.file("empty.infolens")), empty);
}

TEST_CASE("an image beside the session is stored relative and found after a move", "[session]") {
    TempDir dir;
    const fs::path before = fs::path(dir.path()) / "project";
    fs::create_directories(before / "images");
    writeText((before / "images" / "cat.png").string(), "not really a png");
    const SessionState state = fullState((before / "images" / "cat.png").string());
    infolens::saveSession((before / "cat.infolens").string(), state);

    const auto json = nlohmann::json::parse(readText((before / "cat.infolens").string()));
    CHECK(json["image"]["path"] == "images/cat.png");

    const fs::path after = fs::path(dir.path()) / "moved" / "elsewhere";
    fs::create_directories(after.parent_path());
    fs::rename(before, after);
    const SessionState loaded = infolens::loadSession((after / "cat.infolens").string());
    CHECK(loaded.imagePath == (after / "images" / "cat.png").string());
    CHECK(fs::exists(loaded.imagePath));

    // A session saved inside a subfolder cannot reach the image relatively: it stays absolute.
    fs::create_directories(after / "sub");
    SessionState outside = loaded;
    infolens::saveSession((after / "sub" / "s.infolens").string(), outside);
    const auto outsideJson =
        nlohmann::json::parse(readText((after / "sub" / "s.infolens").string()));
    CHECK(outsideJson["image"]["path"] == loaded.imagePath);
    CHECK(infolens::loadSession((after / "sub" / "s.infolens").string()).imagePath ==
          loaded.imagePath);
}

TEST_CASE("bad session files give errors naming the problem", "[session]") {
    TempDir dir;
    using Catch::Matchers::Contains;

    SECTION("missing file") {
        const std::string path = dir.file("nope.infolens");
        CHECK_THAT(loadError(path), Contains("does not exist") && Contains(path));
    }
    SECTION("a folder") {
        CHECK_THAT(loadError(dir.path()), Contains("folder"));
    }
    SECTION("not JSON") {
        writeText(dir.file("x.infolens"), "hello, world");
        CHECK_THAT(loadError(dir.file("x.infolens")),
                   Contains("not valid JSON") && Contains("x.infolens") && Contains("line 1"));
    }
    SECTION("JSON but not a session") {
        writeText(dir.file("x.infolens"), R"({"format": "something-else", "version": 1})");
        CHECK_THAT(loadError(dir.file("x.infolens")), Contains("not an InfoLens session"));
        writeText(dir.file("y.infolens"), "[1, 2, 3]");
        CHECK_THAT(loadError(dir.file("y.infolens")), Contains("not an InfoLens session"));
    }

    nlohmann::json good = infolens::sessionToJson(fullState("/images/a.png"));
    auto errorFor = [&](const nlohmann::json& j) {
        infolens::writeFileAtomically(dir.file("s.infolens"), j.dump());
        return loadError(dir.file("s.infolens"));
    };
    REQUIRE(errorFor(good) == "(no error)");

    SECTION("newer and unknown versions") {
        nlohmann::json j = good;
        j["version"] = 2;
        CHECK_THAT(errorFor(j),
                   Contains("version 2") && Contains("newer") && Contains("reads version 1"));
        j["version"] = 0;
        CHECK_THAT(errorFor(j), Contains("version 0") && Contains("unknown"));
        j["version"] = "1";
        CHECK_THAT(errorFor(j), Contains("\"version\" must be an integer"));
    }
    SECTION("wrong-typed fields") {
        nlohmann::json j = good;
        j["sampling"]["seed"] = "42";
        CHECK_THAT(errorFor(j), Contains("\"sampling.seed\"") && Contains("not string"));
        j = good;
        j["sampling"]["seed"] = -1;
        CHECK_THAT(errorFor(j), Contains("\"sampling.seed\""));
        j = good;
        j["view"]["contour"] = 1;
        CHECK_THAT(errorFor(j), Contains("\"view.contour\" must be true or false"));
        j = good;
        j["prompt"] = nullptr;
        CHECK_THAT(errorFor(j), Contains("\"prompt\" must be a string, not null"));
        j = good;
        j["image"] = "a.png";
        CHECK_THAT(errorFor(j), Contains("\"image\" must be an object"));
        j = good;
        j["image"]["width"] = 64.5;
        CHECK_THAT(errorFor(j), Contains("\"image.width\" must be an integer"));
    }
    SECTION("missing fields") {
        nlohmann::json j = good;
        j["view"].erase("opacity");
        CHECK_THAT(errorFor(j), Contains("\"view.opacity\" is missing"));
        j = good;
        j.erase("model");
        CHECK_THAT(errorFor(j), Contains("\"model\" is missing"));
    }
    SECTION("values out of range") {
        nlohmann::json j = good;
        j["words"]["modes"][1] = "delete";
        CHECK_THAT(errorFor(j), Contains("\"words.modes[1]\"") && Contains("\"delete\""));
        j = good;
        j["view"]["opacity"] = 1.5;
        CHECK_THAT(errorFor(j), Contains("\"view.opacity\" is 1.5"));
        j = good;
        j["sampling"]["sampleCap"] = 0;
        CHECK_THAT(errorFor(j), Contains("\"sampling.sampleCap\""));
        // Bounded to a stated range, not just to what an int holds.
        j["sampling"]["sampleCap"] = std::numeric_limits<int>::max();
        CHECK_THAT(errorFor(j), Contains("\"sampling.sampleCap\" is 2147483647, outside 1..4096"));
        j["sampling"]["sampleCap"] = infolens::kMaxSessionSampleCap + 1;
        CHECK_THAT(errorFor(j), Contains("\"sampling.sampleCap\" is 4097"));
        j["sampling"]["sampleCap"] = infolens::kMaxSessionSampleCap;
        CHECK(errorFor(j) == "(no error)");
        j = good;
        j["image"]["sha256"] = "xyz";
        CHECK_THAT(errorFor(j), Contains("\"image.sha256\""));
    }
}

TEST_CASE("saving a session is atomic and replaces the old file", "[session]") {
    TempDir dir;
    writeText(dir.file("s.infolens"), std::string(100000, 'z'));
    infolens::saveSession(dir.file("s.infolens"), fullState("/a.png"));
    CHECK(infolens::loadSession(dir.file("s.infolens")).prompt == fullState("").prompt);
    CHECK(readText(dir.file("s.infolens")).find('z') == std::string::npos);

    CHECK_THROWS_AS(infolens::saveSession(dir.file("no/such/dir/s.infolens"), SessionState{}),
                    infolens::Error);
    CHECK_FALSE(fs::exists(dir.file("no")));
    int entries = 0;
    for (const auto& e : fs::directory_iterator(dir.path()))
        entries += e.is_regular_file();
    CHECK(entries == 1);
}

TEST_CASE("the sampler choice survives a session", "[session]") {
    TempDir dir;
    for (const bool iid : {true, false}) {
        SessionState s = fullState("/a.png");
        s.iidSampler = iid;
        infolens::saveSession(dir.file("s.infolens"), s);
        const auto json = nlohmann::json::parse(readText(dir.file("s.infolens")));
        CHECK(json["sampling"]["iidSampler"] == iid);
        CHECK(infolens::loadSession(dir.file("s.infolens")).iidSampler == iid);
    }
}

TEST_CASE("a generated image is stored beside its session, never over another file", "[session]") {
    TempDir dir;
    infolens::Image image;
    image.width = 4;
    image.height = 3;
    for (int i = 0; i < 4 * 3 * 3; ++i)
        image.rgb.push_back(static_cast<std::uint8_t>(i * 7));
    const std::string session = dir.file("cat.v2.infolens");

    // A free name: written there, and the digest is the file's.
    const infolens::SessionImageFile first = infolens::storeSessionImage(session, image);
    CHECK(first.written);
    CHECK(first.path == dir.file("cat.v2-image.png"));
    CHECK(first.sha256 == infolens::sha256FileHex(first.path));
    const infolens::Image decoded = infolens::loadImage(first.path);
    CHECK(decoded.rgb == image.rgb);

    // The same image again: the identical file is reused, not rewritten.
    const auto modified = fs::last_write_time(first.path);
    const infolens::SessionImageFile again = infolens::storeSessionImage(session, image);
    CHECK_FALSE(again.written);
    CHECK(again.path == first.path);
    CHECK(fs::last_write_time(first.path) == modified);

    // A different image: the existing file stays as it is, the next free name is taken.
    infolens::Image other = image;
    other.rgb[0] ^= 0xff;
    const std::string before = readText(first.path);
    const infolens::SessionImageFile second = infolens::storeSessionImage(session, other);
    CHECK(second.written);
    CHECK(second.path == dir.file("cat.v2-image-2.png"));
    CHECK(readText(first.path) == before);
    CHECK(infolens::loadImage(second.path).rgb == other.rgb);

    // Something that is not an image under the next names is skipped as well.
    writeText(dir.file("cat.v2-image-3.png"), "notes");
    infolens::Image third = image;
    third.rgb[1] ^= 0xff;
    const infolens::SessionImageFile stored = infolens::storeSessionImage(session, third);
    CHECK(stored.path == dir.file("cat.v2-image-4.png"));
    CHECK(readText(dir.file("cat.v2-image-3.png")) == "notes");

    infolens::Image empty;
    CHECK_THROWS_AS(infolens::storeSessionImage(session, empty), infolens::Error);
}

TEST_CASE("timestamps are ISO 8601 UTC", "[session]") {
    const std::string now = infolens::utcTimestampNow();
    REQUIRE(now.size() == 20);
    CHECK(now[4] == '-');
    CHECK(now[10] == 'T');
    CHECK(now.back() == 'Z');
}
