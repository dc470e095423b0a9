#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infolens/engine/InfoEngine.h"
#include "infolens/engine/Intervention.h"
#include "infolens/live/LiveIntervention.h"

// One prompt intervention as the worker runs it: the plain request becomes a runIntervention call
// and its torch result the plain outcome the UI holds. Kept out of the worker's threading code.
namespace infolens {
struct Model;
}

namespace infolens::live {

class InterventionRunner {
  public:
    // progress(stage, fraction of this request) between denoiser calls.
    using Progress = std::function<void(const char* stage, double fraction)>;

    explicit InterventionRunner(std::shared_ptr<Model> model) : m_model(std::move(model)) {}

    // Runs one request. A bad request (word out of range, empty swap, wrong image, a model
    // without images) comes back as an outcome with `error` set; infolens::Cancelled propagates
    // (the caller decides whether that was a cancel or an interruption to resume).
    std::shared_ptr<InterventionOutcome> run(const InterventionRequest& request,
                                             const CancelToken* cancel, const Progress& progress);

    // The inversions of earlier requests (one per model, image, prompt and steps), so a second
    // word of the same image and prompt, or a request resumed after an interruption, skips the
    // inversion.
    const InversionCache& cache() const { return m_cache; }

  private:
    std::shared_ptr<Model> m_model;
    InversionCache m_cache;
    // The last request's image as a tensor and its hash: a run-all sends one image many times.
    std::shared_ptr<const Image> m_image;
    torch::Tensor m_imageTensor;
    std::string m_imageHash;
};

// One intervene() call: its generation and requests (shared, so a resumed call copies nothing).
struct InterventionCall {
    std::uint64_t generation = 0;
    std::shared_ptr<const std::vector<InterventionRequest>> requests;
};

// Where a call's outcomes and progress go. `current` says whether the call is still the latest
// and the worker is not stopping; the sinks check the generation again under their own lock.
struct InterventionSinks {
    std::function<bool()> current;
    std::function<void(std::shared_ptr<const InterventionOutcome>)> deliver;
    std::function<void(const InterventionProgress&)> progress;
    int throttleMs = 100;
};

// Runs the call's requests from `first` on, delivering an outcome for each. Returns the index to
// resume at when the token was cancelled while the call is still current (the worker was
// interrupted by a map request or a generation, which run first); nothing when the call ended
// (every outcome delivered, superseded, cancelled or stopping).
std::optional<int> runInterventionCall(InterventionRunner& runner, const InterventionCall& call,
                                       int first, const CancelToken& token,
                                       const InterventionSinks& sinks);

}  // namespace infolens::live
