#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "Args.h"
#include "BatchComm.h"
#include "BatchManifest.h"
#include "BatchRunner.h"
#include "Commands.h"
#include "ModelOptions.h"
#include "infolens/Error.h"
#include "infolens/model/Model.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/models/BuiltinFamilies.h"

namespace infolens::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Shard {
    int index = 0;
    int count = 1;
};

Shard parseShard(const std::string& text) {
    const std::size_t slash = text.find('/');
    try {
        if (slash != std::string::npos) {
            Shard s{std::stoi(text.substr(0, slash)), std::stoi(text.substr(slash + 1))};
            if (s.count >= 1 && s.index >= 0 && s.index < s.count)
                return s;
        }
    } catch (const std::exception&) {
    }
    throw UsageError("--shard must be i/n with 0 <= i < n, not '" + text + "'");
}

// --device cuda under mpirun: the rank's own GPU among this node's.
std::string rankDevice(const std::string& device, const BatchComm& comm) {
    if (device != "cuda" || comm.size() == 1 || !torch::cuda::is_available())
        return device;
    const int gpus = static_cast<int>(torch::cuda::device_count());
    return "cuda:" + std::to_string(comm.localRank() % std::max(1, gpus));
}

class Progress {
  public:
    Progress(std::int64_t total, std::int64_t skipped, bool quiet)
        : m_total(total), m_skipped(skipped), m_quiet(quiet), m_start(Clock::now()) {}
    void report(std::int64_t done) const {
        if (m_quiet)
            return;
        const double seconds = std::chrono::duration<double>(Clock::now() - m_start).count();
        const std::int64_t computed = std::max<std::int64_t>(0, done - m_skipped);
        const double rate = seconds > 0 ? computed / seconds : 0.0;
        std::fprintf(
            stderr, "batch: %lld/%lld items, %.2f items/s, ETA %s\n", static_cast<long long>(done),
            static_cast<long long>(m_total), rate,
            rate > 0
                ? (std::to_string(static_cast<long long>((m_total - done) / rate)) + " s").c_str()
                : "?");
    }
    double seconds() const { return std::chrono::duration<double>(Clock::now() - m_start).count(); }

  private:
    std::int64_t m_total;
    std::int64_t m_skipped;
    bool m_quiet;
    Clock::time_point m_start;
};

}  // namespace

int batchCommand(int argc, char** argv) {
    Args args(
        "batch",
        "Runs one task over every item of a JSON Lines manifest and writes one folder per item\n"
        "(DIR/items/<id>/) plus DIR/results.jsonl and DIR/results.csv in manifest order, every "
        "number\n"
        "with its standard error and provenance. Manifest lines: {\"id\"?, \"image\" (relative to "
        "the\n"
        "manifest's folder), \"prompt\", \"words\"? (to decompose; default all), \"captions\"? "
        "(rank),\n"
        "\"word\"? (intervene)}. Each item's seed derives from --seed and its id only, so results "
        "are\n"
        "identical on any number of processes, in any order, after any restart. Finished items are "
        "\n"
        "skipped on a rerun. Under mpirun (built with -DINFOLENS_WITH_MPI=ON) ranks take items as "
        "they\n"
        "become free and rank 0 merges; without MPI, --shard i/n takes items with index % n == i "
        "and\n"
        "the shard that finds all items done (or --merge-only) merges. Exit code: 0 when every "
        "line ran,\n"
        "1 when any line failed (bad manifest line or item error, each in results.jsonl with "
        "\"error\").",
        withModelOptions(
            {{"manifest", "FILE", "JSON Lines manifest", ""},
             {"out", "DIR", "output folder", ""},
             {"task", "maps|values|rank|intervene", "what to compute per item", "maps"},
             {"samples", "S", "log-SNR draws per item", "256"},
             {"seed", "N", "run seed (mixed with each item's id)", "0"},
             {"sampler", "iid|stratified", "log-SNR sampler", "stratified"},
             {"steps", "N", "intervene: DDIM steps (1-50)", "50"},
             {"shard", "i/n", "without MPI: run items with index % n == i", "0/1"},
             {"threads", "T", "LibTorch threads per process (default: cores / processes per node)",
              ""},
             {"merge-only", "", "only write results.jsonl and results.csv", ""},
             {"quiet", "", "no progress on stderr", ""}}));
    if (!args.parse(argc, argv))
        return 0;
    args.require("manifest");
    args.require("out");
    BatchSettings settings;
    settings.task = batchTaskFromString(args.text("task"));
    settings.samples = args.integer("samples", 1, 1 << 22);
    settings.seed = args.unsignedInteger("seed");
    settings.sampler = samplerKindFromString(args.text("sampler"));
    settings.steps = args.integer("steps", 1, 50);
    settings.outDir = args.text("out");
    const Shard shard = parseShard(args.text("shard"));
    const bool quiet = args.flag("quiet");

    const Manifest manifest = readManifest(args.text("manifest"), settings.task);
    fs::create_directories(settings.outDir);
    if (args.flag("merge-only")) {
        const int errors = mergeBatchResults(manifest, settings.outDir);
        std::cerr << "merged " << manifest.order.size() << " lines into " << settings.outDir
                  << "/results.jsonl and results.csv; " << errors << " with errors\n";
        return errors > 0 ? 1 : 0;
    }

    const std::unique_ptr<BatchComm> comm = makeBatchComm();
    if (comm->size() > 1 && shard.count > 1)
        throw UsageError("--shard splits items without MPI; under mpirun ranks share them");
    const bool lead = comm->rank() == 0;
    if (lead) {
        for (const ManifestProblem& p : manifest.problems)
            std::cerr << args.text("manifest") << ":" << p.line << ": " << p.message << "\n";
    }
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(args.has("threads") ? args.integer("threads", 1, 1024)
                                               : std::max(1, cores / comm->size()));

    const std::int64_t total = static_cast<std::int64_t>(manifest.items.size());
    // Progress counts this shard's items (all items under MPI, where rank 0 sees every rank's).
    std::int64_t mine = 0;
    std::int64_t skipped = 0;
    for (std::int64_t i = shard.index; i < total; i += shard.count) {
        ++mine;
        skipped += itemComplete(settings.outDir, manifest.items[static_cast<std::size_t>(i)].id);
    }
    Progress progress(mine, skipped, quiet || !lead);

    std::unique_ptr<BatchWorker> worker;
    int failures = 0;
    std::int64_t computed = 0;
    std::int64_t localDone = 0;
    std::int64_t next = comm->size() > 1 ? comm->nextIndex() : shard.index;
    while (next < total) {
        const BatchItem& item = manifest.items[static_cast<std::size_t>(next)];
        if (!itemComplete(settings.outDir, item.id)) {
            if (!worker) {
                // Loaded on the first item that needs it: a resumed, finished run loads nothing.
                worker = std::make_unique<BatchWorker>(builtinRegistry().load(
                    modelSpec(args),
                    parsePlacement(rankDevice(deviceOption(args), *comm), dtypeOption(args))));
            }
            std::string error;
            if (!runBatchItem(*worker, item, settings, error)) {
                ++failures;
                std::cerr << args.text("manifest") << ":" << item.line << ": item '" << item.id
                          << "' failed: " << error << "\n";
            }
            ++computed;
        }
        comm->itemDone();
        ++localDone;
        if (lead)
            progress.report(comm->size() > 1 ? comm->doneCount() : localDone);
        next = comm->size() > 1 ? comm->nextIndex() : next + shard.count;
    }
    comm->waitAll([&] { progress.report(comm->doneCount()); }, 2000);

    int code = 0;
    if (lead) {
        bool allDone = true;
        for (const BatchItem& item : manifest.items)
            allDone =
                allDone && (itemComplete(settings.outDir, item.id) ||
                            fs::exists(fs::path(settings.outDir) / "failed" / (item.id + ".json")));
        if (allDone) {
            const int errors = mergeBatchResults(manifest, settings.outDir);
            std::error_code ec;
            fs::remove_all(fs::path(settings.outDir) / ".partial", ec);
            code = errors > 0 ? 1 : 0;
            std::cerr << "batch: " << total << " items (" << computed << " computed here, "
                      << skipped << " already done) on " << comm->size() << " process"
                      << (comm->size() > 1 ? "es" : "") << " in " << progress.seconds() << " s; "
                      << errors << " of " << manifest.order.size() << " lines with errors; wrote "
                      << settings.outDir << "/results.jsonl and results.csv\n";
        } else {
            // A shard that is not the last to finish: another shard (or --merge-only) merges.
            code = failures > 0 ? 1 : 0;
            std::cerr << "batch: shard " << shard.index << "/" << shard.count << " done ("
                      << computed << " computed, " << failures << " failed); other shards "
                      << "still running, so results are merged by the last one or --merge-only\n";
        }
    }
    return comm->broadcast(code);
}

}  // namespace infolens::cli
