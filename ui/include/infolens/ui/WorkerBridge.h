#pragma once

#include <QObject>
#include <QTimer>
#include <memory>

#include "infolens/live/LiveWorker.h"
#include "infolens/ui/MetaTypes.h"

namespace infolens::ui {

// Connects the LiveWorker (core, its own thread) to the UI thread. Edits are debounced, results
// arrive through queued calls, and anything older than the latest request is dropped here, so
// nothing stale reaches a widget.
class WorkerBridge : public QObject {
    Q_OBJECT
  public:
    WorkerBridge(const ModelRegistry& registry, const QString& modelSpec,
                 QObject* parent = nullptr);
    ~WorkerBridge() override;

    // Throws infolens::Error when the model failed to load.
    const ModelSummary& model() const { return m_model; }
    PromptAnalysis analyze(const QString& prompt) const;

    // Debounced: the request goes out once no new one came for debounceMs.
    void request(LiveRequest request);
    // Immediate, for session restore and tests.
    void requestNow(LiveRequest request);
    void generate(const QString& prompt, std::uint64_t seed);
    void cancel();
    // A generated image still on its way is dropped (the user opened something else).
    void ignorePendingGeneration() { m_latestGenerate = 0; }
    void setDebounceMs(int ms) { m_debounce.setInterval(ms); }
    std::uint64_t latestGeneration() const { return m_latest; }
    bool busy() const { return m_busy; }

  Q_SIGNALS:
    void resultArrived(std::shared_ptr<const infolens::LiveResult> result);
    void imageGenerated(std::shared_ptr<const infolens::GenerateResult> result);
    void busyChanged(bool busy);

  private:
    void submitPending();
    void receive(std::shared_ptr<const LiveResult> result);

    std::unique_ptr<LiveWorker> m_worker;
    ModelSummary m_model;
    QTimer m_debounce;
    std::unique_ptr<LiveRequest> m_pending;
    std::uint64_t m_latest = 0;
    std::uint64_t m_latestGenerate = 0;
    bool m_busy = false;
};

}  // namespace infolens::ui
