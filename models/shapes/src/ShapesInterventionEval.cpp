#include "infolens/models/shapes/ShapesInterventionEval.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "infolens/Error.h"
#include "infolens/engine/AttentionMaps.h"
#include "infolens/engine/DdimSampler.h"
#include "infolens/engine/InfoPlan.h"
#include "infolens/engine/LogSnrSampler.h"
#include "infolens/model/ImageTensor.h"
#include "infolens/model/Model.h"
#include "infolens/models/shapes/ShapesWorld.h"

namespace infolens {

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// A content word of a caption: its word index, kind and (for colour and shape) its object's mask.
struct ContentWord {
    int word = -1;
    std::string kind;
    const std::vector<std::uint8_t>* mask = nullptr;
};

bool isRelationWord(const std::string& text) {
    return text == "left" || text == "right" || text == "above" || text == "below";
}

std::vector<ContentWord> contentWords(const ShapesScene& scene, const Tokenization& tokens) {
    std::vector<ContentWord> out;
    for (std::size_t w = 0; w < tokens.words.size(); ++w) {
        const Word& word = tokens.words[w];
        for (const ShapesReference& r : scene.references) {
            if (r.object < 0 || !(r.span == word.span))
                continue;
            if (r.kind == "color" || r.kind == "shape" || r.kind == "size") {
                out.push_back({static_cast<int>(w), r.kind, r.kind == "size" ? nullptr : &r.mask});
            }
        }
        if (scene.relation && word.span.begin >= scene.relation->span.begin &&
            word.span.end <= scene.relation->span.end && isRelationWord(word.text)) {
            out.push_back({static_cast<int>(w), "relation", nullptr});
        }
    }
    return out;
}

double insideFraction(const torch::Tensor& change, const std::vector<std::uint8_t>& mask) {
    const int64_t h = change.size(0), w = change.size(1);
    const torch::Tensor m =
        torch::from_blob(const_cast<std::uint8_t*>(mask.data()), {h, w}, torch::kUInt8)
            .to(torch::kFloat64);
    const double total = change.sum().item<double>();
    return total > 0.0 ? (change * m).sum().item<double>() / total : kNan;
}

double meanOf(const std::vector<double>& values) {
    double sum = 0.0;
    int n = 0;
    for (const double v : values) {
        if (std::isfinite(v)) {
            sum += v;
            ++n;
        }
    }
    return n > 0 ? sum / n : kNan;
}

}  // namespace

ShapesInterventionEvalResult evaluateShapesInterventions(
    Model& model, const ShapesInterventionEvalConfig& config,
    const std::function<void(const std::string&)>& progress, const CancelToken* cancel) {
    if (!model.worksOnImages() || !model.denoiser->attentionCapture())
        throw Error("intervene-eval needs a ShapesWorld latent-diffusion model");
    const auto start = std::chrono::steady_clock::now();
    torch::InferenceMode guard;
    ShapesInterventionEvalResult result;
    InversionCache cache(1);
    InfoEngine engine(model.denoiser, model.textEncoder);
    EngineSettings engineSettings;
    engineSettings.samples = config.samples;
    engineSettings.keepIntegrand = false;
    DdimSettings ddim;
    ddim.steps = config.steps;
    ddim.guidance = 1.0;
    ddim.cancel = cancel;
    const DdimSampler sampler(*model.denoiser, ddim);
    const TextEncoding null = model.textEncoder->encode("");
    const int size = model.imageWidth;
    double psnrSum = 0.0, psnrDecodedSum = 0.0;
    for (int n = 0; n < config.images; ++n) {
        const std::uint64_t index = config.firstIndex + static_cast<std::uint64_t>(n);
        const ShapesScene scene = generateShapesScene(config.split, index, size);
        const Tokenization tokens = model.textEncoder->tokenize(scene.caption);
        const std::vector<ContentWord> words = contentWords(scene, tokens);
        const torch::Tensor image = imageToTensor(Image{scene.size, scene.size, scene.rgb});
        const std::shared_ptr<const Inversion> inversion =
            cache.get(model, image, scene.caption, config.steps, 1.0, cancel);
        psnrSum += inversion->psnrDb;
        psnrDecodedSum += inversion->psnrDecodedDb;
        if (words.empty())
            continue;

        // Every word's CMI map from one engine run (the full caption is evaluated once).
        std::vector<PlanUnit> units;
        for (const ContentWord& c : words)
            units.push_back({tokens.words[static_cast<std::size_t>(c.word)].span, config.mode});
        engineSettings.seed = mixSeed(config.seed, index);
        const Snapshot snap =
            engine.run(inversion->latent, InfoPlan::unitsOf(scene.caption, units, "_", false),
                       engineSettings, {}, cancel);
        if (snap.cancelled)
            throw Cancelled("intervention evaluation cancelled");
        result.evaluations += snap.evaluations;
        AttentionSettings attentionSettings;
        attentionSettings.passes = config.attentionPasses;
        attentionSettings.seed = engineSettings.seed;
        const AttentionMaps attention =
            computeAttentionMaps(*model.denoiser, *model.textEncoder, inversion->latent,
                                 scene.caption, attentionSettings, 0, 0, cancel);
        result.evaluations += config.attentionPasses;

        for (std::size_t u = 0; u < words.size(); ++u) {
            const ContentWord& c = words[u];
            InterventionEdit edit;
            edit.word = c.word;
            edit.mode = config.mode;
            const std::string edited = editedPrompt(scene.caption, *model.textEncoder, edit);
            const torch::Tensor editedLatent =
                sampler.generateFrom(inversion->noise, model.textEncoder->encode(edited), null)
                    .to(torch::kCPU, torch::kFloat32);
            result.evaluations += config.steps + 1;
            const torch::Tensor editedImage =
                model.codec->decode(editedLatent).to(torch::kCPU, torch::kFloat32);
            const ChangeMaps change = changeMaps(inversion->regenerated, editedLatent,
                                                 inversion->regeneratedImage, editedImage);
            const PairResult& pair = snap.pairs.at(u);
            const torch::Tensor wordAttention = attention.words[c.word];
            ShapesInterventionRecord record;
            record.scene = index;
            record.word = tokens.words[static_cast<std::size_t>(c.word)].text;
            record.kind = c.kind;
            record.cmi = pair.io;
            record.cmiStandard = pair.is;
            record.attentionSum = wordAttention.sum().item<double>();
            record.totalChange = change.total;
            record.pixelRInformation = pearsonR(pair.ioMap, change.latent);
            record.pixelRAttention = pearsonR(wordAttention, change.latent);
            if (c.mask) {
                record.insideMask = insideFraction(change.upsampled, *c.mask);
                record.insideMaskPixels = insideFraction(change.pixels, *c.mask);
                double area = 0.0;
                for (const std::uint8_t v : *c.mask)
                    area += v;
                record.maskArea = area / static_cast<double>(c.mask->size());
            }
            result.records.push_back(record);
        }
        if ((n + 1) % 5 == 0 || n + 1 == config.images) {
            const double elapsed =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            progress(toString(config.split) + ": " + std::to_string(n + 1) + "/" +
                     std::to_string(config.images) + " scenes, " +
                     std::to_string(result.records.size()) + " interventions, " +
                     std::to_string(elapsed / (n + 1)) + " s per scene");
        }
    }
    result.inversionPsnrDb = config.images > 0 ? psnrSum / config.images : 0.0;
    result.inversionPsnrDecodedDb = config.images > 0 ? psnrDecodedSum / config.images : 0.0;
    summarizeShapesInterventions(result, config);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

void summarizeShapesInterventions(ShapesInterventionEvalResult& result,
                                  const ShapesInterventionEvalConfig& config) {
    // Bootstrap over scenes: each resample draws scenes, and a scene brings all its interventions.
    std::vector<std::uint64_t> scenes;
    std::map<std::uint64_t, std::vector<int>> byScene;
    for (std::size_t i = 0; i < result.records.size(); ++i) {
        const std::uint64_t s = result.records[i].scene;
        if (!byScene.count(s))
            scenes.push_back(s);
        byScene[s].push_back(static_cast<int>(i));
    }
    using Pick = std::vector<int>;
    auto gather = [&](const Pick& pick,
                      const std::function<bool(const ShapesInterventionRecord&)>& keep) {
        std::vector<const ShapesInterventionRecord*> out;
        for (const int p : pick) {
            for (const int i : byScene.at(scenes[static_cast<std::size_t>(p)])) {
                if (keep(result.records[static_cast<std::size_t>(i)]))
                    out.push_back(&result.records[static_cast<std::size_t>(i)]);
            }
        }
        return out;
    };
    auto all = [](const ShapesInterventionRecord&) { return true; };
    auto masked = [](const ShapesInterventionRecord& r) { return r.insideMask >= 0.0; };
    auto ofKind = [](const std::string& kind) {
        return [kind](const ShapesInterventionRecord& r) { return r.kind == kind; };
    };
    using Field = std::function<double(const ShapesInterventionRecord&)>;
    auto correlation = [&](const Field& x, const Field& y) {
        return [&, x, y](const Pick& pick) {
            std::vector<double> a, b;
            for (const ShapesInterventionRecord* r : gather(pick, all)) {
                a.push_back(x(*r));
                b.push_back(y(*r));
            }
            return a.size() >= 2 ? pearsonR(a, b) : kNan;
        };
    };
    auto mean = [&](const Field& f,
                    const std::function<bool(const ShapesInterventionRecord&)>& keep) {
        return [&, f, keep](const Pick& pick) {
            std::vector<double> v;
            for (const ShapesInterventionRecord* r : gather(pick, keep))
                v.push_back(f(*r));
            return meanOf(v);
        };
    };
    const int n = static_cast<int>(scenes.size());
    auto estimate = [&](const std::function<double(const Pick&)>& statistic) {
        return bootstrapEstimate(n, statistic, config.bootstrapResamples, config.bootstrapFraction,
                                 mixSeed(config.seed, 0x626f6f74ULL));
    };
    const Field change = [](const ShapesInterventionRecord& r) { return r.totalChange; };
    auto& m = result.metrics;
    m["image_r_information"] = estimate(
        correlation([](const ShapesInterventionRecord& r) { return r.cmiStandard.value; }, change));
    m["image_r_information_orthogonal"] = estimate(
        correlation([](const ShapesInterventionRecord& r) { return r.cmi.value; }, change));
    m["image_r_attention"] = estimate(
        correlation([](const ShapesInterventionRecord& r) { return r.attentionSum; }, change));
    m["pixel_r_information"] =
        estimate(mean([](const ShapesInterventionRecord& r) { return r.pixelRInformation; }, all));
    m["pixel_r_attention"] =
        estimate(mean([](const ShapesInterventionRecord& r) { return r.pixelRAttention; }, all));
    const Field inside = [](const ShapesInterventionRecord& r) { return r.insideMask; };
    m["change_inside_mask"] = estimate(mean(inside, masked));
    m["change_inside_mask_color"] = estimate(mean(inside, ofKind("color")));
    m["change_inside_mask_shape"] = estimate(mean(inside, ofKind("shape")));
    const Field insidePixels = [](const ShapesInterventionRecord& r) {
        return r.insideMaskPixels;
    };
    m["change_inside_mask_pixels"] = estimate(mean(insidePixels, masked));
    m["change_inside_mask_color_pixels"] = estimate(mean(insidePixels, ofKind("color")));
    m["change_inside_mask_shape_pixels"] = estimate(mean(insidePixels, ofKind("shape")));
    m["mask_area"] =
        estimate(mean([](const ShapesInterventionRecord& r) { return r.maskArea; }, masked));
    for (const char* kind : {"color", "shape", "size", "relation"}) {
        m[std::string("pixel_r_information_") + kind] = estimate(mean(
            [](const ShapesInterventionRecord& r) { return r.pixelRInformation; }, ofKind(kind)));
        m[std::string("pixel_r_attention_") + kind] = estimate(mean(
            [](const ShapesInterventionRecord& r) { return r.pixelRAttention; }, ofKind(kind)));
    }
    result.counts["scenes_with_interventions"] = n;
    result.counts["interventions"] = static_cast<int>(result.records.size());
    for (const ShapesInterventionRecord& r : result.records) {
        ++result.counts[r.kind];
        if (r.insideMask >= 0.0)
            ++result.counts["masked"];
    }
}

nlohmann::json toJson(const ShapesInterventionEvalResult& r,
                      const ShapesInterventionEvalConfig& c) {
    nlohmann::json json;
    auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
    for (const auto& [name, e] : r.metrics)
        json[name] = {{"value", number(e.value)}, {"se", number(e.se)}};
    json["counts"] = r.counts;
    json["split"] = toString(c.split);
    json["first_index"] = c.firstIndex;
    json["n_scenes"] = c.images;
    json["seed"] = c.seed;
    json["steps"] = c.steps;
    json["samples"] = c.samples;
    json["attention_passes"] = c.attentionPasses;
    json["mode"] = c.mode == WordMode::Omit ? "omit" : "placeholder";
    json["bootstrap"] = {{"resamples", c.bootstrapResamples},
                         {"fraction", c.bootstrapFraction},
                         {"unit", "scene"},
                         {"with_replacement", true}};
    json["inversion_psnr_db"] = r.inversionPsnrDb;
    json["inversion_psnr_vs_decoded_db"] = r.inversionPsnrDecodedDb;
    json["evaluations"] = r.evaluations;
    json["seconds"] = r.seconds;
    json["seconds_per_scene"] = c.images > 0 ? r.seconds / c.images : 0.0;
    return json;
}

}  // namespace infolens
