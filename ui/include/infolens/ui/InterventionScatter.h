#pragma once

#include <QWidget>
#include <vector>

namespace infolens::ui {

class InterventionStore;

// CMI (i_o, bits) against total change, one point per intervention, with the image-level Pearson
// r of all points printed (the paper's image-level comparison). Stale points are grey; the
// selected one is ringed. Clicking a point selects that intervention.
class InterventionScatter : public QWidget {
    Q_OBJECT
  public:
    explicit InterventionScatter(InterventionStore* store, QWidget* parent = nullptr);

    // The r printed (NaN with fewer than two points or no variance).
    double imageR() const { return m_r; }
    // Where intervention `index` is drawn (widget coordinates; null when not drawn).
    QPointF pointOf(int index) const;
    // Where the label of a point drawn at `point` starts (baseline left): inside the widget and
    // below the header line.
    QPointF labelPosition(QPointF point, const QString& label, const QFontMetrics& fm) const;
    QSize sizeHint() const override { return {260, 200}; }
    QSize minimumSizeHint() const override { return {160, 120}; }

  protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;

  private:
    void refresh();
    QRectF plotRect() const;

    InterventionStore* m_store;
    double m_r = 0.0;
    double m_maxX = 1.0;
    double m_maxY = 1.0;
};

}  // namespace infolens::ui
