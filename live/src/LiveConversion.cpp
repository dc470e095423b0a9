#include "LiveConversion.h"

#include <torch/torch.h>

namespace infolens::live {

namespace {

constexpr double kLn2 = 0.69314718055994530942;

std::vector<float> scaledCopy(const torch::Tensor& map, double factor) {
    const torch::Tensor f = (map * factor).to(torch::kFloat32).contiguous();
    return {f.data_ptr<float>(), f.data_ptr<float>() + f.numel()};
}

WordResult wordFrom(const PairResult& pair, double pixelsPerCell) {
    WordResult w;
    w.text = pair.pair.label;
    w.span = pair.pair.span;
    w.mode = pair.pair.mode;
    w.bits = pair.io.value / kLn2;
    w.seBits = pair.io.se / kLn2;
    w.standardBits = pair.is.value / kLn2;
    w.standardSeBits = pair.is.se / kLn2;
    w.draws = pair.draws;
    w.converged = pair.retired;
    if (pair.ioMap.defined()) {
        w.map = scaledCopy(pair.ioMap, 1.0 / (kLn2 * pixelsPerCell));
        w.mapSe = scaledCopy(pair.ioMapSe, 1.0 / (kLn2 * pixelsPerCell));
    }
    w.integrand.reserve(pair.integrand.size());
    for (const IntegrandSample& s : pair.integrand) {
        w.integrand.push_back(
            {static_cast<float>(s.logSnr), static_cast<float>(s.orthogonal / kLn2)});
    }
    return w;
}

}  // namespace

InfoPlan planFor(const LiveRequest& request, const Tokenization& tokens) {
    std::vector<PlanUnit> units;
    for (std::size_t i = 0; i < tokens.words.size(); ++i) {
        const WordMode mode = i < request.modes.size() ? request.modes[i] : WordMode::Omit;
        units.push_back({tokens.words[i].span, mode});
    }
    return InfoPlan::unitsOf(request.prompt, units, request.placeholder, true);
}

std::shared_ptr<LiveResult> resultFrom(const Snapshot& s, const ResultContext& c) {
    const LiveRequest& request = *c.request;
    auto result = std::make_shared<LiveResult>();
    result->generation = c.generation;
    result->prompt = request.prompt;
    result->seed = request.seed;
    result->iidSampler = request.iidSampler;
    result->targetRelativeSe = request.targetRelativeSe;
    result->placeholder = request.placeholder;
    result->replicas = c.replicas;
    result->drawsDone = s.drawsDone;
    result->sampleCap = c.sampleCap;
    result->evaluations = s.evaluations;
    result->elapsedMs = c.elapsedMs;
    result->evaluationsPerSecond =
        c.elapsedMs > 0 ? static_cast<double>(s.evaluations) / (c.elapsedMs / 1000.0) : 0.0;
    result->mapWidth = c.mapWidth;
    result->mapHeight = c.mapHeight;
    result->imagePixelsPerCell = c.imagePixelsPerCell;
    result->nullAvailable = s.nullAvailable;
    result->nullBitsPerDim = s.nullBitsPerDim;
    result->nullBitsPerDimSe = s.nullBitsPerDimSe;
    for (const PairResult& p : s.pairs) {
        if (p.pair.kind == PairKind::Mi) {
            result->mi = wordFrom(p, c.imagePixelsPerCell);
            result->mi.text = request.prompt;
        } else {
            WordResult w = wordFrom(p, c.imagePixelsPerCell);
            const std::size_t i = result->words.size();
            w.text = c.tokens->words[i].text;
            w.unknown = c.tokens->words[i].unknown;
            result->words.push_back(std::move(w));
        }
    }
    return result;
}

std::vector<EstimateView> estimatesOf(const Snapshot& snapshot) {
    std::vector<EstimateView> estimates;
    for (const PairResult& p : snapshot.pairs)
        estimates.push_back({p.io.value, p.io.se});
    return estimates;
}

}  // namespace infolens::live
