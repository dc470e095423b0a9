// The real `infolens` binary with a real argv: a session file opens as a positional argument (as a
// double-click passes it), through --open-session and through --session, which QGuiApplication
// would otherwise consume for X11 session management; an image given positionally opens as the
// image. --print-state reports what the window opened once the model is ready.
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "TestFiles.h"
#include "infolens/io/SessionFile.h"

#include <catch2/catch.hpp>

namespace {

// stdout only: the app writes its state there and diagnostics on stderr.
CommandResult runApp(const std::string& arguments) {
    return runCommand(std::string("QT_QPA_PLATFORM=offscreen ") + INFOLENS_APP +
                      " --fresh-layout --print-state " + arguments + " 2>/dev/null");
}

nlohmann::json stateOf(const std::string& arguments) {
    const CommandResult run = runApp(arguments);
    INFO("infolens " << arguments << "\n" << run.output);
    REQUIRE(run.status == 0);
    return nlohmann::json::parse(run.output);
}

const std::string kSamples = std::string(INFOLENS_SOURCE_DIR) + "/resources/samples/";

}  // namespace

TEST_CASE("a session opens from a positional argument, --open-session and --session", "[app]") {
    TempDir dir;
    infolens::SessionState session;
    session.modelSpec = "default";
    session.imagePath = kSamples + "0003.png";
    session.prompt = "a red circle";
    session.seed = 7;
    session.sampleCap = 64;
    const std::string path = dir.file("my session.infolens");
    infolens::saveSession(path, session);
    const std::string quoted = "'" + path + "'";
    for (const std::string& form : {quoted, "--open-session " + quoted, "--session " + quoted,
                                    "--session=" + quoted, "-session " + quoted}) {
        const nlohmann::json state = stateOf(form);
        INFO(form << " -> " << state.dump());
        CHECK(state["model_state"] == "ready");
        CHECK(state["session"] == path);
        CHECK(state["prompt"] == "a red circle");
        CHECK(state["image"] == kSamples + "0003.png");
        CHECK(state["estimation_seed"] == "7");
        CHECK(state["sample_cap"] == 64);
        CHECK(state["last_error"] == "");
    }
}

TEST_CASE("an image given as the positional argument opens as the image", "[app]") {
    const nlohmann::json state = stateOf(kSamples + "0004.png --prompt 'a blue square'");
    CHECK(state["image"] == kSamples + "0004.png");
    CHECK(state["session"] == "");
    CHECK(state["prompt"] == "a blue square");
}

TEST_CASE("a missing session is reported, not ignored", "[app]") {
    TempDir dir;
    const nlohmann::json state = stateOf("--session " + dir.file("none.infolens"));
    CHECK(state["session"] == "");
    CHECK(state["last_error"].get<std::string>().find("none.infolens") != std::string::npos);
}
