#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "Args.h"
#include "Commands.h"
#include "ModelOptions.h"
#include "Statistics.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/model/Model.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/models/BuiltinFamilies.h"

namespace infolens::cli {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

int benchThroughputCommand(int argc, char** argv) {
    Args args("bench-throughput",
              "Denoiser evaluations per second inside InfoEngine (MI + every word's CMI of "
              "--prompt) versus raw\n"
              "batched forward passes of the same model at the same rows per call, in one run; "
              "medians over repeats.",
              withModelOptions({{"prompt", "TEXT", "prompt whose words are decomposed",
                                 "a photo of a small red circle left of a large blue square"},
                                {"batch", "N", "maximum rows per denoiser call", "64"},
                                {"samples", "S", "log-SNR draws per engine run", "64"},
                                {"repeats", "R", "repeats (medians reported)", "5"},
                                {"json", "", "print JSON (the only output format)", ""}}));
    if (!args.parse(argc, argv))
        return 0;
    const auto model = openModel(args);
    const std::string prompt = args.text("prompt");
    const int repeats = args.integer("repeats", 1, 1000);
    InfoEngine engine(model->denoiser, model->textEncoder);
    const InfoPlan plan = InfoPlan::wordsOf(prompt, *model->textEncoder);
    const auto conditions = static_cast<int64_t>(plan.conditions().size());
    EngineSettings settings;
    settings.maxBatch = args.integer("batch", 1, 65536);
    settings.samples = args.integer("samples", 1, 1 << 20);
    // The engine fills each call with whole draws; raw passes use the same number of rows.
    const int64_t rows = std::max<int64_t>(1, settings.maxBatch / conditions) * conditions;
    const std::vector<int64_t> shape = model->denoiser->dataShape();
    const torch::Tensor x = torch::randn(shape);

    torch::InferenceMode guard;
    const TextEncoding& encoding = engine.encoding(prompt);
    const torch::Tensor z =
        torch::randn({rows, shape[0], shape[1], shape[2]}).to(model->denoiser->dtype());
    const torch::Tensor a = torch::linspace(-5.0, 5.0, rows);
    const torch::Tensor cond = encoding.cond.unsqueeze(0).expand({rows, -1, -1}).contiguous();
    const torch::Tensor mask = encoding.mask.unsqueeze(0).expand({rows, -1}).contiguous();
    const int64_t callsPerRepeat = std::max<int64_t>(1, settings.samples * conditions / rows);
    engine.run(x, plan, settings);  // warm-up (and text cache)
    std::vector<double> raw, inEngine;
    for (int r = 0; r < repeats; ++r) {
        auto t0 = Clock::now();
        for (int64_t c = 0; c < callsPerRepeat; ++c)
            model->denoiser->predict(z, a, cond, mask);
        raw.push_back(static_cast<double>(callsPerRepeat * rows) /
                      std::chrono::duration<double>(Clock::now() - t0).count());
        settings.seed = static_cast<std::uint64_t>(r);
        t0 = Clock::now();
        const Snapshot snap = engine.run(x, plan, settings);
        inEngine.push_back(static_cast<double>(snap.evaluations) /
                           std::chrono::duration<double>(Clock::now() - t0).count());
    }
    const double rawMedian = median(raw), engineMedian = median(inEngine);
    std::cout << nlohmann::json{{"model", model->name},
                                {"device", deviceName(model->placement.device)},
                                {"dtype", dtypeName(model->placement.dtype)},
                                {"conditions", conditions},
                                {"rows_per_call", rows},
                                {"repeats", repeats},
                                {"threads", torch::get_num_threads()},
                                {"raw_evals_per_s", rawMedian},
                                {"engine_evals_per_s", engineMedian},
                                {"ratio", engineMedian / rawMedian}}
                     .dump(2)
              << "\n";
    return 0;
}

}  // namespace infolens::cli
