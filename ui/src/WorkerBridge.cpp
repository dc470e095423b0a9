#include "infolens/ui/WorkerBridge.h"

namespace infolens::ui {

WorkerBridge::WorkerBridge(const ModelRegistry& registry, const QString& modelSpec,
                           ModelPlacementChoice placement, QObject* parent)
    : QObject(parent), m_registry(registry), m_placement(std::move(placement)) {
    qRegisterMetaType<std::shared_ptr<const LiveResult>>();
    qRegisterMetaType<std::shared_ptr<const GenerateResult>>();
    qRegisterMetaType<infolens::ModelStatus>();
    qRegisterMetaType<std::shared_ptr<const InterventionOutcome>>();
    qRegisterMetaType<infolens::InterventionProgress>();
    startWorker(modelSpec);
}

void WorkerBridge::startWorker(const QString& modelSpec) {
    m_spec = modelSpec;
    m_status = ModelStatus{};
    m_status.state = ModelStatus::State::Loading;
    m_status.message = "loading model '" + modelSpec.toStdString() + "'";
    m_latest = 0;
    m_latestGenerate = 0;
    m_latestIntervention = 0;
    const std::uint64_t epoch = ++m_epoch;
    // Callbacks run on the worker thread; they only post to this object's thread. Posted events
    // die with the object, and the worker is joined in the destructor before that. Each worker has
    // its own epoch: what an earlier worker posted before it was replaced is dropped on arrival.
    m_worker = std::make_unique<LiveWorker>(
        m_registry, modelSpec.toStdString(),
        [this, epoch](std::shared_ptr<const LiveResult> r) {
            QMetaObject::invokeMethod(
                this,
                [this, epoch, r = std::move(r)]() mutable {
                    if (epoch == m_epoch)
                        receive(std::move(r));
                },
                Qt::QueuedConnection);
        },
        [this, epoch](std::shared_ptr<const GenerateResult> r) {
            QMetaObject::invokeMethod(
                this,
                [this, epoch, r = std::move(r)] {
                    if (epoch == m_epoch && m_latestGenerate != 0 &&
                        r->generation == m_latestGenerate)
                        Q_EMIT imageGenerated(r);
                },
                Qt::QueuedConnection);
        },
        100,
        [this, epoch](const ModelStatus& status) {
            QMetaObject::invokeMethod(
                this,
                [this, epoch, status] {
                    if (epoch == m_epoch)
                        receiveStatus(status);
                },
                Qt::QueuedConnection);
        },
        m_placement);
    connectInterventions(epoch);
}

void WorkerBridge::connectInterventions(std::uint64_t epoch) {
#if INFOLENS_LIVE_INTERVENE
    // Like results: posted to the UI thread, dropped there when a newer call or worker exists.
    m_worker->setInterventionCallbacks(
        [this, epoch](std::shared_ptr<const InterventionOutcome> outcome) {
            QMetaObject::invokeMethod(
                this,
                [this, epoch, outcome = std::move(outcome)] {
                    if (epoch == m_epoch && outcome->generation == m_latestIntervention)
                        Q_EMIT interventionArrived(outcome);
                },
                Qt::QueuedConnection);
        },
        [this, epoch](const InterventionProgress& progress) {
            QMetaObject::invokeMethod(
                this,
                [this, epoch, progress] {
                    if (epoch == m_epoch && progress.generation == m_latestIntervention)
                        Q_EMIT interventionProgress(progress);
                },
                Qt::QueuedConnection);
        });
#else
    (void)epoch;
#endif
}

std::uint64_t WorkerBridge::intervene(std::vector<InterventionRequest> requests) {
#if INFOLENS_LIVE_INTERVENE
    m_latestIntervention = m_worker->intervene(std::move(requests));
#else
    // This build's worker has no interventions yet: answer with failed outcomes, so the UI
    // reports it instead of waiting.
    const std::uint64_t generation = ++m_fakeGeneration;
    m_latestIntervention = generation;
    const int count = static_cast<int>(requests.size());
    for (int i = 0; i < count; ++i) {
        auto outcome = std::make_shared<InterventionOutcome>();
        outcome->generation = generation;
        outcome->index = i;
        outcome->count = count;
        outcome->request = requests[static_cast<std::size_t>(i)];
        outcome->error = "this build's worker cannot run interventions";
        QMetaObject::invokeMethod(
            this,
            [this, o = std::shared_ptr<const InterventionOutcome>(std::move(outcome))] {
                if (o->generation == m_latestIntervention)
                    Q_EMIT interventionArrived(o);
            },
            Qt::QueuedConnection);
    }
#endif
    return m_latestIntervention;
}

void WorkerBridge::cancelInterventions() {
#if INFOLENS_LIVE_INTERVENE
    m_worker->cancelInterventions();
#endif
    m_latestIntervention = 0;  // whatever is still on its way is dropped
}

void WorkerBridge::loadModel(const QString& modelSpec) {
    // The old worker stops its computation and is joined; a load it is in the middle of cannot be
    // interrupted (LiveWorker has no cancellable load), so this waits for it.
    m_worker.reset();
    startWorker(modelSpec);
    Q_EMIT modelStatusChanged(m_status);
}

WorkerBridge::~WorkerBridge() {
    m_worker.reset();
}

void WorkerBridge::receiveStatus(const ModelStatus& status) {
    m_status = status;
    Q_EMIT modelStatusChanged(m_status);
}

QString WorkerBridge::unusableReason() const {
    if (modelFailed())
        return QString::fromStdString(m_status.message);
    if (modelReady() && (model().imageWidth <= 0 || model().imageHeight <= 0))
        return tr("the model '%1' does not work on images")
            .arg(QString::fromStdString(model().name));
    return {};
}

PromptAnalysis WorkerBridge::analyze(const QString& prompt) const {
    // The UI's view of the model decides, so that words never appear before the window has
    // heard that the model is ready.
    if (!modelReady()) {
        PromptAnalysis analysis;
        // After a failed load the notice bar says why; the prompt only says that nothing can run.
        analysis.problem =
            modelFailed() ? "no model: it could not be loaded" : "the model is still loading";
        return analysis;
    }
    return m_worker->analyze(prompt.toStdString());
}

void WorkerBridge::submit(LiveRequest request) {
    m_latest = m_worker->submit(std::move(request));
}

void WorkerBridge::generate(const QString& prompt, std::uint64_t seed) {
    m_latestGenerate = m_worker->generate(prompt.toStdString(), seed);
}

void WorkerBridge::cancel() {
    m_worker->cancel();
    m_latestGenerate = 0;
    m_latest = m_worker->latestGeneration();
}

void WorkerBridge::cancelMaps() {
    m_worker->cancelMaps();
    m_latest = m_worker->latestGeneration();
}

void WorkerBridge::ignorePendingGeneration() {
    m_worker->cancelGeneration();  // stop the DDIM steps too, so new maps need not wait
    m_latestGenerate = 0;
}

void WorkerBridge::receive(std::shared_ptr<const LiveResult> result) {
    if (result->generation != m_latest)
        return;  // stale: a newer request exists
    Q_EMIT resultArrived(std::move(result));
}

}  // namespace infolens::ui
