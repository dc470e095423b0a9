#pragma once

#include <QImage>
#include <QPointF>
#include <QStringList>
#include <QWidget>
#include <memory>
#include <vector>

#include "infolens/io/ImageIO.h"
#include "infolens/live/LiveWorker.h"
#include "infolens/ui/DisplaySettings.h"

namespace infolens {
class OverlayRenderer;
}

namespace infolens::ui {

// The image with the selected word's map composited over it (Vulkan compute, or the CPU
// renderer when no Vulkan device exists), a colorbar with units, pan (drag) and zoom (wheel,
// double-click resets), hover readout, and a grid mode with every word as small multiples.
class ImageView : public QWidget {
    Q_OBJECT
  public:
    explicit ImageView(QWidget* parent = nullptr);
    ~ImageView() override;

    void setImage(const Image& image);
    void setResult(std::shared_ptr<const LiveResult> result);
    void setSelectedWord(int word);
    void setDisplay(const DisplaySettings& display);
    void resetView();

    const DisplaySettings& display() const { return m_display; }
    QString rendererDescription() const;
    bool usingVulkan() const;
    // The composited view of one word (or the plain image for word < 0) at the base image's
    // size times `scale`, as drawn; used for thumbnails and figure export.
    QImage renderWord(int word, int scale) const;
    // The same with other display settings (same colormap): a figure's own colour scale.
    QImage renderWord(int word, int scale, const DisplaySettings& display) const;
    // Why the selected word's map cannot be drawn with the chosen source ("attention not
    // computed yet", ...), as written over the image; empty when it is drawn.
    QString mapNotice() const;
    QSize sizeHint() const override { return {640, 560}; }
    // Where the image is drawn (widget coordinates), for the window test and overlays.
    QRectF imageRect() const;
    // The grid's label under each word, as drawn: the word ("word → _" when it is replaced by the
    // placeholder), its i_o ± SE and, with per-map scales, the panel's own maximum.
    QStringList gridLabels() const;
    // The colorbar's units as drawn, naming the map source: "i_o bits/px", "attention ppm/px",
    // ..., or in the grid with per-map scales the share of each map's maximum (each panel states
    // its maximum).
    QString colorbarUnits() const;
    // The hover readout as last sent through hoverText (empty when the cursor is off the image).
    // Kept current when the view moves under a still cursor (zoom, pan, Reset Zoom, resize).
    QString hoverReadout() const { return m_hoverText; }
    // Reads the pixel under the cursor again (the view or the maps changed under it).
    void refreshHover();

  Q_SIGNALS:
    void hoverText(const QString& text);
    void rendererFellBack(const QString& reason);

  protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

  private:
    struct Placement {
        QRect area;      // where the image may be drawn, widget pixels
        double scale;    // widget pixels per image pixel
        QPointF offset;  // widget position of the image's top-left corner
    };
    Placement placement() const;
    QRect colorbarRect() const;
    bool gridPerMapScale() const;
    QImage compose(int word, QSize size, double scale, QPointF offset, double dpr,
                   const DisplaySettings& display) const;
    void paintColorbar(QPainter& p) const;
    void paintGrid(QPainter& p);
    void updateHover(QPointF pos);
    void emitHover(const QString& text);

    mutable std::unique_ptr<OverlayRenderer> m_renderer;
    QString m_rendererNote;
    Image m_image;
    std::vector<std::uint8_t> m_baseRgba;
    std::shared_ptr<const LiveResult> m_result;
    int m_word = -1;
    DisplaySettings m_display;
    std::vector<std::uint8_t> m_lut;
    double m_zoom = 1.0;
    QPointF m_pan;
    QPointF m_dragFrom;
    bool m_dragging = false;
    QPointF m_hover{-1, -1};
    QString m_hoverText;
};

}  // namespace infolens::ui
