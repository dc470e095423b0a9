#pragma once

#include <QObject>
#include <QString>
#include <memory>

#include "infolens/live/LiveWorker.h"
#include "infolens/ui/MetaTypes.h"

namespace infolens::ui {

// Connects the LiveWorker (its own thread) to the UI thread. The model loads on the worker thread;
// its status, results and generated images arrive here through queued calls, and anything older
// than the latest request is dropped, so nothing stale reaches a widget. Requests go out at once:
// the one debounce of the app is PromptController's (a burst of typing becomes one request).
class WorkerBridge : public QObject {
    Q_OBJECT
  public:
    // Never waits for the model: modelStatusChanged() reports when it is ready or failed.
    WorkerBridge(const ModelRegistry& registry, const QString& modelSpec,
                 ModelPlacementChoice placement = {}, QObject* parent = nullptr);
    ~WorkerBridge() override;

    // Replaces the model: the current worker is stopped and joined, a new one loads `modelSpec`
    // (same placement) in the background; modelStatusChanged() reports Loading at once, then
    // Ready or Failed. Nothing from the old model arrives afterwards.
    void loadModel(const QString& modelSpec);

    const QString& modelSpec() const { return m_spec; }
    // The status as last reported on the UI thread (Loading until the worker says otherwise).
    const ModelStatus& modelStatus() const { return m_status; }
    bool modelReady() const { return m_status.state == ModelStatus::State::Ready; }
    bool modelFailed() const { return m_status.state == ModelStatus::State::Failed; }
    // The loaded model; empty fields until modelReady().
    const ModelSummary& model() const { return m_status.summary; }
    // Why the model cannot compute maps: the load error, or that it does not work on images.
    // Empty while it loads and when it is ready for images.
    QString unusableReason() const;
    // Never waits: until the model is ready the analysis has no words and says why.
    PromptAnalysis analyze(const QString& prompt) const;

    // Replaces any pending request and cancels the running one (latest wins).
    void submit(LiveRequest request);
    void generate(const QString& prompt, std::uint64_t seed);
    void cancel();
    // Only the maps: a generation in progress goes on (recomputing must not drop it).
    void cancelMaps();
    // A generated image still on its way is dropped (the user opened something else).
    void ignorePendingGeneration();
    std::uint64_t latestGeneration() const { return m_latest; }

    // Prompt interventions (LiveIntervention.h): replaces any running intervention call; its
    // outcomes and progress arrive through interventionArrived / interventionProgress, those of
    // an earlier call (or an earlier model) are dropped. Returns the call's generation.
    std::uint64_t intervene(std::vector<InterventionRequest> requests);
    void cancelInterventions();
    std::uint64_t latestInterventionGeneration() const { return m_latestIntervention; }

  Q_SIGNALS:
    void modelStatusChanged(const infolens::ModelStatus& status);
    void resultArrived(std::shared_ptr<const infolens::LiveResult> result);
    void imageGenerated(std::shared_ptr<const infolens::GenerateResult> result);
    void interventionArrived(std::shared_ptr<const infolens::InterventionOutcome> outcome);
    void interventionProgress(const infolens::InterventionProgress& progress);

  private:
    void receive(std::shared_ptr<const LiveResult> result);
    void receiveStatus(const ModelStatus& status);

    void startWorker(const QString& modelSpec);
    void connectInterventions(std::uint64_t epoch);

    const ModelRegistry& m_registry;
    ModelPlacementChoice m_placement;
    std::uint64_t m_epoch = 0;  // which worker's callbacks are current
    QString m_spec;
    ModelStatus m_status;
    std::unique_ptr<LiveWorker> m_worker;
    std::uint64_t m_latest = 0;
    std::uint64_t m_latestGenerate = 0;
    std::uint64_t m_latestIntervention = 0;
    std::uint64_t m_fakeGeneration = 0;  // used only while the worker lacks interventions
};

}  // namespace infolens::ui
