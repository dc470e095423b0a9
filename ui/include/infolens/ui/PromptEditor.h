#pragma once

#include <QPoint>
#include <QWidget>
#include <vector>

#include "infolens/live/LiveWorker.h"

class QLineEdit;
class QLabel;
class QHBoxLayout;
class QButtonGroup;

namespace infolens::ui {

// The prompt as text plus one chip per word (the tokenizer's spans). Clicking a chip selects the
// word; right-click opens its menu (wordMenuRequested: omission/placeholder, Remove, Swap with…);
// unknown words are marked.
class PromptEditor : public QWidget {
    Q_OBJECT
  public:
    explicit PromptEditor(QWidget* parent = nullptr);

    QString prompt() const;
    void setPrompt(const QString& prompt);  // programmatic; emits nothing
    void setWords(const PromptAnalysis& analysis, const std::vector<WordMode>& modes,
                  const QString& placeholder);
    void setSelectedWord(int word);
    QLineEdit* lineEdit() const { return m_edit; }

  Q_SIGNALS:
    void promptEdited(const QString& prompt);  // by the user
    void wordClicked(int word);
    void modeToggled(int word);
    // A chip was right-clicked at `globalPos`: the window shows the word's menu.
    void wordMenuRequested(int word, QPoint globalPos);
    // Ctrl+Z / Ctrl+Shift+Z in the text field go to the window's undo stack, not QLineEdit's own.
    void undoRequested();
    void redoRequested();

  protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

  private:
    QLineEdit* m_edit;
    QLabel* m_problem;
    QWidget* m_chips;
    QHBoxLayout* m_chipLayout;
    QButtonGroup* m_group;
};

}  // namespace infolens::ui
