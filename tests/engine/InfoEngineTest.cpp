#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "infolens/Error.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/model/Denoiser.h"
#include "infolens/model/Model.h"
#include "infolens/models/gaussian/GaussianFamily.h"
#include "infolens/models/gaussian/GaussianModel.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

// Wraps a denoiser to count calls and optionally slow them down.
class CountingDenoiser : public Denoiser {
  public:
    CountingDenoiser(std::shared_ptr<Denoiser> inner, int sleepMs = 0)
        : preferredRows(inner->preferredBatchRows()),
          m_inner(std::move(inner)),
          m_sleepMs(sleepMs) {}
    torch::Tensor predict(const torch::Tensor& z, const torch::Tensor& a, const torch::Tensor& c,
                          const torch::Tensor& m) override {
        // Stands in for a device that cannot hold more rows (CUDA's allocator message).
        TORCH_CHECK(oomAbove == 0 || z.size(0) <= oomAbove,
                    "CUDA out of memory. Tried to allocate 2.00 GiB");
        ++calls;
        if (onCall)
            onCall(calls.load());
        rows += z.size(0);
        maxRows = std::max<int64_t>(maxRows, z.size(0));
        if (m_sleepMs)
            std::this_thread::sleep_for(std::chrono::milliseconds(m_sleepMs));
        return m_inner->predict(z, a, c, m);
    }
    PredictionType predictionType() const override { return m_inner->predictionType(); }
    LogSnrRange trainedLogSnrRange() const override { return m_inner->trainedLogSnrRange(); }
    std::vector<int64_t> dataShape() const override { return m_inner->dataShape(); }
    torch::ScalarType dtype() const override { return m_inner->dtype(); }
    int preferredBatchRows() const override { return preferredRows; }
    int preferredRows;
    int64_t oomAbove = 0;  // > 0: calls with more rows fail as out of memory
    std::function<void(int)> onCall;
    std::atomic<int> calls{0};
    std::atomic<int64_t> rows{0};
    int64_t maxRows = 0;

  private:
    std::shared_ptr<Denoiser> m_inner;
    int m_sleepMs;
};

class CountingEncoder : public TextEncoder {
  public:
    explicit CountingEncoder(std::shared_ptr<TextEncoder> inner) : m_inner(std::move(inner)) {}
    Tokenization tokenize(const std::string& p) const override { return m_inner->tokenize(p); }
    TextEncoding encode(const std::string& p) override {
        ++encodes;
        return m_inner->encode(p);
    }
    int maxTokens() const override { return m_inner->maxTokens(); }
    int encodes = 0;

  private:
    std::shared_ptr<TextEncoder> m_inner;
};

struct Fixture {
    std::shared_ptr<Model> model = makeGaussianModel(32, 4, 5);
    std::shared_ptr<CountingDenoiser> denoiser;
    std::shared_ptr<CountingEncoder> encoder;
    torch::Tensor x;
    explicit Fixture(int sleepMs = 0) {
        const GaussianSample sample = drawGaussianSample(gaussianDenoiserOf(*model)->params(), 1);
        gaussianDenoiserOf(*model)->setObservation(sample.y);
        x = gaussianDataTensor(sample.x);
        denoiser = std::make_shared<CountingDenoiser>(model->denoiser, sleepMs);
        encoder = std::make_shared<CountingEncoder>(model->textEncoder);
    }
    InfoPlan plan() const { return InfoPlan::wordsOf("w0 w1 w2 w3", *encoder); }
};

bool sameResults(const Snapshot& a, const Snapshot& b) {
    if (a.pairs.size() != b.pairs.size())
        return false;
    for (std::size_t i = 0; i < a.pairs.size(); ++i) {
        if (a.pairs[i].io.value != b.pairs[i].io.value || a.pairs[i].io.se != b.pairs[i].io.se)
            return false;
        if (!torch::equal(a.pairs[i].ioMap, b.pairs[i].ioMap))
            return false;
    }
    return true;
}

}  // namespace

TEST_CASE("MI and K words cost S*(K+2) evaluations, all conditions of a draw in one call",
          "[engine]") {
    Fixture f;
    InfoEngine engine(f.denoiser, f.encoder);
    EngineSettings settings;
    settings.samples = 60;
    settings.maxBatch = 36;  // 6 draws of 6 conditions per call
    const Snapshot snap = engine.run(f.x, f.plan(), settings);
    CHECK(snap.conditions.size() == 6);
    CHECK(snap.evaluations == 60 * 6);
    CHECK(f.denoiser->rows == 60 * 6);
    CHECK(f.denoiser->calls == 10);
    CHECK(snap.finished);
}

TEST_CASE("conditions of a draw are split only beyond the max batch, with identical results",
          "[engine]") {
    Fixture f;
    InfoEngine engine(f.denoiser, f.encoder);
    EngineSettings settings;
    settings.samples = 24;
    settings.seed = 3;
    settings.maxBatch = 1024;
    const Snapshot big = engine.run(f.x, f.plan(), settings);
    CHECK(f.denoiser->calls == 1);  // 24 draws x 6 conditions fit one call
    f.denoiser->maxRows = 0;
    f.denoiser->calls = 0;
    settings.maxBatch = 4;  // fewer rows than conditions: each draw spans two calls (4 + 2 rows)
    const Snapshot small = engine.run(f.x, f.plan(), settings);
    CHECK(f.denoiser->maxRows == 4);
    CHECK(f.denoiser->calls == 24 * 2);
    for (std::size_t i = 0; i < big.pairs.size(); ++i) {
        CHECK(small.pairs[i].io.value == Approx(big.pairs[i].io.value).epsilon(1e-12));
        CHECK(torch::allclose(small.pairs[i].ioMap, big.pairs[i].ioMap, 1e-12, 1e-14));
    }
}

TEST_CASE("the same seed gives bitwise-identical results; another seed does not", "[engine]") {
    Fixture f;
    InfoEngine engine(f.denoiser, f.encoder);
    EngineSettings settings;
    settings.samples = 64;
    settings.seed = 77;
    const Snapshot a = engine.run(f.x, f.plan(), settings);
    const Snapshot b = engine.run(f.x, f.plan(), settings);
    CHECK(sameResults(a, b));
    settings.seed = 78;
    CHECK_FALSE(sameResults(a, engine.run(f.x, f.plan(), settings)));
}

TEST_CASE("text encodings are cached per prompt string across runs", "[engine]") {
    Fixture f;
    InfoEngine engine(f.denoiser, f.encoder);
    EngineSettings settings;
    settings.samples = 8;
    engine.run(f.x, f.plan(), settings);
    CHECK(f.encoder->encodes == 6);
    engine.run(f.x, f.plan(), settings);
    CHECK(f.encoder->encodes == 6);
    engine.run(f.x, InfoPlan::wordsOf("w0 w1 w2", *f.encoder), settings);
    // "w0 w1 w2" and "" are known; new: "w1 w2", "w0 w2", "w0 w1".
    CHECK(f.encoder->encodes == 9);
}

TEST_CASE("progress snapshots arrive after every batch and refine", "[engine]") {
    Fixture f;
    InfoEngine engine(f.denoiser, f.encoder);
    EngineSettings settings;
    settings.samples = 48;
    settings.maxBatch = 48;  // 8 draws per batch -> 6 batches
    std::vector<int> done;
    std::vector<double> se;
    const Snapshot final = engine.run(f.x, f.plan(), settings, [&](const Snapshot& s) {
        done.push_back(s.drawsDone);
        se.push_back(s.pairs[0].io.se);
        REQUIRE(s.pairs[0].ioMap.defined());
    });
    CHECK(done == std::vector<int>{8, 16, 24, 32, 40, 48});
    CHECK(final.finished);
    CHECK(se.back() < se[1]);
}

TEST_CASE("cancellation from the callback stops before the next batch", "[engine]") {
    Fixture f;
    InfoEngine engine(f.denoiser, f.encoder);
    EngineSettings settings;
    settings.samples = 600;
    settings.maxBatch = 60;
    CancelToken token;
    int reports = 0;
    const Snapshot snap = engine.run(
        f.x, f.plan(), settings,
        [&](const Snapshot& s) {
            ++reports;
            if (s.batches == 2)
                token.cancel();
        },
        &token);
    CHECK(snap.cancelled);
    CHECK_FALSE(snap.finished);
    CHECK(snap.batches == 2);
    CHECK(snap.drawsDone == 20);
    CHECK(f.denoiser->calls == 2);
}

TEST_CASE("cancellation from another thread takes effect within one batch", "[engine]") {
    Fixture f(20);  // 20 ms per denoiser call
    InfoEngine engine(f.denoiser, f.encoder);
    EngineSettings settings;
    settings.samples = 100000;
    settings.maxBatch = 6;
    CancelToken token;
    std::atomic<int> callsAtCancel{-1};
    Snapshot snap;
    std::thread worker([&] { snap = engine.run(f.x, f.plan(), settings, {}, &token); });
    std::this_thread::sleep_for(std::chrono::milliseconds(120));
    callsAtCancel = f.denoiser->calls.load();
    token.cancel();
    worker.join();
    CHECK(snap.cancelled);
    CHECK(f.denoiser->calls - callsAtCancel <= 1);
}

TEST_CASE("bad requests are refused with clear errors", "[engine]") {
    Fixture f;
    InfoEngine engine(f.denoiser, f.encoder);
    EngineSettings settings;
    CHECK_THROWS_WITH(engine.run(torch::zeros({1, 1, 7}), f.plan(), settings),
                      Catch::Contains("shape"));
    settings.samples = 0;
    CHECK_THROWS_AS(engine.run(f.x, f.plan(), settings), Error);
    CHECK_THROWS_WITH(InfoPlan::wordsOf("   ", *f.encoder), Catch::Contains("empty"));
}

TEST_CASE("plans deduplicate conditions and build every kind of pair", "[plan]") {
    Fixture f;
    const InfoPlan words = InfoPlan::wordsOf("w0 w1 w1", *f.encoder);
    // Full, "", and omissions "w1 w1", "w0 w1" (twice, deduplicated).
    CHECK(words.conditions() == std::vector<std::string>{"w0 w1 w1", "", "w1 w1", "w0 w1"});
    CHECK(words.pairs().size() == 4);
    CHECK(words.pairs()[2].c2 == words.pairs()[3].c2);
    const InfoPlan placeholder =
        InfoPlan::wordsOf("w0 w1", *f.encoder, WordMode::Placeholder, "_", false);
    CHECK(placeholder.conditions() == std::vector<std::string>{"w0 w1", "_ w1", "w0 _"});
    const InfoPlan edit = InfoPlan::intervention("w0 w1", "w0 w2");
    CHECK(edit.pairs().size() == 1);
    CHECK(edit.pairs()[0].kind == PairKind::Intervention);
    const InfoPlan captions = InfoPlan::captions({"w0 w1", "w1 w0", "w2"});
    CHECK(captions.conditions().front() == "");
    CHECK(captions.pairs().size() == 3);
}

TEST_CASE("caption ranking orders captions by how much they explain", "[plan]") {
    Fixture f;
    InfoEngine engine(f.denoiser, f.encoder);
    EngineSettings settings;
    settings.samples = 128;
    const Snapshot snap =
        engine.run(f.x, InfoPlan::captions({"w0 w1 w2 w3", "w0", "nonsense"}), settings);
    CHECK(snap.pairs[0].io.value > snap.pairs[1].io.value);
    CHECK(snap.pairs[1].io.value > 0.0);
    CHECK(snap.pairs[2].io.value == 0.0);  // unknown words carry nothing
}

TEST_CASE("v and x0 predictions convert to eps", "[denoiser]") {
    torch::manual_seed(0);
    const torch::Tensor x = torch::randn({3, 2, 4, 4}, torch::kFloat64);
    const torch::Tensor eps = torch::randn({3, 2, 4, 4}, torch::kFloat64);
    const torch::Tensor a = torch::tensor({-3.0, 0.5, 4.0}, torch::kFloat64);
    const torch::Tensor alpha = torch::sigmoid(a).sqrt().view({3, 1, 1, 1});
    const torch::Tensor sigma = torch::sigmoid(-a).sqrt().view({3, 1, 1, 1});
    const torch::Tensor z = alpha * x + sigma * eps;
    const torch::Tensor v = alpha * eps - sigma * x;
    CHECK(torch::allclose(epsFromPrediction(v, z, a, PredictionType::V), eps, 1e-10, 1e-10));
    CHECK(torch::allclose(epsFromPrediction(x, z, a, PredictionType::X0), eps, 1e-10, 1e-10));
    CHECK(torch::equal(epsFromPrediction(eps, z, a, PredictionType::Eps), eps));
}

TEST_CASE("the Gaussian text encoder reports unknown words", "[encoder]") {
    GaussianTextEncoder encoder(3);
    const Tokenization t = encoder.tokenize("w0 cat, w2");
    REQUIRE(t.words.size() == 3);
    CHECK_FALSE(t.words[0].unknown);
    CHECK(t.words[1].unknown);
    CHECK(t.punctuation.size() == 1);
    CHECK(encoder.wordSet("w0 cat, w2") == WordSet{true, false, true});
}

TEST_CASE(
    "the denoiser's preferred batch rows bound every call, and cancellation lands between "
    "the calls of one batch",
    "[engine]") {
    Fixture f;
    f.denoiser->preferredRows = 2;  // a large model that takes few rows per call
    InfoEngine engine(f.denoiser, f.encoder);
    EngineSettings settings;
    settings.samples = 4;
    settings.maxBatch = 64;
    const Snapshot full = engine.run(f.x, f.plan(), settings);
    CHECK(f.denoiser->maxRows == 2);
    CHECK(f.denoiser->calls == 4 * 6 / 2);  // one draw (6 conditions) per batch, 3 calls each
    CHECK(full.finished);

    CancelToken token;
    f.denoiser->calls = 0;
    f.denoiser->onCall = [&](int call) {
        if (call == 2)
            token.cancel();  // during the second of the first batch's three calls
    };
    const Snapshot cancelled = engine.run(f.x, f.plan(), settings, {}, &token);
    CHECK(f.denoiser->calls == 2);  // the third call of the batch never ran
    CHECK(cancelled.cancelled);
    CHECK(cancelled.drawsDone == 0);  // the partial batch is not reported
    CHECK_FALSE(cancelled.finished);
}

TEST_CASE("with a draw alignment, every batch after the first ends on a multiple of it",
          "[engine]") {
    Fixture f;
    InfoEngine engine(f.denoiser, f.encoder);
    EngineSettings settings;
    settings.samples = 40;
    settings.maxBatch = 30;  // 5 draws of 6 conditions per batch
    settings.firstBatchDraws = 3;
    settings.drawAlignment = 8;
    std::vector<int> seen;
    const Snapshot snap = engine.run(f.x, f.plan(), settings,
                                     [&](const Snapshot& s) { seen.push_back(s.drawsDone); });
    REQUIRE(seen.size() >= 3);
    CHECK(seen.front() == 3);
    for (std::size_t i = 1; i < seen.size(); ++i) {
        INFO("snapshot " << i << " at " << seen[i] << " draws");
        CHECK(seen[i] % 8 == 0);
    }
    // Batching does not change the numbers (up to summation order).
    settings.drawAlignment = 1;
    const Snapshot plain = engine.run(f.x, f.plan(), settings);
    for (std::size_t i = 0; i < plain.pairs.size(); ++i) {
        CHECK(snap.pairs[i].io.value == Approx(plain.pairs[i].io.value).epsilon(1e-12));
        CHECK(snap.pairs[i].io.se == Approx(plain.pairs[i].io.se).epsilon(1e-9));
    }
}

TEST_CASE("out of memory halves the rows per call and gives the same numbers", "[engine]") {
    Fixture reference;
    InfoEngine plain(reference.denoiser, reference.encoder);
    EngineSettings settings;
    settings.samples = 40;
    settings.maxBatch = 5;  // what the engine ends at below: 24 -> 12 -> 6 -> 3 would differ
    settings.drawAlignment = 1;
    const Snapshot expected = plain.run(reference.x, reference.plan(), settings);

    Fixture f;
    f.denoiser->oomAbove = 7;
    InfoEngine engine(f.denoiser, f.encoder);
    settings.maxBatch = 30;  // 5 draws of 6 conditions per batch, split into calls
    const Snapshot snap = engine.run(f.x, f.plan(), settings);
    CHECK(snap.finished);
    CHECK(snap.batchRows == 7);  // 30 -> 15 -> 7
    REQUIRE(snap.notices.size() == 2);
    CHECK(snap.notices[0].find("out of memory at 30 rows") != std::string::npos);
    CHECK(f.denoiser->maxRows == 7);
    CHECK(snap.evaluations == 40 * 6);
    // The same draws in the same order: only the call boundaries moved.
    REQUIRE(snap.pairs.size() == expected.pairs.size());
    for (std::size_t i = 0; i < snap.pairs.size(); ++i) {
        CHECK(snap.pairs[i].io.value == Approx(expected.pairs[i].io.value).epsilon(1e-12));
        CHECK(snap.pairs[i].io.se == Approx(expected.pairs[i].io.se).epsilon(1e-9));
    }
}

TEST_CASE("an error that is not out of memory still propagates", "[engine]") {
    Fixture f;
    f.denoiser->onCall = [](int) { TORCH_CHECK(false, "shape mismatch in layer 3"); };
    InfoEngine engine(f.denoiser, f.encoder);
    EngineSettings settings;
    settings.samples = 8;
    CHECK_THROWS_WITH(engine.run(f.x, f.plan(), settings),
                      Catch::Matchers::Contains("shape mismatch"));
}

TEST_CASE("with the prediction cache an edit evaluates only the conditions it has not seen",
          "[engine][cache]") {
    Fixture f;
    InfoEngine engine(f.denoiser, f.encoder);
    engine.setPredictionCacheBytes(std::size_t{64} << 20);
    EngineSettings settings;
    settings.samples = 32;
    settings.seed = 11;
    settings.maxBatch = 24;
    // Conditions: full, "", and the four omissions.
    engine.run(f.x, f.plan(), settings);
    CHECK(f.denoiser->rows == 32 * 6);
    CHECK(engine.predictionCacheEntries() == 32u * 6u);

    // Replacing the last word keeps "" and the omission of that word ("w0 w1 w2"); the full
    // prompt and the other three omissions are new.
    const InfoPlan edited = InfoPlan::wordsOf("w0 w1 w2 w1", *f.encoder);
    f.denoiser->rows = 0;
    const Snapshot cachedRun = engine.run(f.x, edited, settings);
    CHECK(f.denoiser->rows == 32 * 4);
    CHECK(cachedRun.evaluations == 32 * 4);
    CHECK(cachedRun.reusedRows == 32 * 2);

    // The same numbers as a run without any cache (the Gaussian denoiser is row-wise, so only
    // batch composition differs: 1e-12 relative).
    Fixture fresh;
    InfoEngine freshEngine(fresh.denoiser, fresh.encoder);
    const Snapshot reference = freshEngine.run(f.x, edited, settings);
    REQUIRE(reference.pairs.size() == cachedRun.pairs.size());
    for (std::size_t i = 0; i < reference.pairs.size(); ++i) {
        CHECK(cachedRun.pairs[i].io.value == Approx(reference.pairs[i].io.value).epsilon(1e-12));
        CHECK(cachedRun.pairs[i].io.se == Approx(reference.pairs[i].io.se).epsilon(1e-9));
        CHECK(torch::allclose(cachedRun.pairs[i].ioMap, reference.pairs[i].ioMap, 1e-12, 1e-14));
    }

    // Asking again evaluates nothing; another seed (other draws) starts over.
    f.denoiser->rows = 0;
    const Snapshot again = engine.run(f.x, edited, settings);
    CHECK(f.denoiser->rows == 0);
    CHECK(again.pairs[1].io.value == cachedRun.pairs[1].io.value);
    settings.seed = 12;
    engine.run(f.x, edited, settings);
    CHECK(f.denoiser->rows == 32 * 6);
}

TEST_CASE("the prediction cache stays within its byte bound", "[engine][cache]") {
    Fixture f;
    InfoEngine engine(f.denoiser, f.encoder);
    // Predictions are kept in the denoiser's dtype.
    const std::size_t rowBytes =
        static_cast<std::size_t>(f.x.numel()) * torch::elementSize(f.denoiser->dtype());
    engine.setPredictionCacheBytes(rowBytes * 100);
    EngineSettings settings;
    settings.samples = 32;
    engine.run(f.x, f.plan(), settings);
    CHECK(engine.predictionCacheEntries() == 100u);
    CHECK(engine.predictionCacheBytes() <= rowBytes * 100);
    // Older conditions make room for a new prompt's.
    engine.run(f.x, InfoPlan::wordsOf("w3 w2", *f.encoder), settings);
    CHECK(engine.predictionCacheBytes() <= rowBytes * 100);
    engine.setPredictionCacheBytes(0);
    CHECK(engine.predictionCacheEntries() == 0u);
}

TEST_CASE("a retired pair keeps its first draws and its conditions leave later batches",
          "[engine][retire]") {
    Fixture f;
    InfoEngine engine(f.denoiser, f.encoder);
    EngineSettings settings;
    settings.samples = 48;
    settings.seed = 5;
    settings.maxBatch = 6 * 8;  // 8 draws per batch
    const InfoPlan plan = f.plan();
    // Pair 2 is the CMI of "w1": its omission "w0 w2 w3" is needed by no other pair.
    const Snapshot final = engine.run(f.x, plan, settings, [&](const Snapshot& s) {
        if (s.drawsDone == 16)
            engine.retirePair(2);
    });
    CHECK(final.finished);
    CHECK(final.drawsDone == 48);
    CHECK(final.pairs[2].draws == 16);
    CHECK(final.pairs[2].retired);
    CHECK(final.pairs[1].draws == 48);
    CHECK_FALSE(final.pairs[1].retired);
    CHECK(final.evaluations == 16 * 6 + 32 * 5);

    // Its numbers are those of a 16-draw run; the others' those of a 48-draw run.
    settings.samples = 16;
    const Snapshot short16 = engine.run(f.x, plan, settings);
    CHECK(final.pairs[2].io.value == Approx(short16.pairs[2].io.value).epsilon(1e-12));
    CHECK(final.pairs[2].io.se == Approx(short16.pairs[2].io.se).epsilon(1e-9));
    CHECK(final.pairs[2].integrand.size() == 16u);
    settings.samples = 48;
    const Snapshot full = engine.run(f.x, plan, settings);
    CHECK(final.pairs[1].io.value == Approx(full.pairs[1].io.value).epsilon(1e-12));

    // Retiring every pair ends the run early, as finished.
    f.denoiser->rows = 0;
    const Snapshot early = engine.run(f.x, plan, settings, [&](const Snapshot& s) {
        if (s.drawsDone == 24) {
            for (std::size_t p = 0; p < s.pairs.size(); ++p)
                engine.retirePair(p);
        }
    });
    CHECK(early.finished);
    CHECK(early.drawsDone == 24);
    CHECK(f.denoiser->rows == 24 * 6);
}
