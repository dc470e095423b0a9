#include "infolens/ui/ImageView.h"

#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

#include "infolens/Error.h"
#include "infolens/render/OverlayCompositor.h"
#include "infolens/render/OverlayRenderer.h"
#include "infolens/ui/MapScale.h"
#include "infolens/ui/MapSourceSelect.h"
#include "infolens/ui/ValueText.h"

namespace infolens::ui {

namespace {

constexpr int kColorbarWidth = 16;
constexpr int kColorbarMargin = 64;  // room for tick labels
constexpr int kPadding = 8;
const QColor kBackground(0x30, 0x30, 0x30);

QString formatBits(double v) {
    if (v == 0.0)
        return "0";
    const double a = std::abs(v);
    return QString::number(v, a >= 100 ? 'f' : 'g', a >= 100 ? 0 : 3);
}

}  // namespace

ImageView::ImageView(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setMinimumSize(240, 200);
    setFocusPolicy(Qt::StrongFocus);
    std::string note;
    m_renderer = createOverlayRenderer(&note);
    m_rendererNote = QString::fromStdString(note);
    m_lut = lutRgba(m_display.colormap.toStdString().c_str());
}

ImageView::~ImageView() = default;

QString ImageView::rendererDescription() const {
    QString d = QString::fromStdString(m_renderer->description());
    if (!m_rendererNote.isEmpty())
        d += " (" + m_rendererNote + ")";
    return d;
}

bool ImageView::usingVulkan() const {
    return m_renderer->isVulkan();
}

void ImageView::setImage(const Image& image) {
    m_image = image;
    m_baseRgba = toRgba(image);
    m_result.reset();
    update();
}

void ImageView::setResult(std::shared_ptr<const LiveResult> result) {
    m_result = std::move(result);
    update();
    if (m_hover.x() >= 0)
        updateHover(m_hover);
}

void ImageView::setSelectedWord(int word) {
    m_word = word;
    update();
}

void ImageView::setDisplay(const DisplaySettings& display) {
    if (display.colormap != m_display.colormap || m_lut.empty())
        m_lut = lutRgba(display.colormap.toStdString().c_str());
    m_display = display;
    update();
}

void ImageView::resetView() {
    m_zoom = 1.0;
    m_pan = {};
    update();
    refreshHover();  // the pixel under a still cursor changed
}

void ImageView::refreshHover() {
    if (m_hover.x() >= 0)
        updateHover(m_hover);
}

void ImageView::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    refreshHover();
}

QRect ImageView::colorbarRect() const {
    // Room above for two lines of units.
    const int top = kPadding + 2 * fontMetrics().height() + 14;  // clear of the top tick label
    return {width() - kColorbarMargin - kColorbarWidth + 4, top, kColorbarWidth,
            std::max(40, height() - kPadding - top - 20)};
}

ImageView::Placement ImageView::placement() const {
    Placement pl;
    pl.area = QRect(kPadding, kPadding, width() - 2 * kPadding - kColorbarMargin - kColorbarWidth,
                    height() - 2 * kPadding);
    const int w = std::max(1, m_image.width), h = std::max(1, m_image.height);
    const double fit = std::min(pl.area.width() / double(w), pl.area.height() / double(h));
    pl.scale = fit * m_zoom;
    pl.offset = QPointF(pl.area.center().x() + 0.5 - w * pl.scale / 2.0,
                        pl.area.center().y() + 0.5 - h * pl.scale / 2.0) +
                m_pan;
    return pl;
}

QRectF ImageView::imageRect() const {
    const Placement pl = placement();
    return {pl.offset, QSizeF(m_image.width * pl.scale, m_image.height * pl.scale)};
}

QImage ImageView::compose(int word, QSize size, double scale, QPointF offset, double dpr,
                          const DisplaySettings& display) const {
    OverlayInputs in;
    in.base = m_baseRgba.data();
    in.baseWidth = m_image.width;
    in.baseHeight = m_image.height;
    in.lut = m_lut.data();
    OverlayParams p;
    p.outWidth = static_cast<int>(std::lround(size.width() * dpr));
    p.outHeight = static_cast<int>(std::lround(size.height() * dpr));
    p.scale = static_cast<float>(scale * dpr);
    p.offsetX = static_cast<float>(offset.x() * dpr);
    p.offsetY = static_cast<float>(offset.y() * dpr);
    p.opacity = static_cast<float>(display.opacity);
    p.maskBelowThreshold = display.maskBelowThreshold;
    p.contour = display.contour;
    p.fadeLowValues = display.fadeLowValues;
    p.backgroundRgba =
        0xff000000u | (kBackground.blue() << 16) | (kBackground.green() << 8) | kBackground.red();
    // Lives until the render below has read it.
    const std::vector<float> map =
        m_result ? sourceMap(*m_result, word, display.mapSource) : std::vector<float>();
    if (!map.empty()) {
        const MapScale s = scaleFor(*m_result, word, display);
        in.map = map.data();
        in.mapWidth = m_result->mapWidth;
        in.mapHeight = m_result->mapHeight;
        p.lo = s.lo;
        p.hi = s.hi;
        p.threshold = s.threshold;
    }
    std::vector<std::uint8_t> pixels;
    try {
        pixels = m_renderer->render(in, p);
    } catch (const std::exception& e) {
        // A lost device must not take the view down: the CPU renderer draws the same picture.
        if (!m_renderer->isVulkan())
            throw;
        const QString reason = QString::fromUtf8(e.what());
        m_renderer = std::make_unique<CpuOverlayRenderer>();
        auto* self = const_cast<ImageView*>(this);
        self->m_rendererNote = "Vulkan failed: " + reason;
        QMetaObject::invokeMethod(
            self, [self, reason] { Q_EMIT self->rendererFellBack(reason); }, Qt::QueuedConnection);
        pixels = m_renderer->render(in, p);
    }
    QImage image(pixels.data(), p.outWidth, p.outHeight, p.outWidth * 4, QImage::Format_RGBA8888);
    QImage copy = image.copy();
    copy.setDevicePixelRatio(dpr);
    return copy;
}

QImage ImageView::renderWord(int word, int scale) const {
    if (m_image.width == 0)
        return {};
    const QSize size(m_image.width * scale, m_image.height * scale);
    return compose(word, size, scale, QPointF(0, 0), 1.0, m_display);
}

QImage ImageView::renderWord(int word, int scale, const DisplaySettings& display) const {
    if (m_image.width == 0)
        return {};
    const QSize size(m_image.width * scale, m_image.height * scale);
    return compose(word, size, scale, QPointF(0, 0), 1.0, display);
}

QString ImageView::mapNotice() const {
    if (!m_result || m_result->words.empty() || (!m_display.grid && m_word < 0))
        return {};
    return sourceUnavailableReason(*m_result, m_display.mapSource);
}

void ImageView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), kBackground);
    if (m_image.width == 0) {
        p.setPen(Qt::lightGray);
        p.drawText(rect(), Qt::AlignCenter,
                   tr("Open an image (File > Open Image, or drop one here)"));
        return;
    }
    if (m_display.grid && m_result && !m_result->words.empty()) {
        paintGrid(p);
    } else {
        const Placement pl = placement();
        const QImage composed =
            compose(m_word, pl.area.size(), pl.scale, pl.offset - QPointF(pl.area.topLeft()),
                    devicePixelRatioF(), m_display);
        p.drawImage(pl.area.topLeft(), composed);
    }
    // The chosen source has no map to draw: say why instead of showing a bare image.
    const QString notice = mapNotice();
    if (!notice.isEmpty()) {
        const QRect band(kPadding, kPadding, width() - 2 * kPadding - kColorbarMargin,
                         fontMetrics().height() + 8);
        p.fillRect(band, QColor(0, 0, 0, 170));
        p.setPen(QColor(255, 220, 120));
        p.drawText(band, Qt::AlignCenter, notice);
    }
    paintColorbar(p);
}

bool ImageView::gridPerMapScale() const {
    return m_display.grid && !m_display.sharedScale && m_result && !m_result->words.empty();
}

QStringList ImageView::gridLabels() const {
    QStringList labels;
    if (!m_result)
        return labels;
    for (int i = 0; i < static_cast<int>(m_result->words.size()); ++i) {
        const WordResult& w = m_result->words[i];
        QString word = QString::fromStdString(w.text);
        if (w.mode == WordMode::Placeholder)
            word += QString::fromUtf8(" \u2192 ") + QString::fromStdString(m_result->placeholder);
        QString label =
            word + "\n" + tr("i_o %1").arg(bitsWithSe(w.bits, w.seBits));  // as in figures
        // Each panel on its own scale: its own range, since the colorbar can only give shares.
        if (!m_display.sharedScale)
            label += "\n" + tr("max %1 %2")
                                .arg(formatBits(scaleFor(*m_result, i, m_display).hi),
                                     sourceMaxUnits(m_display.mapSource));
        labels << label;
    }
    return labels;
}

QString ImageView::colorbarUnits() const {
    const QString units = sourceUnits(m_display.mapSource);
    if (gridPerMapScale())
        return tr("%1: share of each map's max").arg(sourceName(m_display.mapSource));
    return m_display.sharedScale ? units : tr("%1 (this map)").arg(units);
}

void ImageView::paintGrid(QPainter& p) {
    const int n = static_cast<int>(m_result->words.size());
    const QRect area(kPadding, kPadding, width() - 2 * kPadding - kColorbarMargin - kColorbarWidth,
                     height() - 2 * kPadding);
    const int cols = static_cast<int>(std::ceil(std::sqrt(double(n))));
    const int rows = (n + cols - 1) / cols;
    const QStringList labels = gridLabels();
    const int labelHeight = fontMetrics().height() * (m_display.sharedScale ? 2 : 3) + 2;
    const int cellW = area.width() / cols, cellH = area.height() / rows;
    const double scale =
        std::max(0.1, std::min((cellW - 6) / double(m_image.width),
                               (cellH - 6 - labelHeight) / double(m_image.height)));
    const QSize tile(static_cast<int>(m_image.width * scale),
                     static_cast<int>(m_image.height * scale));
    for (int i = 0; i < n; ++i) {
        const QPoint cell(area.left() + (i % cols) * cellW, area.top() + (i / cols) * cellH);
        const QPoint at(cell.x() + (cellW - tile.width()) / 2, cell.y() + 2);
        p.drawImage(at, compose(i, tile, scale, QPointF(0, 0), devicePixelRatioF(), m_display));
        if (i == m_word) {
            p.setPen(QPen(QColor(255, 200, 0), 2));
            p.drawRect(QRect(at, tile).adjusted(-1, -1, 1, 1));
        }
        p.setPen(Qt::white);
        QStringList lines = labels[i].split('\n');
        for (QString& line : lines)  // a long word must not run into its neighbours
            line = fontMetrics().elidedText(line, Qt::ElideMiddle, cellW - 4);
        p.drawText(QRect(cell.x(), at.y() + tile.height() + 1, cellW, labelHeight),
                   Qt::AlignHCenter | Qt::AlignTop, lines.join('\n'));
    }
}

void ImageView::paintColorbar(QPainter& p) const {
    const QRect bar = colorbarRect();
    QImage gradient(1, 256, QImage::Format_RGB32);
    for (int i = 0; i < 256; ++i) {
        const int k = 255 - i;
        gradient.setPixel(0, i, qRgb(m_lut[k * 4], m_lut[k * 4 + 1], m_lut[k * 4 + 2]));
    }
    p.drawImage(bar, gradient);
    p.setPen(Qt::lightGray);
    p.drawRect(bar.adjusted(0, 0, -1, -1));
    MapScale s;
    const bool haveMaps = m_result && !m_result->words.empty();
    // In the grid with per-map scales every panel has its own range (printed under it): the bar
    // can only say which share of a panel's maximum a colour is.
    const bool shares = gridPerMapScale();
    if (haveMaps)
        s = shares ? MapScale{0.0f, 1.0f, static_cast<float>(m_display.thresholdFraction)}
                   : scaleFor(*m_result, m_word, m_display);
    // Above the bar, inside its margin (two lines when long), never over the image.
    const int unitsLeft = bar.left() - 12;
    p.drawText(QRect(unitsLeft, 2, width() - unitsLeft - 2, bar.top() - 12),
               Qt::AlignHCenter | Qt::AlignBottom | Qt::TextWordWrap, colorbarUnits());
    if (!haveMaps)
        return;
    for (int t = 0; t <= 4; ++t) {
        const double v = s.lo + (s.hi - s.lo) * t / 4.0;
        const int y = bar.bottom() - static_cast<int>(std::lround(bar.height() * t / 4.0));
        p.drawLine(bar.right(), y, bar.right() + 4, y);
        p.drawText(QRect(bar.right() + 6, y - 8, kColorbarMargin - 8, 16),
                   Qt::AlignLeft | Qt::AlignVCenter,
                   shares ? QString("%1%").arg(t * 25) : formatBits(v));
    }
    if (m_display.maskBelowThreshold || m_display.contour) {
        const int y =
            bar.bottom() -
            static_cast<int>(std::lround(bar.height() * (s.threshold - s.lo) / (s.hi - s.lo)));
        p.setPen(QPen(Qt::white, 2));
        p.drawLine(bar.left() - 4, y, bar.right() + 2, y);
    }
}

void ImageView::mousePressEvent(QMouseEvent* event) {
    if (event->button() == Qt::LeftButton && !m_display.grid) {
        m_dragging = true;
        m_dragFrom = event->position();
        setCursor(Qt::ClosedHandCursor);
    }
}

void ImageView::mouseMoveEvent(QMouseEvent* event) {
    if (m_dragging) {
        m_pan += event->position() - m_dragFrom;
        m_dragFrom = event->position();
        update();
    }
    updateHover(event->position());  // after the pan, so it reads the pixel now under the cursor
}

void ImageView::mouseReleaseEvent(QMouseEvent*) {
    m_dragging = false;
    unsetCursor();
}

void ImageView::mouseDoubleClickEvent(QMouseEvent*) {
    resetView();
}

void ImageView::wheelEvent(QWheelEvent* event) {
    if (m_display.grid || m_image.width == 0)
        return;
    const Placement before = placement();
    const QPointF pos = event->position();
    const QPointF imagePoint = (pos - before.offset) / before.scale;
    const double factor = std::pow(1.0015, event->angleDelta().y());
    m_zoom = std::clamp(m_zoom * factor, 0.25, 64.0);
    const Placement after = placement();
    // Keep the image point under the cursor fixed.
    m_pan += pos - (after.offset + imagePoint * after.scale);
    update();
    updateHover(pos);
}

void ImageView::leaveEvent(QEvent*) {
    m_hover = {-1, -1};
    emitHover(QString());
}

void ImageView::emitHover(const QString& text) {
    m_hoverText = text;
    Q_EMIT hoverText(text);
}

void ImageView::updateHover(QPointF pos) {
    m_hover = pos;
    if (m_image.width == 0 || m_display.grid)
        return;
    const Placement pl = placement();
    const QPointF uv = (pos - pl.offset) / pl.scale;
    if (uv.x() < 0 || uv.y() < 0 || uv.x() >= m_image.width || uv.y() >= m_image.height) {
        emitHover(QString());
        return;
    }
    QString text = tr("pixel (%1, %2)").arg(int(uv.x())).arg(int(uv.y()));
    if (m_result && !m_result->words.empty()) {
        // The values of the map source on view, in its units (MapSourceSelect.h).
        const MapSource source = m_display.mapSource;
        std::vector<std::pair<float, int>> values;
        float selected = 0.0f;
        bool haveSelected = false;
        for (int i = 0; i < static_cast<int>(m_result->words.size()); ++i) {
            const std::vector<float> map = sourceMap(*m_result, i, source);
            if (map.empty())
                continue;
            const float v = sampleMap(map.data(), m_result->mapWidth, m_result->mapHeight,
                                      m_image.width, m_image.height, float(uv.x()), float(uv.y()));
            values.push_back({v, i});
            if (i == m_word) {
                selected = v;
                haveSelected = true;
            }
        }
        if (haveSelected) {
            text += tr("   %1: %2 %3")
                        .arg(QString::fromStdString(m_result->words[m_word].text))
                        .arg(formatBits(selected))
                        .arg(sourceUnits(source));
        } else if (const QString why = sourceUnavailableReason(*m_result, source); !why.isEmpty()) {
            text += "   " + why;
        }
        std::sort(values.begin(), values.end(), [](auto a, auto b) { return a.first > b.first; });
        QStringList top;
        for (std::size_t k = 0; k < std::min<std::size_t>(3, values.size()); ++k) {
            top << QString("%1 %2")
                       .arg(QString::fromStdString(m_result->words[values[k].second].text))
                       .arg(formatBits(values[k].first));
        }
        if (!top.isEmpty())
            text += tr("   top: ") + top.join(", ") + " " + sourceUnits(source);
    }
    emitHover(text);
}

}  // namespace infolens::ui
