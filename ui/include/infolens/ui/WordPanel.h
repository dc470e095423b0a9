#pragma once

#include <QWidget>
#include <functional>
#include <memory>

#include "infolens/live/LiveWorker.h"

class QLabel;
class QTreeWidget;

namespace infolens::ui {

// Every word with its CMI in both forms (PromptFit.h): "moves the model" (i_o, bits ± SE, drawn as
// a bar with its ±SE whisker) and "explains the image" (i_s, red when below zero beyond two SE),
// a thumbnail of its map, and the whole prompt's values in both forms above; sortable by any
// column, each value column by its own form. Header and cells explain the forms in tooltips.
class WordPanel : public QWidget {
    Q_OBJECT
  public:
    enum Column { kWordColumn, kOrthogonalColumn, kStandardColumn, kMapColumn, kColumnCount };
    using ThumbnailMaker = std::function<QImage(int word)>;
    explicit WordPanel(QWidget* parent = nullptr);

    void setThumbnailMaker(ThumbnailMaker maker) { m_thumbnail = std::move(maker); }
    void setResult(std::shared_ptr<const LiveResult> result);
    void setSelectedWord(int word);
    void refreshThumbnails();
    int rowCount() const;
    QTreeWidget* tree() const { return m_tree; }
    QLabel* promptLabel() const { return m_mi; }

  Q_SIGNALS:
    void wordClicked(int word);
    // A word's row was right-clicked at `globalPos`: the window shows the word's menu.
    void wordMenuRequested(int word, QPoint globalPos);

  private:
    QLabel* m_mi;
    QTreeWidget* m_tree;
    std::shared_ptr<const LiveResult> m_result;
    ThumbnailMaker m_thumbnail;
    double m_maxBits = 1.0;
};

}  // namespace infolens::ui
