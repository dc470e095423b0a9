#include "infolens/models/shapes/ShapesEval.h"
#include "infolens/models/shapes/ShapesFamily.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "infolens/Error.h"
#include "infolens/engine/AttentionMaps.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/engine/LogSnrProposal.h"
#include "infolens/model/ImageTensor.h"
#include "infolens/model/Model.h"
#include "infolens/models/shapes/ShapesModel.h"

namespace infolens {

namespace {

constexpr int kThresholds = 19;  // 0.05, 0.10, ..., 0.95
double thresholdAt(int i) {
    return 0.05 * (i + 1);
}

const char* const kMethods[] = {"cmi_phrase", "cmi_color", "cmi_shape",
                                "mi",         "attention", "whole_image"};

// IoU sums over references at every threshold of the grid, per method.
struct IouTable {
    std::map<std::string, std::vector<double>> sums;
    std::map<std::string, int> counts;

    void add(const std::string& method, const torch::Tensor& normalized,
             const torch::Tensor& truth) {
        auto& row = sums[method];
        row.resize(kThresholds, 0.0);
        for (int t = 0; t < kThresholds; ++t) {
            const torch::Tensor predicted = normalized >= thresholdAt(t);
            const double inter = (predicted & truth).sum().item<double>();
            const double uni = (predicted | truth).sum().item<double>();
            row[t] += uni > 0 ? inter / uni : 0.0;
        }
        ++counts[method];
    }
    void addConstant(const std::string& method, double iou) {
        auto& row = sums[method];
        row.resize(kThresholds, 0.0);
        for (double& v : row)
            v += iou;
        ++counts[method];
    }
    int best(const std::string& method) const {
        const auto& row = sums.at(method);
        return static_cast<int>(std::max_element(row.begin(), row.end()) - row.begin());
    }
    double mean(const std::string& method, int t) const {
        return sums.at(method)[t] / counts.at(method);
    }
};

torch::Tensor sceneImage(const ShapesScene& scene) {
    return imageToTensor(Image{scene.size, scene.size, scene.rgb});
}

torch::Tensor maskTensor(const std::vector<std::uint8_t>& mask, int size) {
    return torch::from_blob(const_cast<std::uint8_t*>(mask.data()), {size, size}, torch::kUInt8)
        .to(torch::kBool);
}

// Bilinear upsampling of a latent map to the image, then min-max normalisation to [0, 1].
torch::Tensor normalizedMap(const torch::Tensor& map, int size) {
    torch::Tensor up =
        torch::upsample_bilinear2d(map.to(torch::kFloat32).view({1, 1, map.size(0), map.size(1)}),
                                   {size, size}, false)
            .view({size, size});
    const double lo = up.min().item<double>(), hi = up.max().item<double>();
    return hi > lo ? (up - lo) / (hi - lo) : torch::zeros_like(up);
}

// Average cross-attention of each token over layers, heads and log-SNR draws, at image size,
// through the denoiser's generic readout. Each layer is resized straight to the image (not via the
// latent size) and the noise is this evaluation's own, so localization numbers stay comparable
// with earlier runs.
torch::Tensor attentionMaps(Model& model, const torch::Tensor& latent, const std::string& prompt,
                            int passes, std::uint64_t seed, int size) {
    AttentionCapture* capture = model.denoiser->attentionCapture();
    if (!capture)
        throw Error("the model has no cross-attention readout");
    const TextEncoding encoding = model.textEncoder->encode(prompt);
    const LogSnrRange range = model.denoiser->trainedLogSnrRange();
    const LogSnrProposal proposal = LogSnrProposal::fitToRange(range.lo, range.hi);
    const LogSnrSampler sampler(SamplerKind::Stratified, seed, 1);
    std::vector<float> logSnrs;
    for (int i = 0; i < passes; ++i)
        logSnrs.push_back(static_cast<float>(proposal.logSnrFromUnit(sampler.unit(i))));
    const torch::Tensor a = torch::tensor(logSnrs);
    auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    const torch::Tensor eps = at::randn({passes, latent.size(0), latent.size(1), latent.size(2)},
                                        generator, torch::TensorOptions());
    const torch::Tensor clean = latent.to(torch::kCPU, torch::kFloat32).unsqueeze(0);
    const torch::Tensor z = torch::sigmoid(a).sqrt().view({-1, 1, 1, 1}) * clean +
                            torch::sigmoid(-a).sqrt().view({-1, 1, 1, 1}) * eps;
    capture->setCaptureAttention(true);
    model.denoiser->predict(z, a, encoding.cond.unsqueeze(0).expand({passes, -1, -1}),
                            encoding.mask.unsqueeze(0).expand({passes, -1}));
    const std::vector<torch::Tensor> layers = capture->takeCapturedAttention();
    capture->setCaptureAttention(false);
    return averageAttentionLayers(layers, size, size).mean(0);
}

struct SplitScores {
    IouTable table;
    std::map<std::string, int> wins, winsStandard, trials;
    std::int64_t evaluations = 0;
};

SplitScores scoreSplit(Model& model, ShapesSplit split, std::uint64_t first, int images,
                       const ShapesEvalConfig& config, bool compositional,
                       const std::function<void(const std::string&)>& progress) {
    SplitScores scores;
    InfoEngine engine(model.denoiser, model.textEncoder);
    EngineSettings settings;
    settings.samples = config.samples;
    settings.maxBatch = config.maxBatch;
    settings.sampler = config.sampler;
    settings.keepIntegrand = false;
    const int size = model.imageWidth;
    for (int n = 0; n < images; ++n) {
        const std::uint64_t index = first + static_cast<std::uint64_t>(n);
        const ShapesScene scene = generateShapesScene(split, index, size);
        const torch::Tensor latent = model.codec->encode(sceneImage(scene));
        settings.seed = mixSeed(config.seed, index);

        std::vector<Span> units;
        std::vector<const ShapesReference*> references;
        for (const ShapesReference& r : scene.references) {
            if (r.kind == "phrase" || r.kind == "color" || r.kind == "shape") {
                units.push_back(r.span);
                references.push_back(&r);
            }
        }
        const InfoPlan plan = InfoPlan::unitsOf(scene.caption, units);
        const Snapshot snap = engine.run(latent, plan, settings);
        scores.evaluations += snap.evaluations;
        const torch::Tensor miMap = normalizedMap(snap.pairs[0].ioMap, size);
        const torch::Tensor attention = attentionMaps(model, latent, scene.caption,
                                                      config.attentionPasses, settings.seed, size);
        const Tokenization tokens = model.textEncoder->tokenize(scene.caption);
        for (std::size_t u = 0; u < references.size(); ++u) {
            const ShapesReference& r = *references[u];
            const torch::Tensor truth = maskTensor(r.mask, size);
            scores.table.add("cmi_" + r.kind, normalizedMap(snap.pairs[u + 1].ioMap, size), truth);
            if (r.kind != "phrase")
                continue;
            scores.table.add("mi", miMap, truth);
            torch::Tensor phraseAttention = torch::zeros({size, size});
            int count = 0;
            for (std::size_t t = 0; t < tokens.tokens.size(); ++t) {
                if (tokens.tokens[t].begin >= r.span.begin && tokens.tokens[t].end <= r.span.end) {
                    phraseAttention += attention[static_cast<int64_t>(t) + 1];  // +1: [BOS]
                    ++count;
                }
            }
            if (count > 0)
                scores.table.add("attention", normalizedMap(phraseAttention / count, size), truth);
            scores.table.addConstant("whole_image", truth.sum().item<double>() / (size * size));
        }

        if (compositional) {
            std::vector<std::string> captions = {scene.caption};
            std::vector<std::string> kinds;
            if (const auto c = swapColorsCaption(scene)) {
                captions.push_back(*c);
                kinds.push_back("attribute");
            }
            if (const auto c = swapRelationCaption(scene)) {
                captions.push_back(*c);
                kinds.push_back("relation");
            }
            captions.push_back(shuffleWordsCaption(scene, settings.seed));
            kinds.push_back("order");
            const Snapshot ranked = engine.run(latent, InfoPlan::captions(captions), settings);
            scores.evaluations += ranked.evaluations;
            for (std::size_t k = 0; k < kinds.size(); ++k) {
                ++scores.trials[kinds[k]];
                if (ranked.pairs[0].io.value > ranked.pairs[k + 1].io.value)
                    ++scores.wins[kinds[k]];
                // The standard form is the log-likelihood ratio itself; reported beside i_o.
                if (ranked.pairs[0].is.value > ranked.pairs[k + 1].is.value)
                    ++scores.winsStandard[kinds[k]];
            }
        }
        if ((n + 1) % 10 == 0 || n + 1 == images) {
            progress(toString(split) + ": " + std::to_string(n + 1) + "/" + std::to_string(images) +
                     " images");
        }
    }
    return scores;
}

}  // namespace

ShapesEvalResult evaluateShapesModel(const ShapesModelHandle& handle,
                                     const ShapesEvalConfig& config,
                                     const std::function<void(const std::string&)>& progress) {
    if (!handle.model || !handle.networks || !handle.model->worksOnImages())
        throw Error("eval needs a ShapesWorld latent-diffusion model");
    Model& model = *handle.model;
    if (config.split == ShapesSplit::Validation)
        throw Error("thresholds come from the validation split; evaluate train or test");
    const auto start = std::chrono::steady_clock::now();
    torch::InferenceMode guard;
    ShapesEvalResult result;
    const SplitScores validation = scoreSplit(model, ShapesSplit::Validation, 0,
                                              config.validationImages, config, false, progress);
    const SplitScores evaluated =
        scoreSplit(model, config.split, config.firstIndex, config.images, config, true, progress);
    for (const char* method : kMethods) {
        if (!validation.table.counts.count(method) || !evaluated.table.counts.count(method))
            continue;
        const int t = validation.table.best(method);
        result.thresholds[method] = thresholdAt(t);
        result.localization[method] = evaluated.table.mean(method, t);
        result.localizationOracle[method] =
            evaluated.table.mean(method, evaluated.table.best(method));
        result.localizationCounts[method] = evaluated.table.counts.at(method);
    }
    for (const auto& [kind, trials] : evaluated.trials) {
        const auto wins = evaluated.wins.count(kind) ? evaluated.wins.at(kind) : 0;
        result.compositional[kind] = static_cast<double>(wins) / trials;
        const auto winsStandard =
            evaluated.winsStandard.count(kind) ? evaluated.winsStandard.at(kind) : 0;
        result.compositionalStandard[kind] = static_cast<double>(winsStandard) / trials;
        result.compositionalCounts[kind] = trials;
    }
    result.images = config.images;
    result.evaluations = validation.evaluations + evaluated.evaluations;
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

nlohmann::json toJson(const ShapesEvalResult& r, const ShapesEvalConfig& c) {
    return {{"localization", r.localization},
            {"localization_thresholds_from_validation", r.thresholds},
            {"localization_oracle_threshold_on_evaluated_split", r.localizationOracle},
            {"localization_references", r.localizationCounts},
            {"compositional", r.compositional},
            {"compositional_trials", r.compositionalCounts},
            {"compositional_by_standard_form", r.compositionalStandard},
            {"n_images", r.images},
            {"validation_images", c.validationImages},
            {"split", toString(c.split)},
            {"first_index", c.firstIndex},
            {"samples", c.samples},
            {"sampler", toString(c.sampler)},
            {"attention_passes", c.attentionPasses},
            {"seed", c.seed},
            {"evaluations", r.evaluations},
            {"seconds", r.seconds}};
}

}  // namespace infolens
