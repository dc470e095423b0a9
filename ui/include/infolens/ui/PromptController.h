#pragma once

#include <QObject>
#include <QString>
#include <QTimer>
#include <functional>
#include <string>
#include <vector>

#include "infolens/live/LiveWorker.h"

class QMenu;
class QUndoStack;

namespace infolens::ui {

class PromptEditor;

// The prompt and its per-word modes (omit or placeholder): typing in the editor, modes that follow
// their words through edits (by text, then by position; carried from the last committed prompt,
// so retyping the whole prompt keeps them), and undo/redo of both. A mode that cannot follow
// (its word is gone) is reset with a notice (modesReset). A burst of typing is committed as one
// undo step once it pauses for the debounce interval (the app's one debounce); every commit, undo
// and redo emits changed(), the signal to compute again.
class PromptController : public QObject {
    Q_OBJECT
  public:
    using Analyzer = std::function<PromptAnalysis(const QString& prompt)>;
    static constexpr int kDebounceMs = 200;

    PromptController(PromptEditor* editor, Analyzer analyze, QObject* parent = nullptr);
    ~PromptController() override;

    QString prompt() const;
    const std::vector<WordMode>& modes() const { return m_modes; }
    const QString& placeholder() const { return m_placeholder; }
    QUndoStack* undoStack() const { return m_undo; }
    void setDebounceMs(int ms) { m_editTimer.setInterval(ms); }
    // Edit ▸ Undo and Redo (enabled when there is something to undo or redo).
    void addUndoActions(QMenu* menu);

    // As if typed: the words follow at once, the commit after the debounce interval.
    void setPrompt(const QString& prompt);
    // Replaces prompt, modes and placeholder without an undo step and forgets the undo history
    // (a new document, e.g. a session); emits changed().
    void reset(const QString& prompt, const std::vector<WordMode>& modes,
               const QString& placeholder);
    // Switches a word between omission and the placeholder: one undo step.
    void toggleMode(int word);
    // Reads the words again (the model became ready or failed); modes stay with their words.
    void reanalyze();
    // Commits typing still inside the debounce window (undo, redo, mode switches and saving see
    // the text as shown).
    void flush();
    // For a recompute: commits pending typing and returns true when that changed the committed
    // prompt (changed() has then been emitted); otherwise drops the pending commit.
    bool commitPendingEdit();

  public Q_SLOTS:
    void undo();
    void redo();

  Q_SIGNALS:
    // The committed prompt or modes changed, or a commit found the text unchanged: compute again.
    void changed();
    // The editor shows new words (after every keystroke); `count` words.
    void wordsChanged(int count);
    // A committed edit removed words that were in placeholder mode (their mode could not follow
    // them by text or position); `text` says which, for the notice bar.
    void modesReset(const QString& text);

  private:
    struct State {
        QString prompt;
        std::vector<WordMode> modes;
    };
    class Command;

    void apply(const State& state);  // undo and redo land here
    void commitEdit();
    void refreshWords();

    PromptEditor* m_editor;
    Analyzer m_analyze;
    QUndoStack* m_undo;
    QTimer m_editTimer;
    QString m_committedPrompt;
    std::vector<WordMode> m_committedModes;
    std::vector<std::string> m_committedWords;  // the words m_committedModes belong to
    std::vector<WordMode> m_modes;              // of the words shown (typing may be pending)
    std::vector<std::string> m_shownWords;
    std::vector<std::string> m_dropped;  // placeholder words the shown prompt no longer has
    QString m_placeholder = "_";
};

}  // namespace infolens::ui
