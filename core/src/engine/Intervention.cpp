#include "infolens/engine/Intervention.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "infolens/Error.h"
#include "infolens/engine/DdimSampler.h"
#include "infolens/engine/InfoPlan.h"
#include "infolens/engine/LogSnrSampler.h"
#include "infolens/io/Sha256.h"
#include "infolens/model/Denoiser.h"
#include "infolens/model/Model.h"

namespace infolens {

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

double psnr(const torch::Tensor& a, const torch::Tensor& b) {
    const double mse =
        (a.to(torch::kFloat64) - b.to(torch::kFloat64)).square().mean().item<double>();
    return 10.0 * std::log10(1.0 / std::max(1e-12, mse));
}

void checkCancel(const CancelToken* cancel) {
    if (cancel && cancel->cancelled())
        throw Cancelled("intervention cancelled");
}

void checkImage(const Model& model, const torch::Tensor& image) {
    if (!model.worksOnImages())
        throw Error("model '" + model.name +
                    "' does not work on images, so it has no interventions");
    if (image.dim() != 3 || image.size(0) != 3 || image.size(1) != model.imageHeight ||
        image.size(2) != model.imageWidth) {
        throw Error("the image has shape " + c10::str(image.sizes()) + " but the model takes [3, " +
                    std::to_string(model.imageHeight) + ", " + std::to_string(model.imageWidth) +
                    "]");
    }
}

// Forwards every call to the model's denoiser and counts the rows it evaluates, so that a caller
// sees progress between denoiser calls whichever part (DDIM, engine, attention) makes them.
// Forwards every virtual of Denoiser: a new one must be added here too.
class CountingDenoiser final : public Denoiser {
  public:
    CountingDenoiser(std::shared_ptr<Denoiser> inner, std::function<void(std::int64_t)> afterCall)
        : m_inner(std::move(inner)), m_afterCall(std::move(afterCall)) {}

    torch::Tensor predict(const torch::Tensor& z, const torch::Tensor& logSnr,
                          const torch::Tensor& cond, const torch::Tensor& condMask) override {
        torch::Tensor out = m_inner->predict(z, logSnr, cond, condMask);
        m_rows += z.size(0);
        if (m_afterCall)
            m_afterCall(m_rows);
        return out;
    }
    PredictionType predictionType() const override { return m_inner->predictionType(); }
    LogSnrRange trainedLogSnrRange() const override { return m_inner->trainedLogSnrRange(); }
    std::vector<int64_t> dataShape() const override { return m_inner->dataShape(); }
    torch::ScalarType dtype() const override { return m_inner->dtype(); }
    torch::Device device() const override { return m_inner->device(); }
    int preferredBatchRows() const override { return m_inner->preferredBatchRows(); }
    AttentionCapture* attentionCapture() override { return m_inner->attentionCapture(); }
    std::vector<double> stepLogSnrs() const override { return m_inner->stepLogSnrs(); }
    ProposalKind preferredProposal() const override { return m_inner->preferredProposal(); }

    std::int64_t rows() const { return m_rows; }

  private:
    std::shared_ptr<Denoiser> m_inner;
    std::function<void(std::int64_t)> m_afterCall;
    std::int64_t m_rows = 0;
};

}  // namespace

double pearsonR(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size())
        throw Error("Pearson r needs two samples of the same length");
    const std::size_t n = a.size();
    if (n < 2)
        return kNan;
    double ma = 0.0, mb = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        ma += a[i];
        mb += b[i];
    }
    ma /= static_cast<double>(n);
    mb /= static_cast<double>(n);
    double sab = 0.0, saa = 0.0, sbb = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double da = a[i] - ma, db = b[i] - mb;
        sab += da * db;
        saa += da * da;
        sbb += db * db;
    }
    if (!(saa > 0.0) || !(sbb > 0.0))
        return kNan;
    return sab / std::sqrt(saa * sbb);
}

double pearsonR(const torch::Tensor& a, const torch::Tensor& b) {
    if (a.numel() != b.numel())
        throw Error("Pearson r needs two maps of the same size, not " + c10::str(a.sizes()) +
                    " and " + c10::str(b.sizes()));
    const torch::Tensor fa = a.detach().to(torch::kCPU, torch::kFloat64).contiguous().flatten();
    const torch::Tensor fb = b.detach().to(torch::kCPU, torch::kFloat64).contiguous().flatten();
    const double* pa = fa.data_ptr<double>();
    const double* pb = fb.data_ptr<double>();
    return pearsonR(std::vector<double>(pa, pa + fa.numel()),
                    std::vector<double>(pb, pb + fb.numel()));
}

Estimate bootstrapEstimate(int items,
                           const std::function<double(const std::vector<int>&)>& statistic,
                           int resamples, double fraction, std::uint64_t seed) {
    Estimate out;
    std::vector<int> all(static_cast<std::size_t>(std::max(0, items)));
    for (int i = 0; i < items; ++i)
        all[i] = i;
    out.value = statistic(all);
    const int m = std::max(1, static_cast<int>(std::lround(fraction * items)));
    std::vector<double> values;
    for (int r = 0; r < resamples && items > 0; ++r) {
        std::vector<int> pick(static_cast<std::size_t>(m));
        for (int i = 0; i < m; ++i) {
            const double u = unitFromBits(mixSeed(mixSeed(seed, static_cast<std::uint64_t>(r)),
                                                  static_cast<std::uint64_t>(i)));
            pick[i] = std::min(items - 1, static_cast<int>(u * items));
        }
        const double v = statistic(pick);
        if (std::isfinite(v))
            values.push_back(v);
    }
    if (values.size() < 2) {
        out.se = kNan;
        return out;
    }
    double mean = 0.0;
    for (const double v : values)
        mean += v;
    mean /= static_cast<double>(values.size());
    double ss = 0.0;
    for (const double v : values)
        ss += (v - mean) * (v - mean);
    out.se = std::sqrt(ss / static_cast<double>(values.size() - 1));
    return out;
}

std::string tensorHash(const torch::Tensor& tensor) {
    const torch::Tensor t = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    std::ostringstream shape;
    shape << t.sizes() << "|";
    std::string bytes = shape.str();
    bytes.append(reinterpret_cast<const char*>(t.data_ptr<float>()),
                 static_cast<std::size_t>(t.numel()) * sizeof(float));
    return sha256Hex(bytes);
}

std::string InversionCache::keyOf(const Model& model, const torch::Tensor& image,
                                  const std::string& prompt, int steps, double guidance) {
    std::ostringstream key;
    key << model.hash << "|" << tensorHash(image) << "|" << steps << "|" << guidance << "|"
        << normalizeWhitespace(prompt);
    return key.str();
}

bool InversionCache::contains(const Model& model, const torch::Tensor& image,
                              const std::string& prompt, int steps, double guidance) const {
    const std::string key = keyOf(model, image, prompt, steps, guidance);
    return std::any_of(m_entries.begin(), m_entries.end(),
                       [&](const Entry& e) { return e.key == key; });
}

std::shared_ptr<const Inversion> InversionCache::get(Model& model, const torch::Tensor& image,
                                                     const std::string& prompt, int steps,
                                                     double guidance, const CancelToken* cancel) {
    checkImage(model, image);
    const std::string key = keyOf(model, image, prompt, steps, guidance);
    for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
        if (it->key == key) {
            ++m_hits;
            m_entries.splice(m_entries.begin(), m_entries, it);
            return it->inversion;
        }
    }
    ++m_misses;
    checkCancel(cancel);
    torch::InferenceMode guard;
    DdimSettings ddim;
    ddim.steps = steps;
    ddim.guidance = guidance;
    ddim.cancel = cancel;
    const DdimSampler sampler(*model.denoiser, ddim);
    const TextEncoding encoding = model.textEncoder->encode(prompt);
    auto inversion = std::make_shared<Inversion>();
    inversion->steps = steps;
    inversion->guidance = guidance;
    inversion->latent = model.codec->encode(image).to(torch::kCPU, torch::kFloat32);
    inversion->noise = sampler.invert(inversion->latent, encoding).to(torch::kCPU);
    checkCancel(cancel);
    const TextEncoding null = model.textEncoder->encode("");
    inversion->regenerated =
        sampler.generateFrom(inversion->noise, encoding, null).to(torch::kCPU, torch::kFloat32);
    inversion->regeneratedImage =
        model.codec->decode(inversion->regenerated).to(torch::kCPU, torch::kFloat32);
    inversion->latentRmse =
        (inversion->regenerated - inversion->latent).square().mean().sqrt().item<double>();
    inversion->psnrDb = psnr(inversion->regeneratedImage, image);
    inversion->psnrDecodedDb =
        psnr(inversion->regeneratedImage,
             model.codec->decode(inversion->latent).to(torch::kCPU, torch::kFloat32));
    m_entries.push_front({key, inversion});
    while (m_entries.size() > std::max<std::size_t>(1, m_capacity))
        m_entries.pop_back();
    return inversion;
}

torch::Tensor upsampleMap(const torch::Tensor& map, int64_t height, int64_t width) {
    const torch::Tensor m = map.to(torch::kCPU, torch::kFloat64);
    return torch::upsample_bilinear2d(m.view({1, 1, m.size(0), m.size(1)}), {height, width}, false)
        .view({height, width});
}

ChangeMaps changeMaps(const torch::Tensor& latentA, const torch::Tensor& latentB,
                      const torch::Tensor& imageA, const torch::Tensor& imageB) {
    ChangeMaps out;
    out.latent =
        (latentA.to(torch::kCPU, torch::kFloat64) - latentB.to(torch::kCPU, torch::kFloat64))
            .square()
            .sum(0);
    out.total = out.latent.sum().item<double>();
    out.pixels = (imageA.to(torch::kCPU, torch::kFloat64) - imageB.to(torch::kCPU, torch::kFloat64))
                     .square()
                     .sum(0);
    out.upsampled = upsampleMap(out.latent, out.pixels.size(0), out.pixels.size(1));
    return out;
}

const char* toString(EditKind kind) {
    return kind == EditKind::Swap ? "swap" : "remove";
}

std::string editedPrompt(const std::string& prompt, const TextEncoder& encoder,
                         const InterventionEdit& edit) {
    const Tokenization tokens = encoder.tokenize(prompt);
    if (edit.word < 0 || edit.word >= static_cast<int>(tokens.words.size())) {
        throw Error("word " + std::to_string(edit.word) + " is not in the prompt, which has " +
                    std::to_string(tokens.words.size()) + " words");
    }
    const Span& span = tokens.words[static_cast<std::size_t>(edit.word)].span;
    if (edit.kind == EditKind::Swap) {
        if (normalizeWhitespace(edit.replacement).empty())
            throw Error("a swap needs a replacement word");
        return normalizeWhitespace(replaceSpan(prompt, span, edit.replacement));
    }
    return normalizeWhitespace(withoutSpan(prompt, span, edit.mode, edit.placeholder));
}

InterventionResult runIntervention(Model& model, InversionCache& cache, const torch::Tensor& image,
                                   const std::string& prompt, const InterventionEdit& edit,
                                   const InterventionSettings& settings,
                                   const CancelToken* cancel) {
    checkImage(model, image);
    InterventionResult out;
    out.prompt = prompt;
    out.edited = editedPrompt(prompt, *model.textEncoder, edit);
    out.word = model.textEncoder->tokenize(prompt).words[static_cast<std::size_t>(edit.word)].text;

    // Progress by denoiser rows: what each stage will evaluate, as DdimSampler, InfoEngine (two
    // conditions per draw) and computeAttentionMaps call the denoiser.
    const bool withAttention = settings.attentionMaps && model.denoiser->attentionCapture();
    out.inversionCached = cache.contains(model, image, prompt, settings.steps, settings.guidance);
    const std::int64_t stepRows = settings.steps + 1;
    const std::int64_t regenerationRows = stepRows * (settings.guidance != 1.0 ? 2 : 1);
    const std::int64_t expectedRows = (out.inversionCached ? 0 : stepRows + regenerationRows) +
                                      regenerationRows +
                                      2 * std::int64_t{std::max(1, settings.engine.samples)} +
                                      (withAttention ? settings.attention.passes : 0);
    const char* stage = "inverting";
    auto counting = std::make_shared<CountingDenoiser>(model.denoiser, [&](std::int64_t rows) {
        if (settings.progress)
            settings.progress(stage, std::min(1.0, static_cast<double>(rows) /
                                                       static_cast<double>(expectedRows)));
    });
    Model counted = model;  // the same model, its denoiser calls counted
    counted.denoiser = counting;

    out.inversion = cache.get(counted, image, prompt, settings.steps, settings.guidance, cancel);

    torch::InferenceMode guard;
    stage = "regenerating";
    DdimSettings ddim;
    ddim.steps = settings.steps;
    ddim.guidance = settings.guidance;
    ddim.cancel = cancel;
    const DdimSampler sampler(*counting, ddim);
    const TextEncoding null = model.textEncoder->encode("");
    out.editedLatent =
        sampler.generateFrom(out.inversion->noise, model.textEncoder->encode(out.edited), null)
            .to(torch::kCPU, torch::kFloat32);
    out.editedImage = model.codec->decode(out.editedLatent).to(torch::kCPU, torch::kFloat32);
    out.change = changeMaps(out.inversion->regenerated, out.editedLatent,
                            out.inversion->regeneratedImage, out.editedImage);

    // The predicted map: information of the original prompt over the edited one, on the real
    // image's latent (for removal this is the word's CMI; for a swap ||eps(y) - eps(y')||^2).
    checkCancel(cancel);
    stage = "estimating";
    InfoEngine engine(counting, model.textEncoder);
    EngineSettings engineSettings = settings.engine;
    engineSettings.keepIntegrand = false;
    const Snapshot snap =
        engine.run(out.inversion->latent, InfoPlan::intervention(prompt, out.edited),
                   engineSettings, {}, cancel);
    if (snap.cancelled)
        throw Cancelled("intervention cancelled");
    out.evaluations += snap.evaluations;
    const PairResult& pair = snap.pairs.at(0);
    out.predicted = pair.ioMap.to(torch::kCPU, torch::kFloat64);
    out.cmi = pair.io;
    out.cmiStandard = pair.is;
    out.pixelRInformation = pearsonR(out.predicted, out.change.latent);

    out.pixelRAttention = kNan;
    if (withAttention) {
        stage = "attention";
        const AttentionMaps maps =
            computeAttentionMaps(*counting, *model.textEncoder, out.inversion->latent, prompt,
                                 settings.attention, 0, 0, cancel);
        out.evaluations += settings.attention.passes;
        out.attention = maps.words[edit.word];
        out.pixelRAttention = pearsonR(out.attention, out.change.latent);
    }
    out.allEvaluations = counting->rows();
    return out;
}

}  // namespace infolens
