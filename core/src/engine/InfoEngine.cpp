#include "infolens/engine/InfoEngine.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "infolens/Error.h"
#include "infolens/engine/LogSnrProposal.h"
#include "infolens/model/Denoiser.h"

namespace infolens {

namespace {

constexpr std::uint64_t kLogSnrStream = 0x1065a5e1ULL;
constexpr std::uint64_t kNoiseStream = 0xe95e7a11ULL;

// CUDA's allocator says "CUDA out of memory" (c10::OutOfMemoryError in LibTorch 2.x, a plain
// c10::Error in 1.13); the CPU allocator "can't allocate memory".
bool isOutOfMemory(const c10::Error& e) {
    const std::string what = e.what();
    return what.find("out of memory") != std::string::npos ||
           what.find("can't allocate memory") != std::string::npos;
}

struct PairAccumulator {
    torch::Tensor mapSum;            // [H, W] float64, sum over draws of w * f_o per pixel
    torch::Tensor mapSqSum;          // [H, W]
    torch::Tensor isMapSum;          // [H, W] when requested
    std::vector<double> orthogonal;  // per draw, unweighted
    std::vector<double> standard;
};

}  // namespace

Estimate estimateFromDraws(const std::vector<double>& values, const std::vector<int>& replicaOf,
                           int replicas, SamplerKind kind) {
    Estimate estimate;
    const auto n = static_cast<double>(values.size());
    if (values.empty())
        return estimate;
    estimate.value = std::accumulate(values.begin(), values.end(), 0.0) / n;
    if (kind == SamplerKind::Iid || replicas < 2) {
        if (values.size() < 2)
            return {estimate.value, std::numeric_limits<double>::infinity()};
        double ss = 0.0;
        for (const double v : values)
            ss += (v - estimate.value) * (v - estimate.value);
        estimate.se = std::sqrt(ss / (n - 1.0) / n);
        return estimate;
    }
    std::vector<double> sums(static_cast<std::size_t>(replicas), 0.0);
    std::vector<int> counts(static_cast<std::size_t>(replicas), 0);
    for (std::size_t i = 0; i < values.size(); ++i) {
        sums[replicaOf[i]] += values[i];
        ++counts[replicaOf[i]];
    }
    std::vector<double> means;
    for (int r = 0; r < replicas; ++r) {
        if (counts[r] > 0)
            means.push_back(sums[r] / counts[r]);
    }
    if (means.size() < 2)
        return {estimate.value, std::numeric_limits<double>::infinity()};
    const double m = std::accumulate(means.begin(), means.end(), 0.0) / means.size();
    double ss = 0.0;
    for (const double v : means)
        ss += (v - m) * (v - m);
    const auto k = static_cast<double>(means.size());
    estimate.se = std::sqrt(ss / (k - 1.0) / k);
    return estimate;
}

void InfoEngine::retirePair(std::size_t pairIndex) {
    if (pairIndex < m_retired.size())
        m_retired[pairIndex] = true;
}

void InfoEngine::setPredictionCacheBytes(std::size_t bytes) {
    m_cache.limit = bytes;
    if (bytes == 0) {
        m_cache.clear();
        m_cache.x = torch::Tensor();
    }
}

InfoEngine::InfoEngine(std::shared_ptr<Denoiser> denoiser, std::shared_ptr<TextEncoder> encoder)
    : m_denoiser(std::move(denoiser)), m_encoder(std::move(encoder)) {
    if (!m_denoiser || !m_encoder)
        throw Error("the engine needs a denoiser and a text encoder");
}

const TextEncoding& InfoEngine::encoding(const std::string& prompt) {
    auto found = m_textCache.find(prompt);
    if (found != m_textCache.end())
        return found->second;
    TextEncoding encoding = m_encoder->encode(prompt);
    return m_textCache.emplace(prompt, std::move(encoding)).first->second;
}

Snapshot InfoEngine::run(const torch::Tensor& xIn, const InfoPlan& plan,
                         const EngineSettings& settings, const ProgressCallback& progress,
                         const CancelToken* cancel) {
    if (settings.samples < 1)
        throw Error("samples must be at least 1");
    if (settings.maxBatch < 1)
        throw Error("max batch must be at least 1");
    if (settings.drawAlignment < 1)
        throw Error("draw alignment must be at least 1");
    if (plan.pairs().empty())
        throw Error("the plan has nothing to compute");
    // A live session encodes every edit's variants; bound the cache. Cleared only here, before
    // this run takes references into it.
    constexpr std::size_t kMaxCachedPrompts = 4096;
    if (m_textCache.size() > kMaxCachedPrompts)
        m_textCache.clear();
    const std::vector<int64_t> shape = m_denoiser->dataShape();
    if (xIn.sizes() != torch::IntArrayRef(shape)) {
        throw Error("the image data has shape " + c10::str(xIn.sizes()) +
                    " but the model expects " + c10::str(torch::IntArrayRef(shape)));
    }
    torch::InferenceMode inferenceGuard;
    const torch::ScalarType dtype = m_denoiser->dtype();
    const torch::Device device = m_denoiser->device();
    const torch::Tensor x = xIn.to(device, dtype).contiguous();
    const int64_t channels = shape[0], height = shape[1], width = shape[2];
    const int64_t elements = channels * height * width;

    const LogSnrRange range = m_denoiser->trainedLogSnrRange();
    const LogSnrProposal proposal = LogSnrProposal::fitToRange(
        settings.proposal.value_or(m_denoiser->preferredProposal()), range.lo, range.hi,
        settings.clip);
    const int replicas = std::max(1, std::min(settings.replicas, settings.samples));
    const LogSnrSampler sampler(settings.sampler, mixSeed(settings.seed, kLogSnrStream), replicas);

    // Encode every condition once (cached across runs) and pad to a common token length.
    const std::vector<std::string>& conditions = plan.conditions();
    const auto numConditions = static_cast<int64_t>(conditions.size());
    std::vector<const TextEncoding*> encodings;
    int64_t maxLength = 1, depth = 1;
    for (const std::string& prompt : conditions) {
        encodings.push_back(&encoding(prompt));
        maxLength = std::max(maxLength, encodings.back()->cond.size(0));
        depth = encodings.back()->cond.size(1);
    }
    const auto condOptions =
        torch::TensorOptions().dtype(encodings.front()->cond.dtype()).device(device);
    torch::Tensor condAll = torch::zeros({numConditions, maxLength, depth}, condOptions);
    torch::Tensor maskAll =
        torch::zeros({numConditions, maxLength}, condOptions.dtype(torch::kFloat32));
    for (int64_t c = 0; c < numConditions; ++c) {
        const int64_t length = encodings[c]->cond.size(0);
        condAll[c].narrow(0, 0, length).copy_(encodings[c]->cond);
        maskAll[c].narrow(0, 0, length).copy_(encodings[c]->mask);
    }

    const std::vector<InfoPair>& pairs = plan.pairs();
    std::vector<PairAccumulator> acc(pairs.size());
    // Maps accumulate on the device; only snapshots are copied back.
    const auto mapOptions = torch::TensorOptions().dtype(torch::kFloat64).device(device);
    const auto hostOptions = torch::TensorOptions().dtype(torch::kFloat64);
    for (PairAccumulator& a : acc) {
        a.mapSum = torch::zeros({height, width}, mapOptions);
        a.mapSqSum = torch::zeros({height, width}, mapOptions);
        if (settings.standardMaps)
            a.isMapSum = torch::zeros({height, width}, mapOptions);
        a.orthogonal.reserve(settings.samples);
        a.standard.reserve(settings.samples);
    }
    std::vector<double> logSnrs, weights;
    std::vector<int> replicaOf;
    // Per-draw null log-likelihood terms (weighted integrand plus the Gaussian constant), while
    // the "" condition is evaluated; stops for good once no active pair needs it.
    const auto nullFound = std::find(conditions.begin(), conditions.end(), std::string());
    const int64_t nullIndex =
        nullFound == conditions.end() ? -1 : static_cast<int64_t>(nullFound - conditions.begin());
    std::vector<double> nullTerms;
    bool nullOpen = nullIndex >= 0;
    const double gaussianEntropy =
        0.5 * static_cast<double>(elements) * std::log(2.0 * M_PI * std::exp(1.0));

    Snapshot state;
    state.drawsTotal = settings.samples;
    state.conditions = conditions;

    auto publish = [&](bool final) {
        Snapshot snap;
        snap.drawsDone = state.drawsDone;
        snap.drawsTotal = state.drawsTotal;
        snap.evaluations = state.evaluations;
        snap.reusedRows = state.reusedRows;
        snap.batches = state.batches;
        snap.batchRows = state.batchRows;
        snap.notices = state.notices;
        snap.cancelled = state.cancelled;
        snap.finished = final && !state.cancelled;
        snap.conditions = conditions;
        snap.proposal = proposal.kind();
        for (std::size_t p = 0; p < pairs.size(); ++p) {
            PairResult result;
            result.pair = pairs[p];
            // A retired pair holds the first `draws` draws of the run.
            const std::size_t draws = acc[p].orthogonal.size();
            result.draws = static_cast<int>(draws);
            result.retired = p < m_retired.size() && m_retired[p];
            const double n = static_cast<double>(draws);
            std::vector<double> weighted(draws), weightedStd(draws);
            for (std::size_t i = 0; i < draws; ++i) {
                weighted[i] = weights[i] * acc[p].orthogonal[i];
                weightedStd[i] = weights[i] * acc[p].standard[i];
            }
            result.io = estimateFromDraws(weighted, replicaOf, replicas, settings.sampler);
            result.is = estimateFromDraws(weightedStd, replicaOf, replicas, settings.sampler);
            if (n > 0) {
                const torch::Tensor mean = acc[p].mapSum / n;
                const torch::Tensor var =
                    (acc[p].mapSqSum - n * mean.square()).clamp_min(0.0) / std::max(1.0, n - 1.0);
                result.ioMap = mean.to(torch::kCPU);
                result.ioMapSe = (var / n).sqrt().to(torch::kCPU);
                if (settings.standardMaps)
                    result.isMap = (acc[p].isMapSum / n).to(torch::kCPU);
            } else {
                result.ioMap = torch::zeros({height, width}, hostOptions);
                result.ioMapSe = torch::zeros({height, width}, hostOptions);
            }
            if (settings.keepIntegrand) {
                result.integrand.resize(weighted.size());
                for (std::size_t i = 0; i < weighted.size(); ++i) {
                    result.integrand[i] = {logSnrs[i], weights[i], acc[p].orthogonal[i],
                                           acc[p].standard[i]};
                }
            }
            snap.pairs.push_back(std::move(result));
        }
        if (nullIndex >= 0 && !nullTerms.empty()) {
            snap.nullAvailable = true;
            snap.nullDraws = static_cast<int>(nullTerms.size());
            snap.nullNll = estimateFromDraws(nullTerms, replicaOf, replicas, settings.sampler);
            const double perDim = 1.0 / (static_cast<double>(elements) * std::log(2.0));
            snap.nullBitsPerDim = snap.nullNll.value * perDim;
            snap.nullBitsPerDimSe = snap.nullNll.se * perDim;
        }
        return snap;
    };

    // The denoiser may take fewer rows per call than asked (a large UNet on a CPU).
    int64_t maxRows = std::max<int64_t>(
        1, std::min<int64_t>(settings.maxBatch, m_denoiser->preferredBatchRows()));
    state.batchRows = static_cast<int>(maxRows);

    // Cached predictions are valid only for the same image, noise and log-SNR sequence.
    PredictionCache& cache = m_cache;
    const bool caching = cache.limit > 0;
    if (caching) {
        const bool same = cache.x.defined() && cache.seed == settings.seed &&
                          cache.sampler == settings.sampler && cache.replicas == replicas &&
                          cache.clip == settings.clip && cache.proposal == proposal.kind() &&
                          cache.x.device() == x.device() &&
                          cache.x.scalar_type() == x.scalar_type() && torch::equal(cache.x, x);
        if (!same) {
            cache.clear();
            cache.x = x.clone();  // x may alias the caller's tensor
            cache.seed = settings.seed;
            cache.sampler = settings.sampler;
            cache.replicas = replicas;
            cache.clip = settings.clip;
            cache.proposal = proposal.kind();
        }
    }
    const std::size_t rowBytes = static_cast<std::size_t>(elements) * x.element_size();
    std::vector<PredictionCache::Condition*> cached(conditions.size(), nullptr);
    if (caching) {
        ++cache.clock;
        for (std::size_t c = 0; c < conditions.size(); ++c) {
            cached[c] = &cache.conditions[conditions[c]];
            cached[c]->lastUsed = cache.clock;
        }
    }
    // Makes room for one more entry by dropping conditions no current pair uses, least recently
    // used first; false when only this run's conditions are left.
    auto makeRoom = [&]() {
        while (cache.bytes + rowBytes > cache.limit) {
            auto oldest = cache.conditions.end();
            for (auto it = cache.conditions.begin(); it != cache.conditions.end(); ++it) {
                if (it->second.lastUsed != cache.clock &&
                    (oldest == cache.conditions.end() ||
                     it->second.lastUsed < oldest->second.lastUsed))
                    oldest = it;
            }
            if (oldest == cache.conditions.end())
                return false;
            cache.bytes -= oldest->second.byDraw.size() * rowBytes;
            cache.entries -= oldest->second.byDraw.size();
            cache.conditions.erase(oldest);
        }
        return true;
    };

    m_retired.assign(pairs.size(), false);
    auto neededConditions = [&]() {
        std::vector<bool> needed(conditions.size(), false);
        for (std::size_t p = 0; p < pairs.size(); ++p) {
            if (!m_retired[p]) {
                needed[pairs[p].c1] = true;
                needed[pairs[p].c2] = true;
            }
        }
        return needed;
    };
    auto isCached = [&](std::size_t c, int64_t draw) {
        return caching && cached[c]->byDraw.count(draw) > 0;
    };

    std::vector<double> noise;
    while (state.drawsDone < settings.samples) {
        if (cancel && cancel->cancelled()) {
            state.cancelled = true;
            break;
        }
        const std::vector<bool> needed = neededConditions();
        if (std::none_of(needed.begin(), needed.end(), [](bool b) { return b; }))
            break;  // every pair retired
        // Size the batch by the rows it will really evaluate (cached rows cost nothing).
        int64_t rowsPerDraw = 0;
        for (std::size_t c = 0; c < conditions.size(); ++c) {
            if (needed[c] && !isCached(c, settings.firstDraw + state.drawsDone))
                ++rowsPerDraw;
        }
        const int64_t drawsPerBatch =
            std::max<int64_t>(1, maxRows / std::max<int64_t>(1, rowsPerDraw));
        const int64_t wanted = state.batches == 0 && settings.firstBatchDraws > 0
                                   ? std::min<int64_t>(settings.firstBatchDraws, drawsPerBatch)
                                   : drawsPerBatch;
        int64_t end = state.drawsDone + wanted;
        if (state.batches > 0 && settings.drawAlignment > 1) {
            // Later batches end on a multiple of the alignment, so that every snapshot after the
            // first has equal draws per replica.
            const int64_t align = settings.drawAlignment;
            end = (end + align - 1) / align * align;
        }
        const int64_t nb =
            std::min<int64_t>(end - state.drawsDone, settings.samples - state.drawsDone);
        noise.assign(static_cast<std::size_t>(nb * elements), 0.0);
        std::vector<double> batchLogSnr(nb), batchWeight(nb);
        std::vector<int> batchReplica(nb);
        for (int64_t i = 0; i < nb; ++i) {
            const int64_t draw = settings.firstDraw + state.drawsDone + i;
            batchLogSnr[i] = proposal.logSnrFromUnit(sampler.unit(draw));
            batchWeight[i] = proposal.weight(batchLogSnr[i]);
            batchReplica[i] = sampler.replicaOf(draw);
            fillStandardNormals(
                mixSeed(settings.seed ^ kNoiseStream, static_cast<std::uint64_t>(draw)),
                noise.data() + i * elements, elements);
        }
        // One host-to-device copy per batch; the noise comes from the counter-based stream so
        // that every device sees the same draws.
        const torch::Tensor a =
            torch::from_blob(batchLogSnr.data(), {nb}, torch::kFloat64).clone().to(device);
        const torch::Tensor w =
            torch::from_blob(batchWeight.data(), {nb}, torch::kFloat64).clone().to(device);
        const torch::Tensor eps =
            torch::from_blob(noise.data(), {nb, channels, height, width}, torch::kFloat64)
                .to(device, dtype);
        const torch::Tensor alpha = torch::sigmoid(a).sqrt().to(dtype).view({nb, 1, 1, 1});
        const torch::Tensor sigma = torch::sigmoid(-a).sqrt().to(dtype).view({nb, 1, 1, 1});
        const torch::Tensor z = alpha * x.unsqueeze(0) + sigma * eps;

        // Common random numbers: every condition sees the same z; rows are draw-major. Only the
        // (draw, condition) rows that an active pair needs and the cache lacks are evaluated.
        std::vector<int64_t> rowDraw, rowCondition;
        std::vector<bool> fromCache(static_cast<std::size_t>(nb * numConditions), false);
        for (int64_t i = 0; i < nb; ++i) {
            for (int64_t c = 0; c < numConditions; ++c) {
                if (!needed[c])
                    continue;
                if (isCached(c, settings.firstDraw + state.drawsDone + i)) {
                    fromCache[i * numConditions + c] = true;
                } else {
                    rowDraw.push_back(i);
                    rowCondition.push_back(c);
                }
            }
        }
        const auto rows = static_cast<int64_t>(rowDraw.size());
        const auto indexOptions = torch::TensorOptions().dtype(torch::kLong);
        const torch::Tensor drawIndex =
            torch::from_blob(rowDraw.data(), {rows}, indexOptions).clone().to(device);
        const torch::Tensor conditionIndex =
            torch::from_blob(rowCondition.data(), {rows}, indexOptions).clone().to(device);
        std::vector<torch::Tensor> parts;
        bool interrupted = false;
        if (rows > 0) {
            const torch::Tensor zRows = z.index_select(0, drawIndex);
            const torch::Tensor aRows = a.to(torch::kFloat32).index_select(0, drawIndex);
            const torch::Tensor condRows = condAll.index_select(0, conditionIndex);
            const torch::Tensor maskRows = maskAll.index_select(0, conditionIndex);
            for (int64_t r0 = 0; r0 < rows;) {
                // A batch of many sub-calls (a large model) stops between them; the partial
                // batch is dropped so that every reported draw is complete.
                if (r0 > 0 && cancel && cancel->cancelled()) {
                    interrupted = true;
                    break;
                }
                const int64_t len = std::min<int64_t>(maxRows, rows - r0);
                const torch::Tensor zPart = zRows.narrow(0, r0, len);
                const torch::Tensor aPart = aRows.narrow(0, r0, len);
                torch::Tensor raw;
                try {
                    raw = m_denoiser->predict(zPart, aPart, condRows.narrow(0, r0, len),
                                              maskRows.narrow(0, r0, len));
                } catch (const c10::Error& e) {
                    // Out of device memory: halve the rows per call and redo this call; the
                    // draws and their order do not change, so neither do the numbers.
                    if (!isOutOfMemory(e) || maxRows == 1)
                        throw;
                    state.notices.push_back("out of memory at " + std::to_string(maxRows) +
                                            " rows per call; continuing with " +
                                            std::to_string(maxRows / 2));
                    maxRows /= 2;
                    state.batchRows = static_cast<int>(maxRows);
                    continue;
                }
                parts.push_back(
                    epsFromPrediction(raw, zPart, aPart, m_denoiser->predictionType()).to(dtype));
                r0 += len;
            }
        }
        if (interrupted) {
            state.cancelled = true;
            break;
        }
        logSnrs.insert(logSnrs.end(), batchLogSnr.begin(), batchLogSnr.end());
        weights.insert(weights.end(), batchWeight.begin(), batchWeight.end());
        replicaOf.insert(replicaOf.end(), batchReplica.begin(), batchReplica.end());
        // [nb, conditions, C, H, W]; rows of conditions no active pair needs stay zero.
        torch::Tensor predicted =
            torch::zeros({nb, numConditions, channels, height, width}, x.options());
        if (rows > 0) {
            const torch::Tensor computed = parts.size() == 1 ? parts.front() : torch::cat(parts, 0);
            predicted.view({nb * numConditions, channels, height, width})
                .index_copy_(0, drawIndex * numConditions + conditionIndex, computed);
            if (caching) {
                for (int64_t r = 0; r < rows; ++r) {
                    if (!makeRoom())
                        break;
                    const int64_t draw = settings.firstDraw + state.drawsDone + rowDraw[r];
                    cached[rowCondition[r]]->byDraw.emplace(draw, computed[r].clone());
                    cache.bytes += rowBytes;
                    ++cache.entries;
                }
            }
        }
        // Entries of this run's conditions are never evicted during it, so every row found in
        // the cache when the batch was planned is still there.
        int64_t reused = 0;
        for (int64_t i = 0; i < nb; ++i) {
            for (int64_t c = 0; c < numConditions; ++c) {
                if (fromCache[i * numConditions + c]) {
                    predicted[i][c].copy_(
                        cached[c]->byDraw.at(settings.firstDraw + state.drawsDone + i));
                    ++reused;
                }
            }
        }

        if (nullOpen && !needed[nullIndex])
            nullOpen = false;
        if (nullOpen) {
            const torch::Tensor mse = (eps - predicted.select(1, nullIndex))
                                          .to(torch::kFloat64)
                                          .square()
                                          .sum({1, 2, 3})
                                          .to(torch::kCPU, torch::kFloat64)
                                          .contiguous();
            const double* m = mse.data_ptr<double>();
            for (int64_t i = 0; i < nb; ++i) {
                const double gaussianMmse =
                    static_cast<double>(elements) / (1.0 + std::exp(-batchLogSnr[i]));
                nullTerms.push_back(gaussianEntropy +
                                    0.5 * batchWeight[i] * (m[i] - gaussianMmse));
            }
        }
        const torch::Tensor wView = w.view({nb, 1, 1});
        for (std::size_t p = 0; p < pairs.size(); ++p) {
            if (m_retired[p])
                continue;
            const torch::Tensor e1 = predicted.select(1, pairs[p].c1);
            const torch::Tensor e2 = predicted.select(1, pairs[p].c2);
            const torch::Tensor fo =
                0.5 * (e1 - e2).square().sum(1).to(torch::kFloat64);  // [nb, H, W]
            const torch::Tensor fs =
                0.5 * ((eps - e2).square() - (eps - e1).square()).sum(1).to(torch::kFloat64);
            const torch::Tensor weighted = fo * wView;
            acc[p].mapSum += weighted.sum(0);
            acc[p].mapSqSum += weighted.square().sum(0);
            if (settings.standardMaps)
                acc[p].isMapSum += (fs * wView).sum(0);
            const torch::Tensor foTotal = fo.sum({1, 2}).to(torch::kCPU).contiguous();
            const torch::Tensor fsTotal = fs.sum({1, 2}).to(torch::kCPU).contiguous();
            acc[p].orthogonal.insert(acc[p].orthogonal.end(), foTotal.data_ptr<double>(),
                                     foTotal.data_ptr<double>() + nb);
            acc[p].standard.insert(acc[p].standard.end(), fsTotal.data_ptr<double>(),
                                   fsTotal.data_ptr<double>() + nb);
        }
        state.drawsDone += static_cast<int>(nb);
        state.evaluations += rows;
        state.reusedRows += reused;
        ++state.batches;
        if (progress && state.drawsDone < settings.samples)
            progress(publish(false));
    }
    Snapshot final = publish(true);
    if (progress)
        progress(final);
    return final;
}

}  // namespace infolens
