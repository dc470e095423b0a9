#pragma once

#include <QObject>
#include <QString>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infolens/live/LiveIntervention.h"
#include "infolens/ui/MetaTypes.h"

class QAction;
class QMenu;
class QWidget;

namespace infolens::ui {

class InterventionPanel;
class InterventionStore;

// What an intervention is asked for: the document as it is now.
struct InterventionSource {
    std::shared_ptr<const Image> image;
    QString prompt;
    std::vector<std::string> words;  // the prompt's words as the chips show them
    std::vector<WordMode> modes;
    QString placeholder = "_";
    std::uint64_t seed = 0;  // the estimation seed
    int samples = 64;
    int selectedWord = -1;
    QString problem;  // non-empty: nothing can run, and why (no image, model loading, …)
};

// The word actions (Remove, Swap with…, Run All Words, Cancel, Clear) and the round trip to the
// worker: builds the requests from the document, hands them to `intervene`, and feeds what comes
// back (receive / receiveProgress, called by the window with the bridge's signals) into the store
// and the panel. Starting, cancelling and failures are reported in the panel.
class InterventionController : public QObject {
    Q_OBJECT
  public:
    using Source = std::function<InterventionSource()>;
    using Intervene = std::function<std::uint64_t(std::vector<InterventionRequest>)>;
    using Cancel = std::function<void()>;
    // Asks for the word that replaces `word`; nullopt when cancelled. The default is an input
    // dialog; tests replace it.
    using ReplacementAsker = std::function<std::optional<QString>(const QString& word)>;

    InterventionController(QWidget* window, InterventionStore* store, InterventionPanel* panel,
                           Source source, Intervene intervene, Cancel cancel,
                           QObject* parent = nullptr);

    void setReplacementAsker(ReplacementAsker asker) { m_askReplacement = std::move(asker); }
    // DDIM steps of inversion and regeneration (default 50); tests use fewer.
    void setSteps(int steps) { m_steps = steps; }
    int steps() const { return m_steps; }

    // Interventions ▸ …: Remove Selected Word, Swap Selected Word…, Run All Words, Cancel,
    // Clear Interventions.
    void addTo(QMenu* menu);
    // The entries of a word's context menu (chip or row): Remove, Swap with…
    void addWordActions(QMenu* menu, int word);

    // Each returns false and reports in the panel when nothing could start.
    bool removeWord(int word);
    bool swapWord(int word, const QString& replacement);
    bool askSwapWord(int word);  // asks for the replacement (ReplacementAsker) first
    bool runAllWords();
    void cancel();
    bool running() const { return m_running != 0; }

    // Why a replacement is refused ("type one word"); empty when it is fine.
    static QString replacementProblem(const QString& replacement);

  public Q_SLOTS:
    void receive(std::shared_ptr<const infolens::InterventionOutcome> outcome);
    void receiveProgress(const infolens::InterventionProgress& progress);

  Q_SIGNALS:
    // Every outcome of the running call has arrived, or it was cancelled.
    void finished();

  private:
    bool start(std::vector<InterventionRequest> requests, const QString& what);
    std::optional<InterventionRequest> request(const InterventionSource& source, int word,
                                               InterventionKind kind, const QString& replacement);
    void fail(const QString& text);

    QWidget* m_window;
    InterventionStore* m_store;
    InterventionPanel* m_panel;
    Source m_source;
    Intervene m_intervene;
    Cancel m_cancel;
    ReplacementAsker m_askReplacement;
    int m_steps = 50;
    std::uint64_t m_running = 0;  // generation of the call in progress; 0: none
    int m_failures = 0;
    QString m_lastFailure;
};

}  // namespace infolens::ui
