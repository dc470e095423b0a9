#include "infolens/ui/PromptController.h"

#include <QAction>
#include <QMenu>
#include <QStringList>
#include <QUndoStack>
#include <algorithm>

#include "infolens/ui/PromptEditor.h"

namespace infolens::ui {

namespace {

struct Remapped {
    std::vector<WordMode> modes;
    std::vector<std::string> dropped;  // words in placeholder mode that no new word took over
};

// Carries each word's mode to the same word after an edit: first by text (and occurrence, in
// order), so inserting or deleting a word does not move a placeholder onto its neighbour; then a
// word still unmatched takes the mode of the unmatched old word at its position (a word being
// retyped, "purp" on the way to "purple", or one replaced in place).
Remapped remapModes(const std::vector<std::string>& oldWords, const std::vector<WordMode>& oldModes,
                    const std::vector<PromptWord>& newWords) {
    Remapped out;
    out.modes.assign(newWords.size(), WordMode::Omit);
    const std::size_t old = std::min(oldWords.size(), oldModes.size());
    std::vector<bool> used(old, false);
    std::vector<bool> matched(newWords.size(), false);
    for (std::size_t i = 0; i < newWords.size(); ++i) {
        for (std::size_t j = 0; j < old; ++j) {
            if (!used[j] && oldWords[j] == newWords[i].text) {
                used[j] = matched[i] = true;
                out.modes[i] = oldModes[j];
                break;
            }
        }
    }
    for (std::size_t i = 0; i < newWords.size() && i < old; ++i) {
        if (!matched[i] && !used[i]) {
            used[i] = true;
            out.modes[i] = oldModes[i];
        }
    }
    for (std::size_t j = 0; j < old; ++j) {
        if (!used[j] && oldModes[j] == WordMode::Placeholder)
            out.dropped.push_back(oldWords[j]);
    }
    return out;
}

}  // namespace

// One committed prompt edit (a burst of typing, or a word's mode switched).
class PromptController::Command : public QUndoCommand {
  public:
    Command(PromptController* owner, State before, State after)
        : m_owner(owner), m_before(std::move(before)), m_after(std::move(after)) {
        setText(QObject::tr("Edit Prompt"));
    }
    void undo() override { m_owner->apply(m_before); }
    void redo() override { m_owner->apply(m_after); }

  private:
    PromptController* m_owner;
    State m_before, m_after;
};

PromptController::PromptController(PromptEditor* editor, Analyzer analyze, QObject* parent)
    : QObject(parent), m_editor(editor), m_analyze(std::move(analyze)) {
    m_undo = new QUndoStack(this);
    m_editTimer.setSingleShot(true);
    m_editTimer.setInterval(kDebounceMs);
    connect(&m_editTimer, &QTimer::timeout, this, &PromptController::commitEdit);
    connect(m_editor, &PromptEditor::promptEdited, this, [this](const QString&) {
        refreshWords();
        m_editTimer.start();
    });
    connect(m_editor, &PromptEditor::modeToggled, this, &PromptController::toggleMode);
    connect(m_editor, &PromptEditor::undoRequested, this, &PromptController::undo);
    connect(m_editor, &PromptEditor::redoRequested, this, &PromptController::redo);
}

PromptController::~PromptController() = default;

void PromptController::addUndoActions(QMenu* menu) {
    QAction* undo = menu->addAction(tr("&Undo"), QKeySequence::Undo, this, &PromptController::undo);
    QAction* redo = menu->addAction(tr("&Redo"), QKeySequence::Redo, this, &PromptController::redo);
    undo->setEnabled(m_undo->canUndo());
    redo->setEnabled(m_undo->canRedo());
    connect(m_undo, &QUndoStack::canUndoChanged, undo, &QAction::setEnabled);
    connect(m_undo, &QUndoStack::canRedoChanged, redo, &QAction::setEnabled);
}

QString PromptController::prompt() const {
    return m_editor->prompt();
}

void PromptController::setPrompt(const QString& prompt) {
    m_editor->setPrompt(prompt);
    refreshWords();
    m_editTimer.start();
}

void PromptController::reset(const QString& prompt, const std::vector<WordMode>& modes,
                             const QString& placeholder) {
    m_placeholder = placeholder;
    m_undo->clear();
    apply({prompt, modes});
}

void PromptController::toggleMode(int word) {
    flush();
    if (word < 0 || word >= static_cast<int>(m_modes.size()))
        return;
    std::vector<WordMode> modes = m_modes;
    modes[word] = modes[word] == WordMode::Omit ? WordMode::Placeholder : WordMode::Omit;
    m_undo->push(new Command(this, {m_committedPrompt, m_modes}, {m_committedPrompt, modes}));
}

void PromptController::reanalyze() {
    refreshWords();
    if (!m_editTimer.isActive()) {
        m_committedModes = m_modes;
        m_committedWords = m_shownWords;
    }
}

void PromptController::undo() {
    flush();
    m_undo->undo();
}

void PromptController::redo() {
    flush();
    m_undo->redo();
}

void PromptController::flush() {
    if (!m_editTimer.isActive())
        return;
    m_editTimer.stop();
    commitEdit();
}

bool PromptController::commitPendingEdit() {
    if (m_editTimer.isActive() && m_editor->prompt() != m_committedPrompt) {
        flush();  // the undo command applies the edit, which emits changed()
        return true;
    }
    m_editTimer.stop();
    return false;
}

void PromptController::commitEdit() {
    const QString now = m_editor->prompt();
    if (now == m_committedPrompt) {
        Q_EMIT changed();
        return;
    }
    const std::vector<std::string> dropped = m_dropped;
    m_undo->push(new Command(this, {m_committedPrompt, m_committedModes}, {now, m_modes}));
    if (!dropped.empty()) {
        QStringList words;
        for (const std::string& w : dropped)
            words << QString::fromUtf8("\u201c%1\u201d").arg(QString::fromStdString(w));
        Q_EMIT modesReset((words.size() == 1 ? tr("%1 is no longer in the prompt: its "
                                                  "placeholder mode was reset (Edit \u25b8 Undo "
                                                  "brings it back).")
                                             : tr("%1 are no longer in the prompt: their "
                                                  "placeholder modes were reset (Edit \u25b8 "
                                                  "Undo brings them back)."))
                              .arg(words.join(", ")));
    }
}

void PromptController::apply(const State& state) {
    m_editTimer.stop();
    m_committedPrompt = state.prompt;
    m_editor->setPrompt(state.prompt);
    const PromptAnalysis analysis = m_analyze(state.prompt);
    m_modes = state.modes;
    m_modes.resize(analysis.words.size(), WordMode::Omit);
    m_committedWords.clear();
    for (const PromptWord& w : analysis.words)
        m_committedWords.push_back(w.text);
    m_committedModes = m_modes;
    refreshWords();
    Q_EMIT changed();
}

// The modes are carried from the last committed prompt, not from the previous keystroke: while a
// word is retyped letter by letter it is briefly gone, and its mode must not go with it.
void PromptController::refreshWords() {
    const PromptAnalysis analysis = m_analyze(m_editor->prompt());
    Remapped remapped = remapModes(m_committedWords, m_committedModes, analysis.words);
    m_modes = std::move(remapped.modes);
    m_dropped = std::move(remapped.dropped);
    m_shownWords.clear();
    for (const PromptWord& w : analysis.words)
        m_shownWords.push_back(w.text);
    m_editor->setWords(analysis, m_modes, m_placeholder);
    Q_EMIT wordsChanged(static_cast<int>(analysis.words.size()));
}

}  // namespace infolens::ui
