#include "infolens/ui/PromptController.h"

#include <QAction>
#include <QMenu>
#include <QUndoStack>

#include "infolens/ui/PromptEditor.h"

namespace infolens::ui {

namespace {

// Carries each word's mode to the same word (by text and occurrence) after an edit, so that
// inserting or deleting a word does not move a placeholder onto its neighbour.
std::vector<WordMode> remapModes(const std::vector<std::string>& oldWords,
                                 const std::vector<WordMode>& oldModes,
                                 const std::vector<PromptWord>& newWords) {
    std::vector<WordMode> modes(newWords.size(), WordMode::Omit);
    std::vector<bool> used(oldWords.size(), false);
    for (std::size_t i = 0; i < newWords.size(); ++i) {
        for (std::size_t j = 0; j < oldWords.size() && j < oldModes.size(); ++j) {
            if (!used[j] && oldWords[j] == newWords[i].text) {
                used[j] = true;
                modes[i] = oldModes[j];
                break;
            }
        }
    }
    return modes;
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
    if (!m_editTimer.isActive())
        m_committedModes = m_modes;
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
    m_undo->push(new Command(this, {m_committedPrompt, m_committedModes}, {now, m_modes}));
}

void PromptController::apply(const State& state) {
    m_editTimer.stop();
    m_committedPrompt = state.prompt;
    m_editor->setPrompt(state.prompt);
    const PromptAnalysis analysis = m_analyze(state.prompt);
    m_modes = state.modes;
    m_modes.resize(analysis.words.size(), WordMode::Omit);
    m_modeWords.clear();
    for (const PromptWord& w : analysis.words)
        m_modeWords.push_back(w.text);
    m_committedModes = m_modes;
    refreshWords();
    Q_EMIT changed();
}

void PromptController::refreshWords() {
    const PromptAnalysis analysis = m_analyze(m_editor->prompt());
    m_modes = remapModes(m_modeWords, m_modes, analysis.words);
    m_modeWords.clear();
    for (const PromptWord& w : analysis.words)
        m_modeWords.push_back(w.text);
    m_editor->setWords(analysis, m_modes, m_placeholder);
    Q_EMIT wordsChanged(static_cast<int>(analysis.words.size()));
}

}  // namespace infolens::ui
