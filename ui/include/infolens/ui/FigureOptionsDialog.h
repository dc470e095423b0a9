#pragma once

#include <QDialog>
#include <QStringList>
#include <vector>

class QComboBox;
class QListWidget;
class QSpinBox;
class QComboBox;

namespace infolens::ui {

// What goes into an exported figure: which words (all by default), the width (natural, a paper
// column of 3.5 in or a full page of 7 in) and, for PNG, the resolution.
struct FigureOptions {
    int dpi = 300;
    double widthInches = 0.0;  // 0: natural width
    std::vector<int> words;    // indices into the result's words, in prompt order; empty: all
    // One colour scale for every panel; by default each panel has its own (its maximum printed
    // under it), so a word with little information next to a dominant one is still readable.
    bool sharedScale = false;
};

// File ▸ Export ▸ Figure: a checkable list of the words, a size preset, the colour scale (each
// panel its own, or one shared) and the DPI (PNG only).
class FigureOptionsDialog : public QDialog {
    Q_OBJECT
  public:
    // `words`: the labels of the result's words, in prompt order.
    FigureOptionsDialog(const QStringList& words, bool png, QWidget* parent = nullptr);
    void setOptions(const FigureOptions& options);
    FigureOptions options() const;

  private:
    QListWidget* m_words;
    QComboBox* m_size;
    QSpinBox* m_dpi;
    QComboBox* m_scale;
};

}  // namespace infolens::ui
