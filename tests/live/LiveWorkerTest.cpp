// Lifetime and latest-wins behaviour of the worker that the app uses, on the shipped model.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <numeric>
#include <thread>

#include "WorkerTestRegistry.h"
#include "infolens/Error.h"
#include "infolens/io/ImageIO.h"
#include "infolens/live/LiveWorker.h"
#include "infolens/model/Model.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/models/shapes/ShapesFamily.h"

#include <catch2/catch.hpp>

namespace {

using namespace infolens;
using namespace std::chrono_literals;

// Collects every delivered result; wait() blocks until a predicate over them holds.
struct Inbox {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::shared_ptr<const LiveResult>> results;

    void push(std::shared_ptr<const LiveResult> r) {
        std::lock_guard<std::mutex> lock(mutex);
        results.push_back(std::move(r));
        changed.notify_all();
    }
    template <class Predicate>
    bool wait(Predicate done, std::chrono::seconds timeout = 120s) {
        std::unique_lock<std::mutex> lock(mutex);
        return changed.wait_for(lock, timeout, [&] { return done(results); });
    }
};

std::shared_ptr<const Image> sampleImage(const ModelSummary& model) {
    const std::string path = (std::filesystem::path(shapesSampleDirectory()) / "0002.png").string();
    return std::make_shared<const Image>(
        fitImage(loadImage(path), model.imageWidth, model.imageHeight));
}

LiveRequest request(const std::string& prompt, std::shared_ptr<const Image> image, int cap) {
    LiveRequest r;
    r.prompt = prompt;
    r.image = std::move(image);
    r.sampleCap = cap;
    r.targetRelativeSe = 0.0;  // run to the cap
    return r;
}

bool finishedFor(const std::vector<std::shared_ptr<const LiveResult>>& results,
                 std::uint64_t generation) {
    for (const auto& r : results) {
        if (r->generation == generation && (r->finished || !r->error.empty()))
            return true;
    }
    return false;
}

}  // namespace

TEST_CASE("the worker delivers progressive results that refine into the final maps", "[worker]") {
    Inbox inbox;
    LiveWorker worker(test::workerTestRegistry(), "default",
                      [&](auto r) { inbox.push(std::move(r)); });
    const ModelSummary model = worker.model();
    REQUIRE(model.name == "shapes-v2");
    const std::string prompt = "an image of a purple triangle above a green diamond";
    LiveRequest r = request(prompt, sampleImage(model), 24);
    r.firstBatchDraws = 2;
    const std::uint64_t generation = worker.submit(r);
    REQUIRE(inbox.wait([&](const auto& rs) { return finishedFor(rs, generation); }));

    std::lock_guard<std::mutex> lock(inbox.mutex);
    const auto& results = inbox.results;
    REQUIRE(results.size() >= 2);  // at least one progressive snapshot before the final one
    CHECK(results.front()->drawsDone == 2);
    CHECK_FALSE(results.front()->finished);
    for (std::size_t i = 1; i < results.size(); ++i)
        CHECK(results[i]->drawsDone > results[i - 1]->drawsDone);
    const LiveResult& final = *results.back();
    CHECK(final.finished);
    CHECK(final.drawsDone == 24);
    REQUIRE(final.words.size() == 10);
    CHECK(final.words[4].text == "purple");
    CHECK(final.mi.text == prompt);
    CHECK(final.evaluations == 24 * 12);
    for (const WordResult& w : final.words) {
        REQUIRE(w.map.size() == static_cast<std::size_t>(final.mapWidth * final.mapHeight));
        const double mapBits =
            std::accumulate(w.map.begin(), w.map.end(), 0.0) * final.imagePixelsPerCell;
        CHECK(mapBits == Approx(w.bits).epsilon(1e-4));
        CHECK(w.seBits > 0.0);
        CHECK(w.integrand.size() == 24u);
    }
}

TEST_CASE("each word stops once it meets its target; its draws stop growing",
          "[worker][stopping]") {
    Inbox inbox;
    LiveWorker worker(test::workerTestRegistry(), "default",
                      [&](auto r) { inbox.push(std::move(r)); });
    const ModelSummary model = worker.model();
    LiveRequest r = request("a small red circle above a blue square", sampleImage(model), 96);
    r.targetRelativeSe = 0.10;
    const std::uint64_t generation = worker.submit(r);
    REQUIRE(inbox.wait([&](const auto& rs) { return finishedFor(rs, generation); }));

    std::lock_guard<std::mutex> lock(inbox.mutex);
    const auto& results = inbox.results;
    const LiveResult& final = *results.back();
    REQUIRE(final.finished);
    int stoppedEarly = 0;
    std::vector<const WordResult*> rows = {&final.mi};
    for (const WordResult& w : final.words)
        rows.push_back(&w);
    for (const WordResult* w : rows) {
        CHECK(w->draws <= final.drawsDone);
        CHECK(w->integrand.size() == static_cast<std::size_t>(w->draws));
        if (!w->converged) {
            CHECK(w->draws == final.drawsDone);
            continue;
        }
        // Stopped by the honest rule: at an aligned check past the minimum, within target.
        CHECK(w->draws >= r.minDraws);
        CHECK(w->draws % final.replicas == 0);
        CHECK(w->seBits <=
              std::max(r.targetRelativeSe * std::abs(w->bits), r.absoluteSeFloorBits) + 1e-12);
        stoppedEarly += w->draws < final.drawsDone ? 1 : 0;
    }
    CHECK(final.converged ==
          std::all_of(rows.begin(), rows.end(), [](const WordResult* w) { return w->converged; }));
    // Once converged, a word's numbers are frozen in every later snapshot.
    for (std::size_t i = 1; i < results.size(); ++i) {
        for (std::size_t k = 0; k < results[i]->words.size(); ++k) {
            const WordResult& before = results[i - 1]->words[k];
            if (before.converged) {
                CHECK(results[i]->words[k].draws == before.draws);
                CHECK(results[i]->words[k].bits == before.bits);
            }
        }
    }
    // With a 10% target on this image some word converges before the slowest one.
    CHECK(stoppedEarly > 0);
}

TEST_CASE("an edit of one word reuses the other conditions' predictions", "[worker][cache]") {
    Inbox inbox;
    LiveWorker worker(test::workerTestRegistry(), "default",
                      [&](auto r) { inbox.push(std::move(r)); });
    const ModelSummary model = worker.model();
    const auto image = sampleImage(model);
    const std::uint64_t first =
        worker.submit(request("a small red circle above a blue square", image, 16));
    REQUIRE(inbox.wait([&](const auto& rs) { return finishedFor(rs, first); }));
    const std::uint64_t second =
        worker.submit(request("a small green circle above a blue square", image, 16));
    REQUIRE(inbox.wait([&](const auto& rs) { return finishedFor(rs, second); }));
    std::lock_guard<std::mutex> lock(inbox.mutex);
    const LiveResult& final = *inbox.results.back();
    REQUIRE(final.generation == second);
    // 8 words: 10 conditions; "" and the omission of the edited word are reused.
    CHECK(final.evaluations == 16 * 8);
}

TEST_CASE("100 rapid submits deliver only the last request's result", "[worker]") {
    Inbox inbox;
    LiveWorker worker(test::workerTestRegistry(), "default",
                      [&](auto r) { inbox.push(std::move(r)); });
    const auto image = sampleImage(worker.model());
    const char* colours[] = {"red", "green", "blue", "pink"};
    std::uint64_t last = 0;
    std::string lastPrompt;
    for (int i = 0; i < 100; ++i) {
        lastPrompt = std::string("a ") + colours[i % 4] + " circle";
        last = worker.submit(request(lastPrompt, image, 16));
    }
    REQUIRE(inbox.wait([&](const auto& rs) { return finishedFor(rs, last); }));
    std::this_thread::sleep_for(200ms);  // anything late would arrive now
    std::lock_guard<std::mutex> lock(inbox.mutex);
    int finals = 0;
    for (const auto& r : inbox.results) {
        if (r->finished) {
            ++finals;
            CHECK(r->generation == last);
            CHECK(r->prompt == lastPrompt);
        }
    }
    CHECK(finals == 1);
    // Latest wins: the worker skips requests superseded before it picked them up. A queue would
    // start all 100 (the loop above takes microseconds, one run at least a denoiser batch).
    CHECK(worker.stats().runsStarted <= 10);
}

TEST_CASE("a superseded computation stops and the new one completes", "[worker]") {
    Inbox inbox;
    LiveWorker worker(test::workerTestRegistry(), "default",
                      [&](auto r) { inbox.push(std::move(r)); });
    const auto image = sampleImage(worker.model());
    const std::uint64_t slow = worker.submit(request("a red circle", image, 100000));
    REQUIRE(
        inbox.wait([&](const auto& rs) { return !rs.empty() && rs.back()->generation == slow; }));
    const std::uint64_t fast = worker.submit(request("a green circle", image, 8));
    REQUIRE(inbox.wait([&](const auto& rs) { return finishedFor(rs, fast); }));
    CHECK(worker.stats().runsCancelled == 1);
    std::lock_guard<std::mutex> lock(inbox.mutex);
    for (const auto& r : inbox.results)
        CHECK_FALSE((r->generation == slow && r->finished));
}

TEST_CASE("destroying the worker during a computation returns promptly and calls nothing after",
          "[worker]") {
    // Callbacks are slowed down so that one is likely in flight when the destructor starts; the
    // destructor must wait for it (join), so at its return none is running and none starts later.
    std::atomic<int> active{0};
    std::atomic<int> calls{0};
    Inbox inbox;
    auto worker = std::make_unique<LiveWorker>(
        test::workerTestRegistry(), "default",
        [&](auto r) {
            ++active;
            ++calls;
            inbox.push(std::move(r));
            std::this_thread::sleep_for(30ms);
            --active;
        },
        LiveWorker::GenerateCallback{}, 0);  // no throttle: a callback after every batch
    const auto image = sampleImage(worker->model());
    worker->submit(request("a large orange circle", image, 100000));
    REQUIRE(inbox.wait([](const auto& rs) { return rs.size() >= 2; }));
    const auto start = std::chrono::steady_clock::now();
    worker.reset();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(active.load() == 0);
    const int callsAtReturn = calls.load();
    std::this_thread::sleep_for(200ms);
    CHECK(calls.load() == callsAtReturn);
    CHECK(seconds < 10.0);  // one batch is well under a second; this only catches a hang
}

TEST_CASE("a callback that throws does not end the worker", "[worker]") {
    Inbox inbox;
    std::atomic<int> thrown{0};
    LiveWorker worker(test::workerTestRegistry(), "default", [&](auto r) {
        inbox.push(r);
        if (r->prompt == "a red circle") {
            ++thrown;
            throw std::runtime_error("receiver failed");
        }
    });
    const auto image = sampleImage(worker.model());
    const std::uint64_t first = worker.submit(request("a red circle", image, 8));
    REQUIRE(inbox.wait([&](const auto& rs) { return finishedFor(rs, first); }));
    const std::uint64_t second = worker.submit(request("a green circle", image, 8));
    REQUIRE(inbox.wait([&](const auto& rs) { return finishedFor(rs, second); }));
    CHECK(thrown.load() >= 1);
}

TEST_CASE("requests made while the model loads are computed; after a failed load answered",
          "[worker]") {
    SECTION("loading") {
        // A family whose load waits for a latch: the request is certainly made while loading.
        std::promise<void> release;
        std::shared_future<void> released = release.get_future().share();
        ModelRegistry registry;
        ModelFamily slow;
        slow.name = "slow";
        slow.bundleKinds = {"slow-kind"};
        slow.openBuiltin = [released](const std::string& spec,
                                      const Placement&) -> std::shared_ptr<Model> {
            if (spec != "slow:default")
                return nullptr;
            released.wait();
            return test::workerTestRegistry().load("default");
        };
        slow.openBundle = [](const BundleManifest&, const Placement&) -> std::shared_ptr<Model> {
            return nullptr;
        };
        registry.add(slow);

        Inbox inbox;
        std::vector<ModelStatus::State> states;
        std::mutex statesMutex;
        const std::string samplePath =
            (std::filesystem::path(shapesSampleDirectory()) / "0002.png").string();
        auto image = std::make_shared<const Image>(fitImage(loadImage(samplePath), 64, 64));
        LiveWorker worker(
            registry, "slow:default", [&](auto r) { inbox.push(std::move(r)); }, {}, 100,
            [&](const ModelStatus& s) {
                std::lock_guard<std::mutex> lock(statesMutex);
                states.push_back(s.state);
            });
        CHECK(worker.status().state == ModelStatus::State::Loading);
        CHECK(worker.analyze("a red circle").problem == "the model is still loading");
        const std::uint64_t g = worker.submit(request("a red circle", image, 8));
        std::this_thread::sleep_for(50ms);
        CHECK(worker.status().state == ModelStatus::State::Loading);  // still held by the latch
        release.set_value();
        REQUIRE(inbox.wait([&](const auto& rs) { return finishedFor(rs, g); }));
        {
            std::lock_guard<std::mutex> lock(inbox.mutex);
            CHECK(inbox.results.back()->error.empty());
        }
        std::lock_guard<std::mutex> lock(statesMutex);
        REQUIRE(states.size() == 2);
        CHECK(states[0] == ModelStatus::State::Loading);
        CHECK(states[1] == ModelStatus::State::Ready);
        CHECK(worker.status().summary.imageWidth == 64);
    }
    SECTION("failed") {
        Inbox inbox;
        LiveWorker worker(test::workerTestRegistry(), "/nonexistent/model-dir",
                          [&](auto r) { inbox.push(std::move(r)); });
        auto image = std::make_shared<const Image>();
        const std::uint64_t g = worker.submit(request("a red circle", image, 8));
        REQUIRE(inbox.wait([&](const auto& rs) { return finishedFor(rs, g); }));
        std::lock_guard<std::mutex> lock(inbox.mutex);
        CHECK_THAT(inbox.results.back()->error, Catch::Contains("could not be loaded"));
        CHECK(worker.status().state == ModelStatus::State::Failed);
        CHECK_THAT(worker.analyze("a red circle").problem, Catch::Contains("could not be loaded"));
        CHECK_THROWS_AS(worker.model(), ModelError);  // the documented type, whatever was thrown
    }
}

TEST_CASE("bad requests give clear errors and leave the worker usable", "[worker]") {
    Inbox inbox;
    LiveWorker worker(test::workerTestRegistry(), "default",
                      [&](auto r) { inbox.push(std::move(r)); });
    const ModelSummary model = worker.model();
    const auto image = sampleImage(model);

    CHECK(worker.analyze("   ").problem == "the prompt is empty");
    CHECK(worker.analyze("...").problem == "the prompt has no words");
    std::string longPrompt;
    for (int i = 0; i < model.maxTokens + 5; ++i)
        longPrompt += "red ";
    CHECK_THAT(worker.analyze(longPrompt).problem, Catch::Contains("takes at most"));
    const PromptAnalysis unknown = worker.analyze("a red zebra");
    REQUIRE(unknown.words.size() == 3);
    CHECK(unknown.words[2].unknown);
    CHECK_FALSE(unknown.words[1].unknown);

    const std::uint64_t empty = worker.submit(request("", image, 4));
    REQUIRE(inbox.wait([&](const auto& rs) { return finishedFor(rs, empty); }));
    auto small = std::make_shared<Image>();
    small->width = 8;
    small->height = 8;
    small->rgb.assign(8 * 8 * 3, 0);
    const std::uint64_t wrongSize = worker.submit(request("a red circle", small, 4));
    REQUIRE(inbox.wait([&](const auto& rs) { return finishedFor(rs, wrongSize); }));
    const std::uint64_t good = worker.submit(request("a red circle", image, 4));
    REQUIRE(inbox.wait([&](const auto& rs) { return finishedFor(rs, good); }));
    std::lock_guard<std::mutex> lock(inbox.mutex);
    for (const auto& r : inbox.results) {
        if (r->generation == empty)
            CHECK(r->error == "the prompt is empty");
        if (r->generation == wrongSize)
            CHECK_THAT(r->error, Catch::Contains("fit it first"));
        if (r->generation == good && r->finished)
            CHECK(r->error.empty());
    }
}

TEST_CASE("a model that cannot load is reported by model()", "[worker]") {
    LiveWorker worker(test::workerTestRegistry(), "/nonexistent/model-dir", [](auto) {});
    CHECK_THROWS_WITH(worker.model(), Catch::Contains("neither a built-in model"));
}

TEST_CASE("generate makes an image of the model's size", "[worker]") {
    std::mutex mutex;
    std::condition_variable done;
    std::shared_ptr<const GenerateResult> generated;
    LiveWorker worker(
        test::workerTestRegistry(), "default", [](auto) {},
        [&](auto r) {
            std::lock_guard<std::mutex> lock(mutex);
            generated = std::move(r);
            done.notify_all();
        });
    const ModelSummary model = worker.model();
    worker.generate("a red circle", 3, 10);
    std::unique_lock<std::mutex> lock(mutex);
    REQUIRE(done.wait_for(lock, 120s, [&] { return generated != nullptr; }));
    CHECK(generated->error.empty());
    CHECK(generated->image.width == model.imageWidth);
    CHECK(generated->image.rgb.size() ==
          static_cast<std::size_t>(model.imageWidth) * model.imageHeight * 3);
}

TEST_CASE("destroying the worker during a generation stops it within one step", "[worker]") {
    std::atomic<int> generated{0};
    auto worker = std::make_unique<LiveWorker>(
        test::workerTestRegistry(), "default", [](auto) {}, [&](auto) { ++generated; });
    worker->model();
    worker->generate("a red circle", 1, 50);
    std::this_thread::sleep_for(50ms);
    const auto start = std::chrono::steady_clock::now();
    worker.reset();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(seconds < 10.0);  // one DDIM step is milliseconds; this only catches a hang
    CHECK(generated.load() == 0);
}

TEST_CASE("cancelling the maps leaves a generation running; cancelling it delivers nothing",
          "[worker]") {
    std::mutex mutex;
    std::condition_variable done;
    std::vector<std::shared_ptr<const GenerateResult>> generated;
    LiveWorker worker(
        test::workerTestRegistry(), "default", [](auto) {},
        [&](auto r) {
            std::lock_guard<std::mutex> lock(mutex);
            generated.push_back(std::move(r));
            done.notify_all();
        });
    worker.model();
    // The app recomputes (and so cancels maps) while a generation it asked for is running.
    const std::uint64_t kept = worker.generate("a red circle", 3, 20);
    worker.cancelMaps();
    {
        std::unique_lock<std::mutex> lock(mutex);
        REQUIRE(done.wait_for(lock, 120s, [&] { return !generated.empty(); }));
        CHECK(generated.back()->generation == kept);
        CHECK(generated.back()->error.empty());
    }
    worker.generate("a green circle", 4, 50);
    worker.cancelGeneration();
    std::this_thread::sleep_for(500ms);
    std::lock_guard<std::mutex> lock(mutex);
    CHECK(generated.size() == 1);
}
