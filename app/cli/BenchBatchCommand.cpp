#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "Args.h"
#include "BatchComm.h"
#include "Commands.h"
#include "infolens/Error.h"

namespace infolens::cli {

namespace {

namespace fs = std::filesystem;

std::string shellQuote(const std::string& s) {
    std::string out = "'";
    for (const char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string loadAverage() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

double childCpuSeconds() {
    rusage usage{};
    ::getrusage(RUSAGE_CHILDREN, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
           1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

struct Timing {
    double wall = 0.0;
    double cpu = 0.0;  // user + system of the command and its children
};

// Wall and CPU seconds the shell command takes; throws when it fails. On a shared machine the wall
// time depends on the other load; the CPU time shows the work itself.
Timing timed(const std::string& command) {
    const double cpuStart = childCpuSeconds();
    const auto start = std::chrono::steady_clock::now();
    const int status = std::system(command.c_str());
    if (status != 0)
        throw Error("bench-batch: '" + command + "' failed with status " + std::to_string(status));
    return {std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
            childCpuSeconds() - cpuStart};
}

}  // namespace

int benchBatchCommand(int argc, char** argv) {
    Args args("bench-batch",
              "Items per second of 'batch' (task maps) on 1 and on 2 processes with 1 LibTorch "
              "thread each, and the\n"
              "parallel efficiency rate(2) / (2 rate(1)). Two processes run under mpirun when this "
              "build has MPI and\n"
              "mpirun is on PATH, else as two concurrent --shard i/2 processes. Times are whole "
              "commands (process\n"
              "start and model load included).",
              {{"model", "M", "model", "default"},
               {"items", "N", "manifest items (the bundled samples, repeated with new ids)", "24"},
               {"samples", "S", "log-SNR draws per item", "32"},
               {"samples-dir", "DIR", "folder of NNNN.png + NNNN.txt samples", "resources/samples"},
               {"json", "", "print JSON (the only output format)", ""}});
    if (!args.parse(argc, argv))
        return 0;
    const int items = args.integer("items", 2, 100000);
    const int samples = args.integer("samples", 1, 1 << 20);
    const fs::path samplesDir = args.text("samples-dir");
    std::vector<fs::path> pngs;
    for (int i = 0; fs::exists(samplesDir / (std::to_string(10000 + i).substr(1) + ".png")); ++i)
        pngs.push_back(samplesDir / (std::to_string(10000 + i).substr(1) + ".png"));
    if (pngs.empty())
        throw UsageError("no samples (0000.png, 0000.txt, ...) in '" + samplesDir.string() + "'");

    char pattern[] = "/tmp/infolens-bench-batch-XXXXXX";
    const fs::path work = ::mkdtemp(pattern);
    {
        std::ofstream manifest(work / "manifest.jsonl");
        for (int i = 0; i < items; ++i) {
            const fs::path png = fs::absolute(pngs[static_cast<std::size_t>(i) % pngs.size()]);
            fs::path txt = png;
            txt.replace_extension(".txt");
            std::ifstream caption(txt);
            std::string prompt;
            std::getline(caption, prompt);
            manifest << nlohmann::json{{"id", "item-" + std::to_string(i)},
                                       {"image", png.string()},
                                       {"prompt", prompt}}
                            .dump()
                     << "\n";
        }
    }
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    const std::string common = " batch --quiet --threads 1 --task maps --model " +
                               shellQuote(args.text("model")) + " --samples " +
                               std::to_string(samples) + " --manifest " +
                               shellQuote((work / "manifest.jsonl").string());
    const std::string loadBefore = loadAverage();
    const Timing t1 = timed(shellQuote(self) + common + " --out " +
                            shellQuote((work / "one").string()) + " >/dev/null 2>&1");
    const bool mpi = batchHasMpi() && std::system("command -v mpirun >/dev/null 2>&1") == 0;
    std::string two;
    if (mpi) {
        two =
            "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 "
            "--oversubscribe --bind-to none --mca btl self,vader " +
            shellQuote(self) + common + " --out " + shellQuote((work / "two").string());
    } else {
        const std::string out = " --out " + shellQuote((work / "two").string());
        two = "(" + shellQuote(self) + common + out + " --shard 0/2 & " + shellQuote(self) +
              common + out + " --shard 1/2 & wait)";
    }
    const Timing t2 = timed(two + " >/dev/null 2>&1");
    const std::string loadAfter = loadAverage();
    std::error_code ec;
    fs::remove_all(work, ec);
    const double r1 = items / t1.wall, r2 = items / t2.wall;
    const nlohmann::json j = {{"items", items},
                              {"samples", samples},
                              {"model", args.text("model")},
                              {"threads_per_process", 1},
                              {"two_process_mode", mpi ? "mpirun -np 2" : "--shard 0/2 and 1/2"},
                              {"seconds_1", t1.wall},
                              {"seconds_2", t2.wall},
                              // CPU work of one process over that of two: below 1 by what
                              // splitting costs (a second model load, MPI start-up), whatever
                              // else the machine is doing.
                              {"cpu_seconds_1", t1.cpu},
                              {"cpu_seconds_2", t2.cpu},
                              {"work_efficiency_2", t1.cpu / t2.cpu},
                              {"items_per_s_1", r1},
                              {"items_per_s_2", r2},
                              {"efficiency_2", r2 / (2 * r1)},
                              {"cores", std::thread::hardware_concurrency()},
                              {"load_average_before", loadBefore},
                              {"load_average_after", loadAfter}};
    std::cout << j.dump(2) << "\n";
    return 0;
}

}  // namespace infolens::cli
