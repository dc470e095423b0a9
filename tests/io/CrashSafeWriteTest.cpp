// kill -9 during the app's exports (issue 13): a forked child rewrites an NPY, a CSV, a JSON, a
// session and a large raw file (a figure's size) through the real write paths, all of which go
// through writeFileAtomically; the parent kills it at random moments and checks that every file
// is exactly one complete version, that only the killed writer's temporaries remain, and that the
// next process writing into the folder removes them.
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "TestFiles.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/io/Npy.h"
#include "infolens/io/ResultExport.h"
#include "infolens/io/SessionFile.h"

#include <catch2/catch.hpp>

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kRawBytes = std::size_t(8) << 20;  // a large figure
constexpr std::size_t kNpyFloats = std::size_t(1) << 20;
const std::vector<std::string> kTargets = {"maps.npy", "values.csv", "values.json", "s.infolens",
                                           "figure.png"};

infolens::LiveResult resultOf(int version) {
    infolens::LiveResult r;
    r.prompt = "version " + std::to_string(version);
    r.mapWidth = 1;
    r.mapHeight = 1;
    r.drawsDone = version;
    r.mi.text = r.prompt;
    r.mi.span = {0, static_cast<int>(r.prompt.size()), true};
    r.mi.bits = version;
    r.mi.map = {static_cast<float>(version)};
    return r;
}

// Writes version `version` of every target into `dir` through the app's write paths.
void writeVersion(const std::string& dir, int version) {
    const auto at = [&](const std::string& name) { return (fs::path(dir) / name).string(); };
    infolens::writeNpyFloat32(at("maps.npy"),
                              std::vector<float>(kNpyFloats, static_cast<float>(version)),
                              {static_cast<std::int64_t>(kNpyFloats)});
    infolens::writeValuesCsv(at("values.csv"), resultOf(version));
    infolens::writeValuesJson(at("values.json"), resultOf(version), nlohmann::json::object());
    infolens::SessionState session;
    session.prompt = "version " + std::to_string(version);
    session.seed = static_cast<std::uint64_t>(version);
    infolens::saveSession(at("s.infolens"), session);
    infolens::writeFileAtomically(
        at("figure.png"),
        std::string(kRawBytes, static_cast<char>('a' + version % 26)) + std::to_string(version));
}

// The version a file claims to be (read from its content), or -1.
int claimedVersion(const std::string& path, const std::string& name) {
    if (name == "maps.npy")
        return static_cast<int>(infolens::readNpyFloat32(path).values.at(0));
    const std::vector<unsigned char> bytes = readBytes(path);
    const std::string text(bytes.begin(), bytes.end());
    const std::string key = name == "figure.png" ? "" : "version ";
    const auto at = name == "figure.png" ? kRawBytes : text.find(key);
    if (at == std::string::npos || at >= text.size())
        return -1;
    return std::atoi(text.c_str() + at + key.size());
}

std::vector<std::string> temporariesIn(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (infolens::isAtomicTemporaryName(name))
            names.push_back(name);
    }
    return names;
}

bool namedForPid(const std::string& name, pid_t pid) {
    return name.find(".infolens-tmp-" + std::to_string(pid) + "-") != std::string::npos;
}

}  // namespace

TEST_CASE("kill -9 during exports leaves complete files and only the dead writer's temporaries",
          "[io][crash]") {
    TempDir dir, reference;
    std::mt19937 rng(13);
    int killsWithTemporaries = 0;
    std::map<std::string, bool> everWritten;
    for (int round = 0; round < 8; ++round) {
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            // The child rewrites everything until it is killed (or gives up after a minute).
            const auto until = std::chrono::steady_clock::now() + std::chrono::minutes(1);
            for (int v = round * 1000; std::chrono::steady_clock::now() < until; ++v)
                writeVersion(dir.path(), v);
            ::_exit(0);
        }
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::uniform_int_distribution<int>(30, 400)(rng)));
        REQUIRE(::kill(child, SIGKILL) == 0);
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        REQUIRE(WIFSIGNALED(status));

        for (const std::string& name : kTargets) {
            const std::string path = dir.file(name);
            if (!fs::exists(path)) {
                CHECK_FALSE(everWritten[name]);  // a file once complete never disappears
                continue;
            }
            everWritten[name] = true;
            const int version = claimedVersion(path, name);
            INFO(name << " claims version " << version);
            REQUIRE(version >= 0);
            // Exactly the bytes the writer produces for that version.
            writeVersion(reference.path(), version);
            CHECK(readBytes(path) == readBytes(reference.file(name)));
        }
        const std::vector<std::string> left = temporariesIn(dir.path());
        for (const std::string& name : left) {
            INFO(name);
            CHECK(namedForPid(name, child));
        }
        CHECK(left.size() <= 1);  // one file at a time is being written
        killsWithTemporaries += left.empty() ? 0 : 1;
    }
    // The kills did land mid-write (otherwise this test proves nothing).
    CHECK(killsWithTemporaries >= 1);
    for (const std::string& name : kTargets)
        CHECK(everWritten[name]);

    // "The next start": a new process's first write into the folder removes the leftovers.
    const pid_t next = ::fork();
    REQUIRE(next >= 0);
    if (next == 0) {
        try {
            infolens::writeFileAtomically(dir.file("next.txt"), "next start\n");
        } catch (...) {
            ::_exit(1);
        }
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(next, &status, 0) == next);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(temporariesIn(dir.path()).empty());
}

TEST_CASE("stale temporaries: dead or day-old writers go, living writers and other files stay",
          "[io][crash]") {
    TempDir dir;
    // A pid that is certainly dead: a child we reaped.
    const pid_t dead = ::fork();
    REQUIRE(dead >= 0);
    if (dead == 0)
        ::_exit(0);
    REQUIRE(::waitpid(dead, nullptr, 0) == dead);
    const std::string self = std::to_string(::getpid());
    const std::string deadName = ".a.npy.infolens-tmp-" + std::to_string(dead) + "-1";
    const std::string liveName = ".b.npy.infolens-tmp-" + self + "-2";
    const std::string oldName = ".c.npy.infolens-tmp-" + self + "-3";
    const std::vector<std::string> keep = {liveName, "plain.npy", ".x.infolens-tmp-abc-1",
                                           ".y.infolens-tmp-" + std::to_string(dead) + "-",
                                           "z.npy.tmp-" + std::to_string(dead) + "-1"};
    for (const std::string& name : keep)
        writeBytes(dir.file(name), {1, 2, 3});
    writeBytes(dir.file(deadName), {1});
    writeBytes(dir.file(oldName), {1});
    const auto dayAndAnHourAgo =
        fs::file_time_type::clock::now() - std::chrono::hours(infolens::kStaleTemporaryHours + 1);
    fs::last_write_time(dir.file(oldName), dayAndAnHourAgo);

    CHECK(infolens::isAtomicTemporaryName(deadName));
    CHECK_FALSE(infolens::isAtomicTemporaryName("plain.npy"));
    CHECK(infolens::removeStaleTemporaries(dir.path()) == 2);
    CHECK_FALSE(fs::exists(dir.file(deadName)));
    CHECK_FALSE(fs::exists(dir.file(oldName)));
    for (const std::string& name : keep) {
        INFO(name);
        CHECK(fs::exists(dir.file(name)));
    }
    CHECK(infolens::removeStaleTemporaries(dir.file("missing-folder")) == 0);
}

TEST_CASE("atomic writes name their temporaries for the cleanup and leave none behind",
          "[io][crash]") {
    TempDir dir;
    infolens::writeFileAtomically(dir.file("out.csv"), "a,b\n");
    CHECK(temporariesIn(dir.path()).empty());
    CHECK(readBytes(dir.file("out.csv")) == std::vector<unsigned char>{'a', ',', 'b', '\n'});
}
