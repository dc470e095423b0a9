// Prompt interventions: the statistics (Pearson r, bootstrap SE) on synthetic data with known
// answers, and the inversion/regeneration pipeline on the shipped ShapesWorld model.
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>

#include "infolens/Error.h"
#include "infolens/engine/Intervention.h"
#include "infolens/model/ImageTensor.h"
#include "infolens/model/Model.h"
#include "infolens/models/shapes/ShapesFamily.h"
#include "infolens/models/shapes/ShapesWorld.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

// y = rho x + sqrt(1 - rho^2) n: population correlation rho.
void correlated(int n, double rho, std::uint64_t seed, std::vector<double>& x,
                std::vector<double>& y) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    x.resize(n);
    y.resize(n);
    for (int i = 0; i < n; ++i) {
        x[i] = normal(rng);
        y[i] = rho * x[i] + std::sqrt(1.0 - rho * rho) * normal(rng);
    }
}

std::shared_ptr<Model> defaultModel() {
    static std::shared_ptr<Model> model = openShapesModel("default").model;
    return model;
}

torch::Tensor sceneImage(std::uint64_t index) {
    const ShapesScene scene = generateShapesScene(ShapesSplit::Test, index);
    return imageToTensor(Image{scene.size, scene.size, scene.rgb});
}

std::string sceneCaption(std::uint64_t index) {
    return generateShapesScene(ShapesSplit::Test, index).caption;
}

int wordIndex(const Model& model, const std::string& prompt, const std::string& text) {
    const Tokenization t = model.textEncoder->tokenize(prompt);
    for (std::size_t w = 0; w < t.words.size(); ++w) {
        if (t.words[w].text == text)
            return static_cast<int>(w);
    }
    return -1;
}

InterventionSettings quickSettings() {
    InterventionSettings s;
    s.steps = 50;
    s.engine.samples = 16;
    s.attention.passes = 2;
    return s;
}

}  // namespace

TEST_CASE("Pearson r recovers a known correlation and rejects constant maps", "[intervention]") {
    for (const double rho : {-0.6, 0.0, 0.3, 0.8}) {
        std::vector<double> x, y;
        correlated(20000, rho, 7, x, y);
        // SE of r is about (1 - rho^2) / sqrt(n) < 0.008.
        CHECK(pearsonR(x, y) == Approx(rho).margin(0.03));
    }
    std::vector<double> x = {1, 2, 3, 4}, y = {3, 5, 7, 9};
    CHECK(pearsonR(x, y) == Approx(1.0).margin(1e-12));
    for (double& v : y)
        v = -v;
    CHECK(pearsonR(x, y) == Approx(-1.0).margin(1e-12));
    CHECK(std::isnan(pearsonR(x, std::vector<double>(4, 2.0))));
    CHECK_THROWS_AS(pearsonR(x, std::vector<double>(3, 1.0)), Error);

    // The map overload flattens and agrees with the vector one.
    std::vector<double> a, b;
    correlated(64, 0.5, 3, a, b);
    const torch::Tensor ta = torch::tensor(a).view({8, 8});
    const torch::Tensor tb = torch::tensor(b).view({8, 8}).to(torch::kFloat32);
    CHECK(pearsonR(ta, tb) == Approx(pearsonR(a, b)).margin(1e-6));
}

TEST_CASE("the bootstrap SE matches the known spread of a mean and of r", "[intervention]") {
    std::vector<double> x, y;
    const int n = 400;
    correlated(n, 0.5, 11, x, y);
    auto meanOf = [&](const std::vector<int>& pick) {
        double s = 0.0;
        for (const int i : pick)
            s += x[static_cast<std::size_t>(i)];
        return s / static_cast<double>(pick.size());
    };
    const Estimate m = bootstrapEstimate(n, meanOf, 400, 0.9, 5);
    double full = 0.0, ss = 0.0;
    for (const double v : x)
        full += v;
    full /= n;
    for (const double v : x)
        ss += (v - full) * (v - full);
    const double sd = std::sqrt(ss / (n - 1));
    CHECK(m.value == Approx(full).margin(1e-12));  // the statistic on all items
    // Resamples of 0.9 n with replacement: SE = sd / sqrt(0.9 n); 400 resamples give ~4% noise.
    CHECK(m.se == Approx(sd / std::sqrt(0.9 * n)).epsilon(0.15));

    auto rOf = [&](const std::vector<int>& pick) {
        std::vector<double> a, b;
        for (const int i : pick) {
            a.push_back(x[static_cast<std::size_t>(i)]);
            b.push_back(y[static_cast<std::size_t>(i)]);
        }
        return pearsonR(a, b);
    };
    const Estimate r = bootstrapEstimate(n, rOf, 400, 0.9, 5);
    CHECK(r.value == Approx(pearsonR(x, y)).margin(1e-12));
    // Large-sample SE of r for bivariate normal data: (1 - rho^2) / sqrt(m).
    CHECK(r.se == Approx((1.0 - 0.25) / std::sqrt(0.9 * n)).epsilon(0.25));
    // A different seed gives different resamples.
    CHECK(bootstrapEstimate(n, rOf, 50, 0.9, 6).se != bootstrapEstimate(n, rOf, 50, 0.9, 5).se);
}

TEST_CASE("change maps sum squared differences over channels and upsample", "[intervention]") {
    const torch::Tensor a = torch::zeros({4, 2, 2});
    torch::Tensor b = torch::zeros({4, 2, 2});
    b[0][0][1] = 1.0;
    b[3][0][1] = 2.0;   // pixel (0, 1): 1 + 4
    b[2][1][0] = -1.0;  // pixel (1, 0): 1
    const torch::Tensor ia = torch::zeros({3, 8, 8});
    const torch::Tensor ib = torch::full({3, 8, 8}, 0.5);
    const ChangeMaps c = changeMaps(a, b, ia, ib);
    CHECK(c.latent[0][1].item<double>() == Approx(5.0));
    CHECK(c.latent[1][0].item<double>() == Approx(1.0));
    CHECK(c.latent[0][0].item<double>() == 0.0);
    CHECK(c.total == Approx(6.0));
    CHECK(c.upsampled.sizes() == torch::IntArrayRef({8, 8}));
    CHECK(c.upsampled.max().item<double>() <= 5.0 + 1e-9);
    CHECK(c.upsampled[0][7].item<double>() == Approx(5.0));  // corner keeps its latent value
    CHECK(c.pixels.sum().item<double>() == Approx(3 * 64 * 0.25));
}

TEST_CASE("inversion then regeneration under the unedited prompt reproduces the scene",
          "[intervention][model]") {
    const std::shared_ptr<Model> model = defaultModel();
    InversionCache cache;
    double psnrSum = 0.0;
    for (const std::uint64_t index : {0, 1, 2}) {
        const auto inv = cache.get(*model, sceneImage(index), sceneCaption(index), 50, 1.0);
        INFO("scene " << index << ": PSNR " << inv->psnrDb << " dB vs image, " << inv->psnrDecodedDb
                      << " dB vs decoded latent, latent RMSE " << inv->latentRmse);
        // Measured on the shipped model: about 30 dB vs the image (the autoencoder limits it).
        CHECK(inv->psnrDb > 25.0);
        CHECK(inv->latentRmse < 0.1 * inv->latent.std().item<double>());
        CHECK(inv->noise.std().item<double>() > 0.5);  // it did go to noise
        psnrSum += inv->psnrDb;
    }
    WARN("mean inversion -> regeneration PSNR " << psnrSum / 3 << " dB (50 DDIM steps)");
}

TEST_CASE("an edit that leaves the condition alone changes nothing; an ignored word almost nothing",
          "[intervention][model]") {
    const std::shared_ptr<Model> model = defaultModel();
    InversionCache cache;
    const torch::Tensor image = sceneImage(0);
    const std::string caption = sceneCaption(0);
    const InterventionSettings settings = quickSettings();

    // Swapping a word for itself: the same condition, so the same regeneration, zero information.
    InterventionEdit same;
    same.word = 1;
    same.kind = EditKind::Swap;
    same.replacement = model->textEncoder->tokenize(caption).words[1].text;
    const InterventionResult r0 = runIntervention(*model, cache, image, caption, same, settings);
    CHECK(r0.edited == caption);
    CHECK(r0.change.total == 0.0);
    CHECK(r0.cmi.value == 0.0);

    // Removing a content word changes the image; removing an appended out-of-vocabulary word, which
    // the model reads as one [UNK] token, leaves the regeneration almost as it was (measured: 0.2%
    // of the shape word's change).
    const std::string withUnknown = caption + " zebra";
    InterventionEdit removeUnknown;
    removeUnknown.word = wordIndex(*model, withUnknown, "zebra");
    REQUIRE(removeUnknown.word >= 0);
    const InterventionResult ru =
        runIntervention(*model, cache, image, withUnknown, removeUnknown, settings);
    InterventionEdit removeShape;
    const Tokenization t = model->textEncoder->tokenize(caption);
    const ShapesScene scene = generateShapesScene(ShapesSplit::Test, 0);
    for (const ShapesReference& ref : scene.references) {
        if (ref.kind == "shape")
            removeShape.word = wordIndex(*model, caption, ref.text);
    }
    const InterventionResult rs =
        runIntervention(*model, cache, image, caption, removeShape, settings);
    INFO("unknown word: change " << ru.change.total << ", CMI " << ru.cmi.value
                                 << "; shape word: change " << rs.change.total << ", CMI "
                                 << rs.cmi.value);
    CHECK(rs.change.total > 0.0);
    CHECK(ru.change.total < 0.05 * rs.change.total);
    // Its CMI need not vanish: [UNK] does move the predictions a little (the paper's point that
    // information is necessary, not sufficient, for a visible change).
}

TEST_CASE("the inversion cache is keyed by model, image, prompt and steps",
          "[intervention][model]") {
    const std::shared_ptr<Model> model = defaultModel();
    InversionCache cache(8);
    const torch::Tensor image = sceneImage(0);
    const std::string caption = sceneCaption(0);
    const auto first = cache.get(*model, image, caption, 10, 1.0);
    CHECK(cache.misses() == 1);
    const auto again = cache.get(*model, image.clone(), "  " + caption + " ", 10, 1.0);
    CHECK(cache.hits() == 1);  // same pixels and the same prompt up to whitespace
    CHECK(again.get() == first.get());

    torch::Tensor other = image.clone();
    other[0][0][0] = 1.0f - other[0][0][0].item<float>();
    CHECK(cache.get(*model, other, caption, 10, 1.0).get() != first.get());
    CHECK(cache.misses() == 2);
    cache.get(*model, image, caption + " and more", 10, 1.0);
    CHECK(cache.misses() == 3);
    cache.get(*model, image, caption, 12, 1.0);
    CHECK(cache.misses() == 4);
    Model renamed = *model;
    renamed.hash = model->hash + "-retrained";
    cache.get(renamed, image, caption, 10, 1.0);
    CHECK(cache.misses() == 5);
    cache.get(*model, image, caption, 10, 1.0);
    CHECK(cache.hits() == 2);
    CHECK(cache.size() == 5);
}

TEST_CASE("a cancelled intervention stops promptly", "[intervention][model]") {
    const std::shared_ptr<Model> model = defaultModel();
    InversionCache cache;
    const torch::Tensor image = sceneImage(3);
    const std::string caption = sceneCaption(3);
    InterventionSettings settings = quickSettings();
    settings.engine.samples = 100000;  // far longer than the test waits

    CancelToken before;
    before.cancel();
    CHECK_THROWS_AS(runIntervention(*model, cache, image, caption, {}, settings, &before),
                    Cancelled);
    CHECK(cache.size() == 0);

    // DDIM inversion itself checks no token (DdimSampler::invert), so it is cached first; the
    // regeneration checks before every step and the estimation before every batch.
    cache.get(*model, image, caption, settings.steps, settings.guidance);
    CancelToken token;
    std::atomic<double> cancelledAt{0.0};
    const auto start = std::chrono::steady_clock::now();
    auto seconds = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        cancelledAt = seconds();
        token.cancel();
    });
    bool threw = false;
    try {
        runIntervention(*model, cache, image, caption, {}, settings, &token);
    } catch (const Cancelled&) {
        threw = true;
    }
    const double stoppedAt = seconds();
    canceller.join();
    CHECK(threw);
    INFO("cancelled at " << cancelledAt.load() << " s, stopped at " << stoppedAt << " s");
    CHECK(stoppedAt - cancelledAt.load() < 1.0);
}
