#include "infolens/ui/WorkerBridge.h"

#include <QPointer>

namespace infolens::ui {

namespace {
constexpr int kDebounceMs = 200;
}

WorkerBridge::WorkerBridge(const ModelRegistry& registry, const QString& modelSpec,
                           QObject* parent)
    : QObject(parent) {
    qRegisterMetaType<std::shared_ptr<const LiveResult>>();
    qRegisterMetaType<std::shared_ptr<const GenerateResult>>();
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(kDebounceMs);
    connect(&m_debounce, &QTimer::timeout, this, &WorkerBridge::submitPending);
    // Callbacks run on the worker thread; they only post to this object's thread. Posted events
    // die with the object, and the worker is joined in the destructor before that.
    m_worker = std::make_unique<LiveWorker>(
        registry, modelSpec.toStdString(),
        [this](std::shared_ptr<const LiveResult> r) {
            QMetaObject::invokeMethod(
                this, [this, r = std::move(r)]() mutable { receive(std::move(r)); },
                Qt::QueuedConnection);
        },
        [this](std::shared_ptr<const GenerateResult> r) {
            QMetaObject::invokeMethod(
                this,
                [this, r = std::move(r)] {
                    if (m_latestGenerate != 0 && r->generation == m_latestGenerate)
                        Q_EMIT imageGenerated(r);
                },
                Qt::QueuedConnection);
        });
    m_model = m_worker->model();
}

WorkerBridge::~WorkerBridge() {
    m_worker.reset();
}

PromptAnalysis WorkerBridge::analyze(const QString& prompt) const {
    return m_worker->analyze(prompt.toStdString());
}

void WorkerBridge::request(LiveRequest request) {
    m_pending = std::make_unique<LiveRequest>(std::move(request));
    m_debounce.start();
    if (!m_busy) {
        m_busy = true;
        Q_EMIT busyChanged(true);
    }
}

void WorkerBridge::requestNow(LiveRequest request) {
    m_pending = std::make_unique<LiveRequest>(std::move(request));
    m_debounce.stop();
    submitPending();
}

void WorkerBridge::submitPending() {
    if (!m_pending)
        return;
    m_latest = m_worker->submit(std::move(*m_pending));
    m_pending.reset();
    if (!m_busy) {
        m_busy = true;
        Q_EMIT busyChanged(true);
    }
}

void WorkerBridge::generate(const QString& prompt, std::uint64_t seed) {
    m_latestGenerate = m_worker->generate(prompt.toStdString(), seed);
}

void WorkerBridge::cancel() {
    m_debounce.stop();
    m_pending.reset();
    m_worker->cancel();
    m_latestGenerate = 0;
    m_latest = m_worker->latestGeneration();
    if (m_busy) {
        m_busy = false;
        Q_EMIT busyChanged(false);
    }
}

void WorkerBridge::receive(std::shared_ptr<const LiveResult> result) {
    if (result->generation != m_latest || m_pending)
        return;  // stale: a newer request exists
    if ((result->finished || !result->error.empty()) && m_busy) {
        m_busy = false;
        Q_EMIT busyChanged(false);
    }
    Q_EMIT resultArrived(std::move(result));
}

}  // namespace infolens::ui
