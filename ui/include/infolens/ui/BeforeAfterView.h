#pragma once

#include <QImage>
#include <QWidget>

namespace infolens::ui {

// The original and the edited image, either side by side or as one picture with a divider: left
// of it the edited image, right of it the original (a before/after slider; setSplit or a drag
// moves it). Pixels are enlarged without smoothing, so small model images stay sharp.
class BeforeAfterView : public QWidget {
    Q_OBJECT
  public:
    explicit BeforeAfterView(QWidget* parent = nullptr);

    void setImages(const QImage& original, const QImage& edited);
    void setSideBySide(bool sideBySide);
    bool sideBySide() const { return m_sideBySide; }
    // 0..1 of the width: where the divider is in slider mode.
    void setSplit(double split);
    double split() const { return m_split; }
    // Greyed (a stale intervention).
    void setFaded(bool faded);
    QSize sizeHint() const override { return {300, 160}; }

  Q_SIGNALS:
    void splitChanged(double split);

  protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;

  private:
    QRect pictureRect(int slot, int slots) const;
    void dragTo(int x);

    QImage m_original;
    QImage m_edited;
    bool m_sideBySide = true;
    bool m_faded = false;
    double m_split = 0.5;
};

}  // namespace infolens::ui
