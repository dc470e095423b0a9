#include <cctype>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "Args.h"
#include "Commands.h"
#include "ModelOptions.h"
#include "infolens/Error.h"
#include "infolens/io/ImageIO.h"
#include "infolens/live/LiveWorker.h"
#include "infolens/models/BuiltinFamilies.h"

// `soak`: many rapid edits through the app's LiveWorker, checking the worker's promises (the
// latest request wins, one final result per burst, nothing after destruction) and watching the
// resident memory for leaks (issue 13).
namespace infolens::cli {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kEditsPerRssSample = 100;
constexpr double kRssGoalMbPer100Edits = 1.0;

// Resident memory of this process in MiB (VmRSS), or -1 where /proc is missing.
double residentMb() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stod(line.substr(6)) / 1024.0;  // reported in kB
    }
    return -1.0;
}

// The words the model knows: vocab.txt of its bundle when there is one, else the words of its
// sample prompt, else a few plain words.
std::vector<std::string> vocabularyOf(const ModelSummary& model) {
    std::vector<std::string> words;
    std::ifstream vocab(std::filesystem::path(model.directory) / "vocab.txt");
    for (std::string w; std::getline(vocab, w);) {
        if (!w.empty() && std::isalpha(static_cast<unsigned char>(w[0])))
            words.push_back(w);
    }
    if (words.empty()) {
        std::istringstream prompt(model.samplePrompt);
        for (std::string w; prompt >> w;)
            words.push_back(w);
    }
    if (words.empty())
        words = {"a", "red", "circle", "above", "blue", "square"};
    return words;
}

struct LineFit {
    double slope = 0;
    double slopeSe = 0;  // ordinary least squares; NaN with fewer than 3 points
};

// Least-squares line of y over x. The SE assumes independent residuals; RSS samples are not
// (a level persists until a model reload), so it is a lower bound on the true uncertainty.
LineFit fitLine(const std::vector<double>& x, const std::vector<double>& y) {
    LineFit fit;
    const std::size_t n = x.size();
    if (n < 2)
        return fit;
    double mx = 0, my = 0;
    for (std::size_t i = 0; i < n; ++i) {
        mx += x[i] / static_cast<double>(n);
        my += y[i] / static_cast<double>(n);
    }
    double sxx = 0, sxy = 0;
    for (std::size_t i = 0; i < n; ++i) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    if (sxx == 0)
        return fit;
    fit.slope = sxy / sxx;
    if (n < 3) {
        fit.slopeSe = std::numeric_limits<double>::quiet_NaN();
        return fit;
    }
    double sse = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double r = y[i] - my - fit.slope * (x[i] - mx);
        sse += r * r;
    }
    fit.slopeSe = std::sqrt(sse / static_cast<double>(n - 2) / sxx);
    return fit;
}

// What the callbacks saw, guarded by `mutex`.
struct Observed {
    std::mutex mutex;
    std::condition_variable changed;
    std::map<std::uint64_t, int> finals;    // per generation of the current worker
    std::uint64_t lastFinalGeneration = 0;  // the latest final seen
    std::uint64_t newestGeneration = 0;     // newest generation seen in any result
    std::vector<std::string> violations;
    int results = 0;
    int staleFinals = 0;  // finals of a superseded generation (one may be in flight at submit)
    int errors = 0;
};

}  // namespace

int soakCommand(int argc, char** argv) {
    Args args("soak",
              "Rapid edits through the app's LiveWorker (random prompts from the model's "
              "vocabulary, random word modes,\n"
              "random bursts and cancellations; the worker is destroyed and recreated a few "
              "times, once mid-computation).\n"
              "Checks: exactly one final result per burst, of its latest generation, and "
              "nothing after it; no callback after\n"
              "the worker's destructor returned. Resident memory (VmRSS) is sampled every 100 "
              "edits; the growth per 100\n"
              "edits after the warm-up is reported with its least-squares SE (goal <= 1 MB). "
              "Exit 1 when an invariant "
              "broke.",
              withModelOptions({{"edits", "N", "edits (submits) in all", "1000"},
                                {"cap", "S", "draws per request at most (small: many finals)", "8"},
                                {"max-burst", "B", "edits per burst at most", "5"},
                                {"workers", "W", "workers created one after another", "4"},
                                {"warmup", "N", "edits before memory growth is measured", "200"},
                                {"seed", "N", "seed of the random edits", "1"},
                                {"timeout", "S", "seconds a burst may take to its final", "120"},
                                {"json", "", "print JSON (the only output format)", ""}}));
    if (!args.parse(argc, argv))
        return 0;
    const int edits = args.integer("edits", 1, 10'000'000);
    const int cap = args.integer("cap", 1, 1 << 20);
    const int maxBurst = args.integer("max-burst", 1, 1000);
    const int workers = args.integer("workers", 1, 1000);
    const int warmup = args.integer("warmup", 0, 10'000'000);
    const int timeoutS = args.integer("timeout", 1, 86400);
    std::mt19937_64 rng(args.unsignedInteger("seed"));
    auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

    Observed seen;
    // Index of the worker whose callbacks may run; -1 between a destructor and the next worker.
    std::atomic<int> liveWorker{-1};
    std::atomic<int> callbacksAfterDestruction{0};
    const Clock::time_point start = Clock::now();

    std::vector<double> rssEdits, rssMb;
    std::shared_ptr<const Image> image;
    std::vector<std::string> vocabulary;
    ModelSummary model;
    int done = 0, bursts = 0, cancellations = 0, destroyedBusy = 0;
    std::uint64_t sessionSeed = rng();
    const int editsPerWorker = (edits + workers - 1) / workers;
    int workerIndex = 0;

    auto note = [&](const std::string& v) {
        if (seen.violations.size() < 50)
            seen.violations.push_back(v);
    };

    while (done < edits) {
        {
            std::lock_guard<std::mutex> lock(seen.mutex);
            seen.finals.clear();
            seen.lastFinalGeneration = 0;
            seen.newestGeneration = 0;
        }
        const int index = workerIndex++;
        liveWorker.store(index);
        auto onResult = [&, index](std::shared_ptr<const LiveResult> r) {
            if (liveWorker.load() != index) {
                ++callbacksAfterDestruction;
                return;
            }
            std::lock_guard<std::mutex> lock(seen.mutex);
            ++seen.results;
            seen.newestGeneration = std::max(seen.newestGeneration, r->generation);
            // Anything for a generation at or before the latest final: a duplicate final, or a
            // superseded result delivered after the newer one.
            if (r->generation <= seen.lastFinalGeneration) {
                if (seen.violations.size() < 50)
                    seen.violations.push_back(
                        "result of generation " + std::to_string(r->generation) +
                        " after the final of " + std::to_string(seen.lastFinalGeneration));
            }
            if (r->finished || !r->error.empty()) {
                ++seen.finals[r->generation];
                seen.lastFinalGeneration = std::max(seen.lastFinalGeneration, r->generation);
                if (!r->error.empty())
                    ++seen.errors;
            }
            seen.changed.notify_all();
        };
        auto worker = std::make_unique<LiveWorker>(
            builtinRegistry(), modelSpec(args), onResult, LiveWorker::GenerateCallback{}, 100,
            LiveWorker::ModelCallback{},
            ModelPlacementChoice{deviceOption(args), dtypeOption(args)});
        if (index == 0) {
            model = worker->model();
            if (model.imageWidth <= 0 || model.imageHeight <= 0 || model.sampleImage.empty())
                throw Error("soak: the model '" + model.name + "' has no sample image");
            image = std::make_shared<const Image>(
                fitImage(loadImage(model.sampleImage), model.imageWidth, model.imageHeight));
            vocabulary = vocabularyOf(model);
            rssEdits.push_back(0);
            rssMb.push_back(residentMb());
        } else {
            worker->model();
        }

        const int stopAt = std::min(edits, done + editsPerWorker);
        while (done < stopAt) {
            const int burst = std::min(uniform(1, maxBurst), stopAt - done);
            if (uniform(0, 19) == 0)
                sessionSeed = rng();
            std::uint64_t latest = 0;
            for (int e = 0; e < burst; ++e) {
                std::string prompt;
                const int length = uniform(1, 8);
                for (int w = 0; w < length; ++w)
                    prompt += (w ? " " : "") +
                              vocabulary[uniform(0, static_cast<int>(vocabulary.size()) - 1)];
                const PromptAnalysis analysis = worker->analyze(prompt);
                LiveRequest request;
                request.prompt = prompt;
                request.image = image;
                for (std::size_t w = 0; w < analysis.words.size(); ++w)
                    request.modes.push_back(uniform(0, 1) ? WordMode::Placeholder : WordMode::Omit);
                request.sampleCap = cap;
                request.minDraws = std::min(request.minDraws, cap);
                // As in the app: one seed for many edits (the prediction cache is kept across
                // them), now and then a new one.
                request.seed = sessionSeed;
                request.iidSampler = uniform(0, 3) == 0;
                latest = worker->submit(std::move(request));
                ++done;
                // A cancellation between edits of a burst: the next edit must still win.
                if (e + 1 < burst && uniform(0, 5) == 0) {
                    worker->cancelMaps();
                    ++cancellations;
                }
                if (uniform(0, 2) == 0)
                    std::this_thread::sleep_for(std::chrono::milliseconds(uniform(0, 3)));
                if (done % kEditsPerRssSample == 0) {
                    rssEdits.push_back(done);
                    rssMb.push_back(residentMb());
                }
            }
            ++bursts;
            std::unique_lock<std::mutex> lock(seen.mutex);
            const bool arrived = seen.changed.wait_for(lock, std::chrono::seconds(timeoutS), [&] {
                return seen.finals.count(latest) > 0;
            });
            if (!arrived) {
                note("no final result for generation " + std::to_string(latest) + " within " +
                     std::to_string(timeoutS) + " s");
                break;
            }
            for (const auto& [generation, count] : seen.finals) {
                if (count > 1)
                    note(std::to_string(count) + " final results for generation " +
                         std::to_string(generation));
                if (generation != latest)
                    ++seen.staleFinals;
            }
            if (seen.newestGeneration > latest)
                note("a result of generation " + std::to_string(seen.newestGeneration) +
                     " that was never submitted (latest " + std::to_string(latest) + ")");
            // A second final for `latest` would come after it: onResult reports that.
            seen.finals.clear();
        }
        // Half the time the worker dies mid-computation: its destructor must stop the run and
        // no callback may follow.
        if (done < edits || index % 2 == 1) {
            LiveRequest busy;
            busy.prompt = vocabulary.front();
            busy.image = image;
            busy.sampleCap = 1 << 12;
            worker->submit(std::move(busy));
            std::this_thread::sleep_for(std::chrono::milliseconds(uniform(0, 30)));
            ++destroyedBusy;
        }
        worker.reset();
        liveWorker.store(-1);
        // A callback racing the destructor would land here, after it returned.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        std::lock_guard<std::mutex> lock(seen.mutex);
        if (!seen.violations.empty())
            break;
    }

    // Growth after the warm-up: the slope of VmRSS over the samples taken after it.
    std::vector<double> x, y;
    for (std::size_t i = 0; i < rssEdits.size(); ++i) {
        if (rssEdits[i] >= warmup) {
            x.push_back(rssEdits[i]);
            y.push_back(rssMb[i]);
        }
    }
    const bool measured = x.size() >= 2;
    const LineFit fit = fitLine(x, y);
    const double growthPer100 = measured ? fit.slope * kEditsPerRssSample : 0.0;
    const double growthSe = fit.slopeSe * kEditsPerRssSample;
    if (callbacksAfterDestruction.load() > 0)
        note(std::to_string(callbacksAfterDestruction.load()) +
             " callbacks after the worker's destructor returned");
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    nlohmann::json out = {
        {"edits", done},
        {"bursts", bursts},
        {"workers", workerIndex},
        {"workers_destroyed_while_busy", destroyedBusy},
        {"cancellations", cancellations},
        {"results_received", seen.results},
        {"stale_finals_in_flight", seen.staleFinals},
        {"request_errors", seen.errors},
        {"callbacks_after_destruction", callbacksAfterDestruction.load()},
        {"sample_cap", cap},
        {"rss_mb_every_100_edits", rssMb},
        {"rss_sample_edits", rssEdits},
        {"warmup_edits", warmup},
        {"rss_growth_mb_per_100_edits", measured ? nlohmann::json(growthPer100) : nlohmann::json()},
        {"rss_growth_se_mb_per_100_edits",
         measured && std::isfinite(growthSe) ? nlohmann::json(growthSe) : nlohmann::json()},
        {"rss_goal_mb_per_100_edits", kRssGoalMbPer100Edits},
        {"rss_goal_met",
         measured ? nlohmann::json(growthPer100 <= kRssGoalMbPer100Edits) : nlohmann::json()},
        {"violations", seen.violations},
        {"ok", seen.violations.empty() && seen.errors == 0},
        {"elapsed_s", seconds},
        {"model", model.name},
        {"device", model.deviceName},
        {"dtype", model.dtype}};
    if (seen.errors > 0)
        out["violations"].push_back(std::to_string(seen.errors) + " requests failed");
    std::cout << out.dump(2) << "\n";
    return out["ok"].get<bool>() ? 0 : 1;
}

}  // namespace infolens::cli
