#include "InterventionJob.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>

#include "infolens/Error.h"
#include "infolens/model/ImageTensor.h"
#include "infolens/model/Model.h"

namespace infolens::live {

namespace {

constexpr double kLn2 = 0.69314718055994530942;
constexpr int kAttentionPasses = 8;

std::vector<float> floatsOf(const torch::Tensor& map, double factor = 1.0) {
    const torch::Tensor f =
        (map.to(torch::kCPU, torch::kFloat64) * factor).to(torch::kFloat32).contiguous();
    return {f.data_ptr<float>(), f.data_ptr<float>() + f.numel()};
}

}  // namespace

std::shared_ptr<InterventionOutcome> InterventionRunner::run(const InterventionRequest& request,
                                                             const CancelToken* cancel,
                                                             const Progress& progress) {
    const auto start = std::chrono::steady_clock::now();
    torch::InferenceMode guard;
    auto outcome = std::make_shared<InterventionOutcome>();
    outcome->request = request;
    outcome->modelHash = m_model->hash;
    try {
        if (!m_model->worksOnImages())
            throw Error("the model '" + m_model->name +
                        "' does not work on images, so it has no interventions");
        if (!request.image || request.image->width != m_model->imageWidth ||
            request.image->height != m_model->imageHeight) {
            throw Error("the image must be " + std::to_string(m_model->imageWidth) + "x" +
                        std::to_string(m_model->imageHeight) + " (fit it first)");
        }
        if (request.image != m_image) {
            m_imageTensor = imageToTensor(*request.image);
            m_imageHash = tensorHash(m_imageTensor);
            m_image = request.image;
        }
        outcome->imageHash = m_imageHash;

        InterventionEdit edit;
        edit.word = request.word;
        edit.kind = request.kind == InterventionKind::Swap ? EditKind::Swap : EditKind::Remove;
        edit.mode = request.mode;
        edit.placeholder = request.placeholder;
        edit.replacement = request.replacement;
        InterventionSettings settings;
        settings.steps = request.steps;
        settings.engine.samples = request.samples;
        settings.engine.seed = request.seed;
        settings.attention.passes = kAttentionPasses;
        settings.attention.seed = request.seed;
        settings.progress = progress;

        const InterventionResult r = runIntervention(*m_model, m_cache, m_imageTensor,
                                                     request.prompt, edit, settings, cancel);
        outcome->word = r.word;
        outcome->editedPrompt = r.edited;
        outcome->regenerated = tensorToImage(r.inversion->regeneratedImage);
        outcome->edited = tensorToImage(r.editedImage);
        outcome->roundTripPsnrDb = r.inversion->psnrDb;
        outcome->mapHeight = static_cast<int>(r.change.latent.size(0));
        outcome->mapWidth = static_cast<int>(r.change.latent.size(1));
        outcome->imageHeight = static_cast<int>(r.change.pixels.size(0));
        outcome->imageWidth = static_cast<int>(r.change.pixels.size(1));
        outcome->changeLatent = floatsOf(r.change.latent);
        outcome->changePixels = floatsOf(r.change.pixels);
        outcome->totalChange = r.change.total;
        // Bits per image pixel, like LiveResult maps: the map sums to cmiBits / pixelsPerCell.
        const double pixelsPerCell = static_cast<double>(outcome->imageWidth) *
                                     outcome->imageHeight /
                                     (static_cast<double>(outcome->mapWidth) * outcome->mapHeight);
        outcome->predicted = floatsOf(r.predicted, 1.0 / (kLn2 * pixelsPerCell));
        outcome->cmiBits = r.cmi.value / kLn2;
        outcome->cmiSeBits = r.cmi.se / kLn2;
        outcome->cmiStandardBits = r.cmiStandard.value / kLn2;
        outcome->cmiStandardSeBits = r.cmiStandard.se / kLn2;
        outcome->pixelRInformation = r.pixelRInformation;
        outcome->pixelRAttention = r.pixelRAttention;
        if (r.attention.defined()) {
            outcome->attentionSum = r.attention.sum().item<double>();
            if (outcome->attentionSum > 0.0)
                outcome->attention = floatsOf(r.attention, 1.0 / outcome->attentionSum);
            else
                outcome->attention = floatsOf(r.attention);
        }
        outcome->evaluations = r.allEvaluations;
    } catch (const Cancelled&) {
        throw;
    } catch (const std::exception& e) {
        outcome->error = e.what();
    }
    outcome->elapsedMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return outcome;
}

std::optional<int> runInterventionCall(InterventionRunner& runner, const InterventionCall& call,
                                       int first, const CancelToken& token,
                                       const InterventionSinks& sinks) {
    using Clock = std::chrono::steady_clock;
    const int count = static_cast<int>(call.requests->size());
    Clock::time_point lastSent{};
    const char* lastStage = nullptr;
    for (int i = first; i < count; ++i) {
        if (!sinks.current())
            return std::nullopt;
        if (token.cancelled())
            return i;  // interrupted between two requests: resume at the next one
        // Throttled, but a new stage always goes out (a progress bar names it).
        auto report = [&](const char* stage, double fraction) {
            if (!sinks.progress)
                return;
            const Clock::time_point now = Clock::now();
            if (stage == lastStage && now - lastSent < std::chrono::milliseconds(sinks.throttleMs))
                return;
            lastStage = stage;
            lastSent = now;
            InterventionProgress p;
            p.generation = call.generation;
            p.index = i;
            p.count = count;
            p.stage = stage;
            p.fraction = std::min(1.0, (i + fraction) / count);
            sinks.progress(p);
        };
        std::shared_ptr<InterventionOutcome> outcome;
        try {
            outcome = runner.run((*call.requests)[static_cast<std::size_t>(i)], &token, report);
        } catch (const Cancelled&) {
            if (sinks.current())
                return i;  // interrupted: this request starts again (its inversion is cached)
            return std::nullopt;
        }
        outcome->generation = call.generation;
        outcome->index = i;
        outcome->count = count;
        sinks.deliver(std::move(outcome));
    }
    return std::nullopt;
}

}  // namespace infolens::live
