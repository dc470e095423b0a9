#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "Args.h"
#include "Commands.h"
#include "ModelOptions.h"
#include "Statistics.h"
#include "infolens/Error.h"
#include "infolens/io/ImageIO.h"
#include "infolens/live/LiveWorker.h"
#include "infolens/model/Model.h"
#include "infolens/models/BuiltinFamilies.h"

namespace infolens::cli {

namespace {

using Clock = std::chrono::steady_clock;

// Each repeat edits one word (a colour), as a user would, so the new conditions' text encodings
// are not already cached.
const char* const kColours[] = {"red",  "green", "blue",  "yellow", "purple", "orange",
                                "pink", "cyan",  "white", "black",  "brown",  "grey"};

// Why an edit ended at the cap: each word whose SE was still above what the stopping rule
// allows (the larger of target x |value| and the absolute floor), so a reader can tell a word
// near zero (large relative SE, tiny absolute SE) from a heavy-tailed one.
nlohmann::json unconvergedWords(const LiveResult& result, const LiveRequest& request) {
    nlohmann::json words = nlohmann::json::array();
    std::vector<const WordResult*> rows{&result.mi};
    for (const WordResult& w : result.words)
        rows.push_back(&w);
    for (const WordResult* row : rows) {
        const WordResult& w = *row;
        if (w.converged)
            continue;
        const double allowed =
            std::max(request.targetRelativeSe * std::abs(w.bits), request.absoluteSeFloorBits);
        words.push_back({{"word", row == &result.mi ? std::string("(MI, whole prompt)") : w.text},
                         {"bits", w.bits},
                         {"se_bits", w.seBits},
                         {"relative_se", w.bits != 0.0 ? w.seBits / std::abs(w.bits) : 0.0},
                         {"allowed_se_bits", allowed},
                         {"draws", w.draws},
                         {"reason", w.seBits > allowed
                                        ? "SE above the allowed SE at the cap"
                                        : "SE within the allowed SE at the last check only; the "
                                          "rule needs two consecutive passes"}});
    }
    return {{"prompt", result.prompt}, {"draws", result.drawsDone}, {"unconverged", words}};
}

}  // namespace

int benchLatencyCommand(int argc, char** argv) {
    Args args("bench-latency",
              "Time from a prompt edit to the first progressive map and to the converged map "
              "(every word's SE\n"
              "within --target of its value, or --cap draws), through the same LiveWorker path "
              "as the app.\n"
              "Medians over repeats; each repeat changes one colour word of the template. An edit "
              "that ends at\n"
              "the cap is listed under at_cap with each unconverged word's value, SE and the SE "
              "the rule allows.",
              withModelOptions(
                  {{"image", "F", "image (default: the model's sample image)", ""},
                   {"template", "TEXT", "prompt with {0} and {1} for two colour words",
                    "a small {0} circle above a {1} square"},
                   {"cap", "S", "draws at most (the app's default)", "128"},
                   {"target", "X", "relative SE at which a word counts as converged", "0.05"},
                   {"repeats", "R", "edits timed (medians reported)", "7"},
                   {"json", "", "print JSON (the only output format)", ""}}));
    if (!args.parse(argc, argv))
        return 0;
    const int repeats = args.integer("repeats", 1, 1000);

    std::mutex mutex;
    std::condition_variable changed;
    std::shared_ptr<const LiveResult> latest;
    std::uint64_t firstSeen = 0;
    Clock::time_point firstAt;
    LiveWorker worker(
        builtinRegistry(), modelSpec(args),
        [&](std::shared_ptr<const LiveResult> r) {
            std::lock_guard<std::mutex> lock(mutex);
            if (r->generation != firstSeen) {
                firstSeen = r->generation;
                firstAt = Clock::now();
            }
            latest = std::move(r);
            changed.notify_all();
        },
        {}, 100, {}, ModelPlacementChoice{deviceOption(args), dtypeOption(args)});
    const ModelSummary model = worker.model();
    if (model.imageWidth <= 0 || model.imageHeight <= 0)
        throw Error("the model '" + model.name + "' does not work on images");
    const std::string imagePath = args.has("image") ? args.text("image") : model.sampleImage;
    if (imagePath.empty())
        throw Error("the model '" + model.name + "' has no sample image: give --image");
    auto image = std::make_shared<const Image>(
        fitImage(loadImage(imagePath), model.imageWidth, model.imageHeight));

    std::vector<double> firstMs, convergedMs, draws;
    nlohmann::json atCap = nlohmann::json::array();
    int words = 0, converged = 0;
    double evalsPerSecond = 0.0;
    std::string lastPrompt;
    // Repeat 0 warms up (allocations, first text encodings) and is not counted.
    for (int r = 0; r <= repeats; ++r) {
        std::string prompt = args.text("template");
        const std::string c0 = kColours[r % 12], c1 = kColours[(r * 5 + 3) % 12];
        for (auto [key, value] : {std::pair{"{0}", c0}, std::pair{"{1}", c1}}) {
            const auto at = prompt.find(key);
            if (at != std::string::npos)
                prompt.replace(at, 3, value);
        }
        const PromptAnalysis analysis = worker.analyze(prompt);
        if (!analysis.problem.empty())
            throw Error("bench-latency: " + analysis.problem);
        LiveRequest request;
        request.prompt = prompt;
        request.image = image;
        request.sampleCap = args.integer("cap", 1, 1 << 20);
        request.targetRelativeSe = args.real("target");
        const Clock::time_point start = Clock::now();
        const std::uint64_t generation = worker.submit(request);
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [&] {
            return latest && latest->generation == generation &&
                   (latest->finished || !latest->error.empty());
        });
        if (!latest->error.empty())
            throw Error("bench-latency: " + latest->error);
        if (r == 0)
            continue;
        firstMs.push_back(std::chrono::duration<double, std::milli>(firstAt - start).count());
        convergedMs.push_back(latest->elapsedMs);
        draws.push_back(latest->drawsDone);
        converged += latest->converged ? 1 : 0;
        if (!latest->converged)
            atCap.push_back(unconvergedWords(*latest, request));
        words = static_cast<int>(latest->words.size());
        evalsPerSecond = latest->evaluationsPerSecond;
        lastPrompt = prompt;
    }
    const nlohmann::json out = {{"first_update_ms", median(firstMs)},
                                {"converged_ms", median(convergedMs)},
                                {"words", words},
                                {"repeats", repeats},
                                {"first_update_ms_each", firstMs},
                                {"converged_ms_each", convergedMs},
                                {"draws_at_end_median", median(draws)},
                                {"converged_by_se", converged},
                                {"reached_cap", repeats - converged},
                                {"at_cap", atCap},
                                {"sample_cap", args.integer("cap", 1, 1 << 20)},
                                {"target_relative_se", args.real("target")},
                                {"evaluations_per_s_last", evalsPerSecond},
                                {"example_prompt", lastPrompt},
                                {"model", model.name},
                                {"device", model.deviceName},
                                {"dtype", model.dtype},
                                {"device_detail", model.device}};
    std::cout << out.dump(2) << "\n";
    return 0;
}

}  // namespace infolens::cli
