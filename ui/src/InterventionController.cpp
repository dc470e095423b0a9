#include "infolens/ui/InterventionController.h"

#include <QAction>
#include <QInputDialog>
#include <QMenu>
#include <QRegularExpression>

#include "infolens/ui/InterventionPanel.h"
#include "infolens/ui/InterventionStore.h"

namespace infolens::ui {

InterventionController::InterventionController(QWidget* window, InterventionStore* store,
                                               InterventionPanel* panel, Source source,
                                               Intervene intervene, Cancel cancel, QObject* parent)
    : QObject(parent),
      m_window(window),
      m_store(store),
      m_panel(panel),
      m_source(std::move(source)),
      m_intervene(std::move(intervene)),
      m_cancel(std::move(cancel)) {
    m_askReplacement = [this](const QString& word) -> std::optional<QString> {
        bool ok = false;
        const QString text = QInputDialog::getText(
            m_window, tr("Swap Word"), tr("Replace \u201c%1\u201d with (one word):").arg(word),
            QLineEdit::Normal, QString(), &ok);
        if (!ok)
            return std::nullopt;
        return text;
    };
    connect(m_panel, &InterventionPanel::cancelRequested, this, &InterventionController::cancel);
}

void InterventionController::addTo(QMenu* menu) {
    menu->addAction(tr("&Remove Selected Word"), QKeySequence(Qt::CTRL | Qt::Key_R), this,
                    [this] { removeWord(m_source().selectedWord); });
    menu->addAction(tr("&Swap Selected Word\u2026"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R),
                    this, [this] { askSwapWord(m_source().selectedWord); });
    menu->addAction(tr("Run &All Words"), this, [this] { runAllWords(); });
    QAction* cancel =
        menu->addAction(tr("&Cancel Interventions"), this, [this] { this->cancel(); });
    cancel->setObjectName("cancelInterventionsAction");
    menu->addSeparator();
    menu->addAction(tr("C&lear Interventions"), this, [this] { m_store->clear(); });
}

void InterventionController::addWordActions(QMenu* menu, int word) {
    const InterventionSource source = m_source();
    const bool placeholder = word >= 0 && word < static_cast<int>(source.modes.size()) &&
                             source.modes[static_cast<std::size_t>(word)] == WordMode::Placeholder;
    QAction* remove = menu->addAction(
        placeholder ? tr("Remove (replace by \u201c%1\u201d)").arg(source.placeholder)
                    : tr("Remove (omit)"),
        this, [this, word] { removeWord(word); });
    remove->setObjectName("removeWordAction");
    menu->addAction(tr("Swap with\u2026"), this, [this, word] { askSwapWord(word); })
        ->setObjectName("swapWordAction");
}

QString InterventionController::replacementProblem(const QString& replacement) {
    const QString text = replacement.trimmed();
    if (text.isEmpty())
        return tr("type the word that takes its place");
    if (text.contains(QRegularExpression("\\s")))
        return tr("type one word (\u201c%1\u201d is several)").arg(text);
    return {};
}

std::optional<InterventionRequest> InterventionController::request(const InterventionSource& source,
                                                                   int word, InterventionKind kind,
                                                                   const QString& replacement) {
    if (!source.problem.isEmpty()) {
        fail(source.problem);
        return std::nullopt;
    }
    if (!source.image) {
        fail(tr("open an image first"));
        return std::nullopt;
    }
    if (word < 0 || word >= static_cast<int>(source.words.size())) {
        fail(tr("select a word first (click its chip)"));
        return std::nullopt;
    }
    InterventionRequest r;
    r.image = source.image;
    r.prompt = source.prompt.toStdString();
    r.word = word;
    r.kind = kind;
    r.mode = word < static_cast<int>(source.modes.size())
                 ? source.modes[static_cast<std::size_t>(word)]
                 : WordMode::Omit;
    r.placeholder = source.placeholder.toStdString();
    r.replacement = replacement.trimmed().toStdString();
    r.steps = m_steps;
    r.seed = source.seed;
    r.samples = source.samples;
    return r;
}

bool InterventionController::removeWord(int word) {
    const InterventionSource source = m_source();
    auto r = request(source, word, InterventionKind::Remove, {});
    if (!r)
        return false;
    return start(
        {*r},
        tr("Removing \u201c%1\u201d").arg(QString::fromStdString(source.words[std::size_t(word)])));
}

bool InterventionController::swapWord(int word, const QString& replacement) {
    const QString problem = replacementProblem(replacement);
    if (!problem.isEmpty()) {
        fail(problem);
        return false;
    }
    const InterventionSource source = m_source();
    auto r = request(source, word, InterventionKind::Swap, replacement);
    if (!r)
        return false;
    return start(
        {*r},
        tr("Swapping \u201c%1\u201d").arg(QString::fromStdString(source.words[std::size_t(word)])));
}

bool InterventionController::askSwapWord(int word) {
    const InterventionSource source = m_source();
    if (word < 0 || word >= static_cast<int>(source.words.size())) {
        fail(tr("select a word first (click its chip)"));
        return false;
    }
    const std::optional<QString> replacement =
        m_askReplacement(QString::fromStdString(source.words[std::size_t(word)]));
    if (!replacement)
        return false;
    return swapWord(word, *replacement);
}

bool InterventionController::runAllWords() {
    const InterventionSource source = m_source();
    std::vector<InterventionRequest> requests;
    for (int i = 0; i < static_cast<int>(source.words.size()); ++i) {
        auto r = request(source, i, InterventionKind::Remove, {});
        if (!r)
            return false;
        requests.push_back(std::move(*r));
    }
    if (requests.empty()) {
        fail(source.problem.isEmpty() ? tr("the prompt has no words") : source.problem);
        return false;
    }
    const QString what = tr("Running all %1 words").arg(requests.size());
    return start(std::move(requests), what);
}

bool InterventionController::start(std::vector<InterventionRequest> requests, const QString& what) {
    m_failures = 0;
    m_lastFailure.clear();
    InterventionProgress starting;
    starting.count = static_cast<int>(requests.size());
    starting.stage = what.toStdString();
    m_running = m_intervene(std::move(requests));
    starting.generation = m_running;
    m_panel->showProgress(starting);
    return true;
}

void InterventionController::cancel() {
    if (m_running == 0)
        return;
    m_cancel();
    m_running = 0;
    m_panel->hideProgress();
    m_panel->showMessage(tr("Interventions cancelled."), false);
    Q_EMIT finished();
}

void InterventionController::fail(const QString& text) {
    m_panel->showMessage(tr("Cannot run the intervention: %1.").arg(text), true);
}

void InterventionController::receive(std::shared_ptr<const InterventionOutcome> outcome) {
    if (!outcome)
        return;
    if (!outcome->error.empty()) {
        ++m_failures;
        m_lastFailure = QString::fromStdString(outcome->error);
    } else {
        m_store->add(outcome);
    }
    const bool last = outcome->index + 1 >= outcome->count;
    if (!last)
        return;
    m_running = 0;
    m_panel->hideProgress();
    if (m_failures > 0)
        m_panel->showMessage(
            tr("%n intervention(s) failed: %1", nullptr, m_failures).arg(m_lastFailure), true);
    Q_EMIT finished();
}

void InterventionController::receiveProgress(const InterventionProgress& progress) {
    if (m_running != 0 && progress.generation == m_running)
        m_panel->showProgress(progress);
}

}  // namespace infolens::ui
