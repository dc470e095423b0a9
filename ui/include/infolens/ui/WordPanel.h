#pragma once

#include <QWidget>
#include <functional>
#include <memory>

#include "infolens/live/LiveWorker.h"

class QLabel;
class QTreeWidget;

namespace infolens::ui {

// Every word with its CMI in bits ± SE as a bar, a thumbnail of its map, and the MI of the whole
// prompt above; sortable by any column.
class WordPanel : public QWidget {
    Q_OBJECT
  public:
    using ThumbnailMaker = std::function<QImage(int word)>;
    explicit WordPanel(QWidget* parent = nullptr);

    void setThumbnailMaker(ThumbnailMaker maker) { m_thumbnail = std::move(maker); }
    void setResult(std::shared_ptr<const LiveResult> result);
    void setSelectedWord(int word);
    void refreshThumbnails();
    int rowCount() const;
    QTreeWidget* tree() const { return m_tree; }

  Q_SIGNALS:
    void wordClicked(int word);

  private:
    QLabel* m_mi;
    QTreeWidget* m_tree;
    std::shared_ptr<const LiveResult> m_result;
    ThumbnailMaker m_thumbnail;
    double m_maxBits = 1.0;
};

}  // namespace infolens::ui
