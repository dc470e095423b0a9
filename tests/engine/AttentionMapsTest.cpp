// Attention readout: the generic capture on the ShapesWorld model and the engine's DAAM-style maps.
#include <torch/torch.h>

#include "infolens/Error.h"
#include "infolens/engine/AttentionMaps.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/model/ImageTensor.h"
#include "infolens/model/Model.h"
#include "infolens/models/shapes/ShapesFamily.h"
#include "infolens/models/shapes/ShapesWorld.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

std::shared_ptr<Model> defaultModel() {
    static std::shared_ptr<Model> model = openShapesModel("default").model;
    return model;
}

torch::Tensor sceneLatent(Model& model, std::uint64_t index) {
    const ShapesScene scene = generateShapesScene(ShapesSplit::Test, index);
    return model.codec->encode(imageToTensor(Image{scene.size, scene.size, scene.rgb}));
}

}  // namespace

TEST_CASE("the ShapesWorld capture records every cross-attention layer as token probabilities",
          "[attention][model]") {
    const std::shared_ptr<Model> model = defaultModel();
    AttentionCapture* capture = model->denoiser->attentionCapture();
    REQUIRE(capture != nullptr);
    torch::InferenceMode guard;
    const std::string caption = generateShapesScene(ShapesSplit::Test, 0).caption;
    const TextEncoding e = model->textEncoder->encode(caption);
    const int64_t L = e.cond.size(0);
    const torch::Tensor z = torch::randn({3, 4, 16, 16});
    const torch::Tensor a = torch::tensor({-2.0f, 0.5f, 3.0f});
    const torch::Tensor cond = e.cond.unsqueeze(0).expand({3, -1, -1});
    const torch::Tensor mask = e.mask.unsqueeze(0).expand({3, -1});

    // Off: nothing is recorded.
    model->denoiser->predict(z, a, cond, mask);
    CHECK(capture->takeCapturedAttention().empty());

    capture->setCaptureAttention(true);
    model->denoiser->predict(z, a, cond, mask);
    const std::vector<torch::Tensor> once = capture->takeCapturedAttention();
    CHECK(capture->takeCapturedAttention().empty());  // taking clears
    REQUIRE(once.size() == 5);
    const std::vector<int64_t> sides = {16, 8, 4, 8, 16};
    for (std::size_t l = 0; l < once.size(); ++l) {
        CHECK(once[l].sizes() == torch::IntArrayRef({3, L, sides[l], sides[l]}));
        CHECK(once[l].min().item<double>() >= 0.0);
        // Probabilities over the condition's positions; padding (mask 0) gets none.
        CHECK((once[l].sum(1) - 1.0).abs().max().item<double>() < 1e-5);
    }
    // Rows of several calls concatenate in order: one row, then two, equals the three at once.
    model->denoiser->predict(z.slice(0, 0, 1), a.slice(0, 0, 1), cond.slice(0, 0, 1),
                             mask.slice(0, 0, 1));
    model->denoiser->predict(z.slice(0, 1, 3), a.slice(0, 1, 3), cond.slice(0, 1, 3),
                             mask.slice(0, 1, 3));
    const std::vector<torch::Tensor> split = capture->takeCapturedAttention();
    capture->setCaptureAttention(false);
    REQUIRE(split.size() == once.size());
    for (std::size_t l = 0; l < once.size(); ++l)
        CHECK((split[l] - once[l]).abs().max().item<double>() < 1e-5);

    // The layer average resizes each layer before averaging; at the finest layer's size the
    // finest layers enter unchanged.
    const torch::Tensor avg = averageAttentionLayers(once, 16, 16);
    CHECK(avg.sizes() == torch::IntArrayRef({3, L, 16, 16}));
    CHECK((avg.sum(1) - 1.0).abs().max().item<double>() < 1e-5);
    CHECK_THROWS_AS(averageAttentionLayers({}, 16, 16), Error);
}

TEST_CASE("DAAM-style word maps: sums of token maps, seeded, cancellable", "[attention][model]") {
    const std::shared_ptr<Model> model = defaultModel();
    const torch::Tensor latent = sceneLatent(*model, 0);
    const std::string caption = generateShapesScene(ShapesSplit::Test, 0).caption;
    AttentionSettings settings;
    settings.passes = 6;
    settings.seed = 3;
    const AttentionMaps maps = computeAttentionMaps(*model->denoiser, *model->textEncoder, latent,
                                                    caption, settings, 64, 64);
    const Tokenization t = model->textEncoder->tokenize(caption);
    CHECK(maps.firstToken == 1);  // after [BOS]
    CHECK(maps.logSnrs.size() == 6);
    CHECK(maps.tokens.size(1) == 16);
    CHECK((maps.tokens.sum(0) - 1.0).abs().max().item<double>() < 1e-5);
    REQUIRE(maps.words.size(0) == static_cast<int64_t>(t.words.size()));
    CHECK(maps.wordsImage.sizes() == torch::IntArrayRef({maps.words.size(0), 64, 64}));
    for (std::size_t w = 0; w < t.words.size(); ++w) {
        torch::Tensor expected = torch::zeros({16, 16});
        for (const int token : t.words[w].tokens)
            expected += maps.tokens[1 + token];
        CHECK((maps.words[static_cast<int64_t>(w)] - expected).abs().max().item<double>() < 1e-6);
    }
    const LogSnrRange range = model->denoiser->trainedLogSnrRange();
    for (const double a : maps.logSnrs) {
        CHECK(a >= range.lo);
        CHECK(a <= range.hi);
    }
    // Same seed, same maps; another seed, other maps.
    const AttentionMaps same = computeAttentionMaps(*model->denoiser, *model->textEncoder, latent,
                                                    caption, settings, 0, 0);
    CHECK(torch::equal(same.words, maps.words));
    CHECK_FALSE(same.wordsImage.defined());
    settings.seed = 4;
    const AttentionMaps other = computeAttentionMaps(*model->denoiser, *model->textEncoder, latent,
                                                     caption, settings, 0, 0);
    CHECK((other.words - maps.words).abs().max().item<double>() > 1e-4);

    CancelToken token;
    token.cancel();
    CHECK_THROWS_AS(computeAttentionMaps(*model->denoiser, *model->textEncoder, latent, caption,
                                         settings, 0, 0, &token),
                    Cancelled);
    // A cancelled run leaves capture off: the next plain predict records nothing.
    const TextEncoding e = model->textEncoder->encode(caption);
    model->denoiser->predict(latent.unsqueeze(0), torch::zeros({1}), e.cond.unsqueeze(0),
                             e.mask.unsqueeze(0));
    CHECK(model->denoiser->attentionCapture()->takeCapturedAttention().empty());
}
