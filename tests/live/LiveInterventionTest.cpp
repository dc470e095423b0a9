// Prompt interventions through the live worker (queueing, replacement, cancellation, interruption
// by map requests) and the attention maps that live results carry, on the shipped model.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <thread>

#include "WorkerTestRegistry.h"
#include "infolens/io/ImageIO.h"
#include "infolens/live/LiveWorker.h"
#include "infolens/model/Denoiser.h"
#include "infolens/model/Model.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/models/shapes/ShapesFamily.h"

#include <catch2/catch.hpp>

namespace {

using namespace infolens;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kPrompt = "a large purple triangle above a green diamond with a grey background";
constexpr int kPurple = 2;  // word index of "purple" in kPrompt
constexpr int kGreen = 6;
constexpr int kWords = 12;

// The default model's denoiser, watched: the test sees when the worker last called it, and can
// hide its attention readout (a model without one that still works on images).
struct Watch {
    std::atomic<std::int64_t> calls{0};
    std::atomic<std::int64_t> lastCallNs{0};
};

class WatchedDenoiser final : public Denoiser {
  public:
    WatchedDenoiser(std::shared_ptr<Denoiser> inner, std::shared_ptr<Watch> watch, bool readout)
        : m_inner(std::move(inner)), m_watch(std::move(watch)), m_readout(readout) {}
    torch::Tensor predict(const torch::Tensor& z, const torch::Tensor& a, const torch::Tensor& c,
                          const torch::Tensor& m) override {
        torch::Tensor out = m_inner->predict(z, a, c, m);
        ++m_watch->calls;
        m_watch->lastCallNs = Clock::now().time_since_epoch().count();
        return out;
    }
    PredictionType predictionType() const override { return m_inner->predictionType(); }
    LogSnrRange trainedLogSnrRange() const override { return m_inner->trainedLogSnrRange(); }
    std::vector<int64_t> dataShape() const override { return m_inner->dataShape(); }
    torch::ScalarType dtype() const override { return m_inner->dtype(); }
    torch::Device device() const override { return m_inner->device(); }
    int preferredBatchRows() const override { return m_inner->preferredBatchRows(); }
    std::vector<double> stepLogSnrs() const override { return m_inner->stepLogSnrs(); }
    ProposalKind preferredProposal() const override { return m_inner->preferredProposal(); }
    AttentionCapture* attentionCapture() override {
        return m_readout ? m_inner->attentionCapture() : nullptr;
    }

  private:
    std::shared_ptr<Denoiser> m_inner;
    std::shared_ptr<Watch> m_watch;
    bool m_readout;
};

// "watched:default" and "watched:no-readout": the default model with a watched denoiser.
struct WatchedRegistry {
    ModelRegistry registry;
    std::shared_ptr<Watch> watch = std::make_shared<Watch>();
    WatchedRegistry() {
        ModelFamily family;
        family.name = "watched";
        family.bundleKinds = {"watched-kind"};
        family.openBuiltin = [w = watch](const std::string& spec,
                                         const Placement&) -> std::shared_ptr<Model> {
            if (spec != "watched:default" && spec != "watched:no-readout")
                return nullptr;
            auto model = std::make_shared<Model>(*test::workerTestRegistry().load("default"));
            model->denoiser =
                std::make_shared<WatchedDenoiser>(model->denoiser, w, spec == "watched:default");
            return model;
        };
        family.openBundle = [](const BundleManifest&, const Placement&) {
            return std::shared_ptr<Model>();
        };
        registry.add(family);
    }
};

// Collects outcomes, progress and map results; wait() blocks until a predicate holds.
struct Inbox {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::shared_ptr<const InterventionOutcome>> outcomes;
    std::vector<InterventionProgress> progress;
    std::vector<std::shared_ptr<const LiveResult>> results;
    std::vector<Clock::time_point> outcomeTimes;

    void push(std::shared_ptr<const InterventionOutcome> o) {
        std::lock_guard<std::mutex> lock(mutex);
        outcomes.push_back(std::move(o));
        outcomeTimes.push_back(Clock::now());
        changed.notify_all();
    }
    void push(const InterventionProgress& p) {
        std::lock_guard<std::mutex> lock(mutex);
        progress.push_back(p);
        changed.notify_all();
    }
    void push(std::shared_ptr<const LiveResult> r) {
        std::lock_guard<std::mutex> lock(mutex);
        results.push_back(std::move(r));
        changed.notify_all();
    }
    template <class Predicate>
    bool wait(Predicate done, std::chrono::seconds timeout = 120s) {
        std::unique_lock<std::mutex> lock(mutex);
        return changed.wait_for(lock, timeout, [&] { return done(*this); });
    }
    int outcomesOf(std::uint64_t generation) const {
        return static_cast<int>(std::count_if(outcomes.begin(), outcomes.end(), [&](const auto& o) {
            return o->generation == generation;
        }));
    }
};

// A worker whose every callback lands in the inbox (no throttle unless asked).
std::unique_ptr<LiveWorker> makeWorker(const ModelRegistry& registry, const std::string& spec,
                                       Inbox& inbox, int throttleMs = 100) {
    auto worker = std::make_unique<LiveWorker>(
        registry, spec, [&inbox](auto r) { inbox.push(std::move(r)); },
        LiveWorker::GenerateCallback{}, throttleMs);
    worker->setInterventionCallbacks([&inbox](auto o) { inbox.push(std::move(o)); },
                                     [&inbox](const InterventionProgress& p) { inbox.push(p); });
    return worker;
}

std::shared_ptr<const Image> sampleImage(const ModelSummary& model) {
    const std::string path = (std::filesystem::path(shapesSampleDirectory()) / "0002.png").string();
    return std::make_shared<const Image>(
        fitImage(loadImage(path), model.imageWidth, model.imageHeight));
}

// Few DDIM steps and draws keep each case at seconds; the round trip is still close.
constexpr int kSteps = 6;

InterventionRequest removal(std::shared_ptr<const Image> image, int word, int steps = kSteps) {
    InterventionRequest r;
    r.image = std::move(image);
    r.prompt = kPrompt;
    r.word = word;
    r.steps = steps;
    r.samples = 8;
    return r;
}

// One request per word of kPrompt (12 words).
std::vector<InterventionRequest> runAll(const std::shared_ptr<const Image>& image, int steps) {
    std::vector<InterventionRequest> requests;
    for (int w = 0; w < kWords; ++w)
        requests.push_back(removal(image, w, steps));
    return requests;
}

double sum(const std::vector<float>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0);
}

}  // namespace

TEST_CASE("removing a colour word changes the image where the change map says",
          "[worker][intervention]") {
    Inbox inbox;
    auto worker = makeWorker(test::workerTestRegistry(), "default", inbox);
    const auto image = sampleImage(worker->model());
    const std::uint64_t g = worker->intervene({removal(image, kPurple, 10)});
    REQUIRE(inbox.wait([&](Inbox& in) { return in.outcomesOf(g) == 1; }));
    std::lock_guard<std::mutex> lock(inbox.mutex);
    const InterventionOutcome& o = *inbox.outcomes.back();
    INFO(o.error);
    REQUIRE(o.error.empty());
    CHECK(o.generation == g);
    CHECK(o.index == 0);
    CHECK(o.count == 1);
    CHECK(o.word == "purple");
    CHECK(o.editedPrompt == "a large triangle above a green diamond with a grey background");
    CHECK(o.modelHash == worker->model().hash);
    CHECK_FALSE(o.imageHash.empty());
    REQUIRE(o.edited.rgb.size() == image->rgb.size());
    REQUIRE(o.regenerated.rgb.size() == image->rgb.size());
    CHECK(o.edited.rgb != o.regenerated.rgb);
    CHECK(o.roundTripPsnrDb > 15.0);  // the round trip reproduces the image

    const std::size_t cells = static_cast<std::size_t>(o.mapWidth) * o.mapHeight;
    REQUIRE(cells > 0);
    REQUIRE(o.changeLatent.size() == cells);
    REQUIRE(o.predicted.size() == cells);
    CHECK(o.totalChange > 0.0);
    CHECK(sum(o.changeLatent) == Approx(o.totalChange).epsilon(1e-4));
    REQUIRE(o.changePixels.size() == static_cast<std::size_t>(o.imageWidth) * o.imageHeight);
    CHECK(sum(o.changePixels) > 0.0);
    // The predicted map is in bits per image pixel, like the live maps: it adds up to the CMI.
    const double pixelsPerCell =
        static_cast<double>(o.imageWidth) * o.imageHeight / static_cast<double>(cells);
    CHECK(sum(o.predicted) * pixelsPerCell == Approx(o.cmiBits).epsilon(1e-3));
    CHECK(o.cmiBits > 0.0);
    CHECK(o.cmiSeBits > 0.0);
    CHECK(std::isfinite(o.pixelRInformation));
    // The shipped model has attention readout: a map of the word summing to 1.
    REQUIRE(o.attention.size() == cells);
    CHECK(sum(o.attention) == Approx(1.0).epsilon(1e-4));
    CHECK(o.attentionSum > 0.0);
    CHECK(std::isfinite(o.pixelRAttention));
    CHECK(o.evaluations > 0);
}

TEST_CASE("a second word of the same image and prompt reuses the inversion",
          "[worker][intervention]") {
    Inbox inbox;
    auto worker = makeWorker(test::workerTestRegistry(), "default", inbox);
    const auto image = sampleImage(worker->model());
    const std::uint64_t first = worker->intervene({removal(image, kPurple)});
    REQUIRE(inbox.wait([&](Inbox& in) { return in.outcomesOf(first) == 1; }));
    const std::uint64_t second = worker->intervene({removal(image, kGreen)});
    REQUIRE(inbox.wait([&](Inbox& in) { return in.outcomesOf(second) == 1; }));
    std::lock_guard<std::mutex> lock(inbox.mutex);
    const InterventionOutcome& a = *inbox.outcomes[0];
    const InterventionOutcome& b = *inbox.outcomes[1];
    REQUIRE(a.error.empty());
    REQUIRE(b.error.empty());
    // The inversion (steps + 1 calls) and its round-trip regeneration (steps + 1) are not
    // repeated.
    CHECK(a.evaluations - b.evaluations == 2 * (kSteps + 1));
    CHECK(a.roundTripPsnrDb == b.roundTripPsnrDb);
    CHECK(a.regenerated.rgb == b.regenerated.rgb);
}

TEST_CASE("intervene with three requests delivers three outcomes in order, with progress",
          "[worker][intervention]") {
    Inbox inbox;
    auto worker = makeWorker(test::workerTestRegistry(), "default", inbox, 0);
    const auto image = sampleImage(worker->model());
    InterventionRequest swap = removal(image, kGreen);
    swap.kind = InterventionKind::Swap;
    swap.replacement = "red";
    const std::uint64_t g =
        worker->intervene({removal(image, kPurple), swap, removal(image, 3 /* triangle */)});
    CHECK(worker->latestInterventionGeneration() == g);
    REQUIRE(inbox.wait([&](Inbox& in) { return in.outcomesOf(g) == 3; }));
    std::lock_guard<std::mutex> lock(inbox.mutex);
    for (int i = 0; i < 3; ++i) {
        const InterventionOutcome& o = *inbox.outcomes[static_cast<std::size_t>(i)];
        INFO(o.error);
        CHECK(o.error.empty());
        CHECK(o.index == i);
        CHECK(o.count == 3);
        CHECK(o.request.word == (i == 0 ? kPurple : i == 1 ? kGreen : 3));
    }
    CHECK(inbox.outcomes[1]->editedPrompt ==
          "a large purple triangle above a red diamond with a grey background");
    // Progress went out for every request, its fraction never going back.
    REQUIRE_FALSE(inbox.progress.empty());
    std::vector<bool> seen(3, false);
    for (std::size_t i = 0; i < inbox.progress.size(); ++i) {
        const InterventionProgress& p = inbox.progress[i];
        CHECK(p.generation == g);
        CHECK(p.count == 3);
        seen[static_cast<std::size_t>(p.index)] = true;
        CHECK(p.fraction >= 0.0);
        CHECK(p.fraction <= 1.0);
        if (i > 0)
            CHECK(p.fraction >= inbox.progress[i - 1].fraction);
    }
    CHECK(seen == std::vector<bool>{true, true, true});
    CHECK(inbox.progress.front().stage == "inverting");
}

TEST_CASE("a new intervene replaces the running call", "[worker][intervention]") {
    Inbox inbox;
    auto worker = makeWorker(test::workerTestRegistry(), "default", inbox);
    const auto image = sampleImage(worker->model());
    const std::uint64_t old = worker->intervene(runAll(image, kSteps));
    REQUIRE(inbox.wait([&](Inbox& in) { return in.outcomesOf(old) >= 1; }));
    const std::uint64_t fresh = worker->intervene({removal(image, kPurple)});
    int oldAtReturn = 0;
    {
        std::lock_guard<std::mutex> lock(inbox.mutex);
        oldAtReturn = inbox.outcomesOf(old);
    }
    REQUIRE(inbox.wait([&](Inbox& in) { return in.outcomesOf(fresh) == 1; }));
    std::this_thread::sleep_for(300ms);  // anything late would arrive now
    std::lock_guard<std::mutex> lock(inbox.mutex);
    CHECK(inbox.outcomesOf(old) == oldAtReturn);
    CHECK(oldAtReturn < kWords);
    CHECK(inbox.outcomes.back()->generation == fresh);
}

TEST_CASE("cancelInterventions stops a run-all within a denoiser call", "[worker][intervention]") {
    WatchedRegistry watched;
    Inbox inbox;
    auto worker = makeWorker(watched.registry, "watched:default", inbox);
    const auto image = sampleImage(worker->model());
    const std::uint64_t g = worker->intervene(runAll(image, kSteps));
    REQUIRE(inbox.wait([&](Inbox& in) { return in.outcomesOf(g) >= 1; }));
    worker->cancelInterventions();
    const auto cancelled = Clock::now();
    int atCancel = 0;
    {
        std::lock_guard<std::mutex> lock(inbox.mutex);
        atCancel = inbox.outcomesOf(g);
    }
    std::this_thread::sleep_for(2500ms);
    const auto lastCall = Clock::time_point(Clock::duration(watched.watch->lastCallNs.load()));
    // The model is idle soon after the cancel (one call of the tiny model is milliseconds; the rest
    // of the run-all would take seconds).
    CHECK(std::chrono::duration<double>(lastCall - cancelled).count() < 1.0);
    std::lock_guard<std::mutex> lock(inbox.mutex);
    CHECK(inbox.outcomesOf(g) == atCancel);
    CHECK(atCancel < kWords);
}

TEST_CASE("a map request during a run-all is answered first and the run-all completes",
          "[worker][intervention]") {
    Inbox inbox;
    auto worker = makeWorker(test::workerTestRegistry(), "default", inbox);
    const auto image = sampleImage(worker->model());
    const std::vector<InterventionRequest> requests = {removal(image, kPurple),
                                                       removal(image, kGreen), removal(image, 3)};
    const std::uint64_t g = worker->intervene(requests);
    // Wait until the call is running (its first progress), then ask for maps.
    REQUIRE(inbox.wait([&](Inbox& in) { return !in.progress.empty(); }));
    LiveRequest maps;
    maps.prompt = kPrompt;
    maps.image = image;
    maps.sampleCap = 8;
    maps.targetRelativeSe = 0.0;
    const std::uint64_t m = worker->submit(maps);
    REQUIRE(inbox.wait([&](Inbox& in) {
        return std::any_of(in.results.begin(), in.results.end(),
                           [&](const auto& r) { return r->generation == m && r->finished; });
    }));
    int outcomesAtMaps = 0;
    {
        std::lock_guard<std::mutex> lock(inbox.mutex);
        outcomesAtMaps = inbox.outcomesOf(g);
    }
    CHECK(outcomesAtMaps < 3);  // the maps did not wait for the run-all
    REQUIRE(inbox.wait([&](Inbox& in) { return in.outcomesOf(g) == 3; }));
    std::this_thread::sleep_for(200ms);
    std::lock_guard<std::mutex> lock(inbox.mutex);
    REQUIRE(inbox.outcomes.size() == 3);  // each request answered once, in order
    for (int i = 0; i < 3; ++i) {
        CHECK(inbox.outcomes[static_cast<std::size_t>(i)]->index == i);
        CHECK(inbox.outcomes[static_cast<std::size_t>(i)]->error.empty());
    }
    for (const auto& r : inbox.results)
        CHECK(r->error.empty());
}

TEST_CASE("bad intervention requests come back as error outcomes", "[worker][intervention]") {
    Inbox inbox;
    auto worker = makeWorker(test::workerTestRegistry(), "default", inbox);
    const auto image = sampleImage(worker->model());
    InterventionRequest emptySwap = removal(image, kGreen);
    emptySwap.kind = InterventionKind::Swap;
    emptySwap.replacement = "  ";
    InterventionRequest noImage = removal(nullptr, kPurple);
    const std::uint64_t g =
        worker->intervene({removal(image, 40), emptySwap, noImage, removal(image, kPurple, 2)});
    REQUIRE(inbox.wait([&](Inbox& in) { return in.outcomesOf(g) == 4; }));
    std::lock_guard<std::mutex> lock(inbox.mutex);
    CHECK_THAT(inbox.outcomes[0]->error, Catch::Contains("not in the prompt"));
    CHECK_THAT(inbox.outcomes[1]->error, Catch::Contains("replacement"));
    CHECK_THAT(inbox.outcomes[2]->error, Catch::Contains("fit it first"));
    CHECK(inbox.outcomes[3]->error.empty());  // the worker carries on after errors

    // A model without images has no interventions.
    Inbox gaussianInbox;
    auto gaussian = makeWorker(test::workerTestRegistry(), "gaussian", gaussianInbox);
    const std::uint64_t gg = gaussian->intervene({removal(image, 0)});
    REQUIRE(gaussianInbox.wait([&](Inbox& in) { return in.outcomesOf(gg) == 1; }));
    std::lock_guard<std::mutex> gaussianLock(gaussianInbox.mutex);
    CHECK_THAT(gaussianInbox.outcomes[0]->error, Catch::Contains("does not work on images"));
}

TEST_CASE("destroying the worker during an intervention returns promptly and calls nothing after",
          "[worker][intervention]") {
    std::atomic<int> calls{0};
    Inbox inbox;
    auto worker = makeWorker(test::workerTestRegistry(), "default", inbox, 0);
    worker->setInterventionCallbacks([&](auto) { ++calls; },
                                     [&](const InterventionProgress& p) {
                                         ++calls;
                                         inbox.push(p);
                                         std::this_thread::sleep_for(20ms);
                                     });
    const auto image = sampleImage(worker->model());
    worker->intervene(runAll(image, 50));
    REQUIRE(inbox.wait([](Inbox& in) { return in.progress.size() >= 2; }));
    const auto start = Clock::now();
    worker.reset();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const int callsAtReturn = calls.load();
    std::this_thread::sleep_for(200ms);
    CHECK(calls.load() == callsAtReturn);
    CHECK(seconds < 2.0);  // one denoiser call and one callback, not the rest of the run-all
}

TEST_CASE("live results carry the words' attention maps once computed", "[worker][attention]") {
    Inbox inbox;
    auto worker = makeWorker(test::workerTestRegistry(), "default", inbox);
    const auto image = sampleImage(worker->model());
    LiveRequest r;
    r.prompt = "a purple triangle above a green diamond";
    r.image = image;
    r.sampleCap = 16;
    r.targetRelativeSe = 0.0;
    r.firstBatchDraws = 2;
    const std::uint64_t g = worker->submit(r);
    auto finished = [](std::uint64_t gen) {
        return [gen](Inbox& in) {
            return std::any_of(in.results.begin(), in.results.end(),
                               [&](const auto& x) { return x->generation == gen && x->finished; });
        };
    };
    REQUIRE(inbox.wait(finished(g)));
    {
        std::lock_guard<std::mutex> lock(inbox.mutex);
        REQUIRE(inbox.results.size() >= 2);
        // The first map goes out before the attention is computed; the final one carries it.
        CHECK(inbox.results.front()->words.front().attention.empty());
        const LiveResult& final = *inbox.results.back();
        REQUIRE(final.error.empty());
        CHECK(final.attentionAvailable);
        const std::size_t cells = static_cast<std::size_t>(final.mapWidth) * final.mapHeight;
        REQUIRE(final.words.size() == 7);
        for (const WordResult& w : final.words) {
            REQUIRE(w.attention.size() == cells);
            CHECK(sum(w.attention) == Approx(1.0).epsilon(1e-4));
            CHECK(*std::min_element(w.attention.begin(), w.attention.end()) >= 0.0f);
        }
        // Different words attend to different places.
        CHECK(final.words[1].attention != final.words[4].attention);
        inbox.results.clear();
    }
    // Another request on the same image and prompt (a different cap) has them from its first
    // snapshot on.
    r.sampleCap = 8;
    const std::uint64_t again = worker->submit(r);
    REQUIRE(inbox.wait(finished(again)));
    std::lock_guard<std::mutex> lock(inbox.mutex);
    CHECK(inbox.results.front()->words.front().attention.size() ==
          static_cast<std::size_t>(inbox.results.front()->mapWidth) *
              inbox.results.front()->mapHeight);
}

TEST_CASE("a model without attention readout reports none and no error", "[worker][attention]") {
    WatchedRegistry watched;
    Inbox inbox;
    auto worker = makeWorker(watched.registry, "watched:no-readout", inbox);
    LiveRequest r;
    r.prompt = "a purple triangle above a green diamond";
    r.image = sampleImage(worker->model());
    r.sampleCap = 8;
    r.targetRelativeSe = 0.0;
    const std::uint64_t g = worker->submit(r);
    REQUIRE(inbox.wait([&](Inbox& in) {
        return std::any_of(in.results.begin(), in.results.end(),
                           [&](const auto& x) { return x->generation == g && x->finished; });
    }));
    std::lock_guard<std::mutex> lock(inbox.mutex);
    const LiveResult& final = *inbox.results.back();
    CHECK(final.error.empty());
    CHECK_FALSE(final.attentionAvailable);
    for (const WordResult& w : final.words)
        CHECK(w.attention.empty());
}
