// `infolens-cli image-fit`: how well the unconditional model explains an image (negative
// log-likelihood, bits per dimension), the per-model reference on held-out ShapesWorld scenes,
// and the false-alarm rate of the app's warning rule on fresh scenes (ImageFitRule.h).
#include <torch/torch.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "Args.h"
#include "Commands.h"
#include "MapsOutput.h"
#include "ModelOptions.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/live/ImageFitRule.h"
#include "infolens/model/ImageTensor.h"
#include "infolens/model/Model.h"
#include "infolens/models/shapes/ShapesWorld.h"

namespace infolens::cli {

namespace {

struct NullFit {
    double bitsPerDim = 0.0;
    double se = 0.0;
    std::int64_t evaluations = 0;
};

// One row per draw: the "" condition against itself (its pair is zero; only the null statistic
// of the snapshot is used), so one denoiser row per draw.
NullFit nullFit(InfoEngine& engine, const torch::Tensor& x, const EngineSettings& settings) {
    InfoPlan plan;
    const int null = plan.addCondition("");
    InfoPair pair;
    pair.label = "null";
    pair.kind = PairKind::Mi;
    pair.c1 = null;
    pair.c2 = null;
    plan.addPair(pair);
    const Snapshot s = engine.run(x, plan, settings);
    if (!s.nullAvailable)
        throw Error("the engine reported no null-prompt statistic");
    return {s.nullBitsPerDim, s.nullBitsPerDimSe, s.evaluations};
}

nlohmann::json referenceSummary(const std::optional<ImageFitReference>& r) {
    if (!r)
        return nullptr;
    return {{"path", r->path},
            {"model_hash", r->modelHash},
            {"median_bits_per_dim", r->median},
            {"p99_bits_per_dim", r->p99},
            {"n", r->n},
            {"seed", r->seed},
            {"samples", r->samples}};
}

}  // namespace

int imageFitCommand(int argc, char** argv) {
    const std::vector<OptionSpec> options = withModelOptions({
        {"image", "F", "an image to assess (instead of --scenes)", ""},
        {"scenes", "", "assess held-out ShapesWorld scenes (--split, --first, --n)", ""},
        {"split", "train|test", "ShapesWorld split for --scenes", "test"},
        {"first", "I", "first scene index for --scenes", "0"},
        {"n", "SCENES", "scenes for --scenes", "100"},
        {"samples", "S", "log-SNR draws per image", "64"},
        {"seed", "N", "seed of the draws (each scene adds its index)", "0"},
        {"reference", "FILE",
         "reference to compare with (default: <model dir>.image-fit.json with the model's hash)",
         ""},
        {"write-reference", "FILE", "with --scenes: write the reference for this model to FILE",
         ""},
        {"threads", "N", "intra-op threads (0: every core); 1 on a shared machine", "0"},
        {"json", "", "print JSON (the only output format)", ""},
    });
    Args args("image-fit",
              "How well the unconditional model (\"\" prompt) explains an image: its negative "
              "log-likelihood in bits per\n"
              "data dimension (latent dimensions for a latent model) +- SE, from the null "
              "prediction's denoising error\n"
              "integrated over the trained log-SNR range (METHOD.md section 2). The app warns "
              "\"this image looks unlike\n"
              "what this model was trained on\" when it exceeds the model's reference 99th "
              "percentile by more than 2 SE.\n"
              "--scenes computes it on held-out ShapesWorld scenes: with --write-reference it "
              "writes the reference\n"
              "(median, 99th percentile, n, seed, samples, model hash); with a reference it "
              "reports the fraction of\n"
              "scenes the rule flags (the false-alarm rate; use scenes the reference did not "
              "see).",
              options);
    if (!args.parse(argc, argv))
        return 0;
    if (args.has("image") == args.has("scenes"))
        throw UsageError("give either --image F or --scenes");
    if (args.has("write-reference") && !args.has("scenes"))
        throw UsageError("--write-reference needs --scenes");
    if (const int threads = args.integer("threads", 0, 1024); threads > 0)
        torch::set_num_threads(threads);
    EngineSettings settings;
    settings.samples = args.integer("samples", 2, 1 << 20);
    settings.keepIntegrand = false;
    const std::uint64_t seed = args.unsignedInteger("seed");
    const std::shared_ptr<Model> model = openModel(args);
    InfoEngine engine(model->denoiser, model->textEncoder);
    std::optional<ImageFitReference> reference;
    if (args.has("reference")) {
        reference = readImageFitReference(args.text("reference"));
        if (!reference)
            throw Error("'" + args.text("reference") + "' is not an image-fit reference");
        if (reference->modelHash != model->hash)
            std::cerr << "note: the reference is for model " << reference->modelHash.substr(0, 12)
                      << ", not " << model->hash.substr(0, 12) << "\n";
    } else if (!args.has("write-reference")) {
        reference = findImageFitReference(model->directory, model->hash);
    }
    const LogSnrRange range = model->denoiser->trainedLogSnrRange();
    nlohmann::json out = {{"model", {{"name", model->name}, {"hash", model->hash}}},
                          {"device", deviceName(model->placement.device)},
                          {"samples", settings.samples},
                          {"log_snr_range", {range.lo, range.hi}},
                          {"unit", "bits per data dimension"},
                          {"reference", referenceSummary(reference)}};

    if (args.has("image")) {
        nlohmann::json source;
        Image base;
        settings.seed = seed;
        const torch::Tensor x =
            loadMapsData(*model, args.text("image"), args.text("image"), seed, source, base);
        const NullFit fit = nullFit(engine, x, settings);
        out["source"] = source;
        out["seed"] = seed;
        out["bits_per_dim"] = fit.bitsPerDim;
        out["se_bits_per_dim"] = fit.se;
        out["evaluations"] = fit.evaluations;
        out["warns"] = reference ? nlohmann::json(imageFitWarns(fit.bitsPerDim, fit.se, *reference))
                                 : nlohmann::json(nullptr);
        std::cout << out.dump(2) << "\n";
        return 0;
    }

    if (!model->worksOnImages() || model->imageWidth != model->imageHeight)
        throw UsageError("--scenes needs a ShapesWorld model; '" + model->name + "' is " +
                         model->kind);
    const std::string split = args.text("split");
    const std::uint64_t first = args.unsignedInteger("first");
    const int n = args.integer("n", 1, 1000000);
    std::vector<double> values;
    int flagged = 0;
    nlohmann::json scenes = nlohmann::json::array();
    for (int i = 0; i < n; ++i) {
        const std::uint64_t index = first + static_cast<std::uint64_t>(i);
        const ShapesScene scene =
            generateShapesScene(shapesSplitFromString(split), index, model->imageWidth);
        settings.seed = seed + index;
        const torch::Tensor x =
            model->codec->encode(imageToTensor(Image{scene.size, scene.size, scene.rgb}));
        const NullFit fit = nullFit(engine, x, settings);
        values.push_back(fit.bitsPerDim);
        const bool warns = reference && imageFitWarns(fit.bitsPerDim, fit.se, *reference);
        flagged += warns ? 1 : 0;
        scenes.push_back({{"index", index},
                          {"bits_per_dim", fit.bitsPerDim},
                          {"se_bits_per_dim", fit.se},
                          {"warns", warns}});
        std::cerr << "\rscene " << i + 1 << "/" << n << std::flush;
    }
    std::cerr << "\n";
    out["split"] = split;
    out["first"] = first;
    out["n"] = n;
    out["seed"] = seed;
    out["median_bits_per_dim"] = imageFitQuantile(values, 0.5);
    out["p99_bits_per_dim"] = imageFitQuantile(values, 0.99);
    out["max_bits_per_dim"] = imageFitQuantile(values, 1.0);
    out["scenes"] = scenes;
    if (reference) {
        out["flagged"] = flagged;
        out["false_alarm_rate"] = static_cast<double>(flagged) / n;
    }
    if (args.has("write-reference")) {
        ImageFitReference r;
        r.modelName = model->name;
        r.modelHash = model->hash;
        r.split = split;
        r.first = first;
        r.n = n;
        r.seed = seed;
        r.samples = settings.samples;
        r.median = out["median_bits_per_dim"];
        r.p99 = out["p99_bits_per_dim"];
        r.max = out["max_bits_per_dim"];
        nlohmann::json file = imageFitReferenceJson(r, values);
        file["log_snr_range"] = {range.lo, range.hi};
        writeFileAtomically(args.text("write-reference"), file.dump(2) + "\n");
        out["wrote"] = args.text("write-reference");
    }
    std::cout << out.dump(2) << "\n";
    return 0;
}

}  // namespace infolens::cli
