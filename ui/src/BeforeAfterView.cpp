#include "infolens/ui/BeforeAfterView.h"

#include <QMouseEvent>
#include <QPainter>
#include <algorithm>

namespace infolens::ui {

namespace {
constexpr int kCaption = 16;  // px under each picture for its caption
}

BeforeAfterView::BeforeAfterView(QWidget* parent) : QWidget(parent) {
    setMinimumSize(160, 90);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void BeforeAfterView::setImages(const QImage& original, const QImage& edited) {
    m_original = original;
    m_edited = edited;
    update();
}

void BeforeAfterView::setSideBySide(bool sideBySide) {
    m_sideBySide = sideBySide;
    update();
}

void BeforeAfterView::setSplit(double split) {
    split = std::clamp(split, 0.0, 1.0);
    if (split == m_split)
        return;
    m_split = split;
    update();
    Q_EMIT splitChanged(split);
}

void BeforeAfterView::setFaded(bool faded) {
    m_faded = faded;
    update();
}

// The largest square-ish rect of the image's aspect in slot `slot` of `slots` across the width.
QRect BeforeAfterView::pictureRect(int slot, int slots) const {
    const QImage& ref = m_original.isNull() ? m_edited : m_original;
    const int slotWidth = width() / slots;
    const int h = height() - kCaption;
    if (ref.isNull() || slotWidth <= 4 || h <= 4)
        return {};
    const double scale = std::min((slotWidth - 4) / double(ref.width()), h / double(ref.height()));
    const QSize size(int(ref.width() * scale), int(ref.height() * scale));
    return QRect(QPoint(slot * slotWidth + (slotWidth - size.width()) / 2, 0), size);
}

void BeforeAfterView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    if (m_original.isNull() && m_edited.isNull()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("No intervention yet: right-click a word, Remove"));
        return;
    }
    if (m_faded)
        p.setOpacity(0.35);
    auto caption = [&](const QRect& r, const QString& text) {
        p.drawText(QRect(r.left(), r.bottom() + 1, r.width(), kCaption), Qt::AlignCenter, text);
    };
    if (m_sideBySide) {
        const QRect a = pictureRect(0, 2), b = pictureRect(1, 2);
        p.drawImage(a, m_original);
        p.drawImage(b, m_edited);
        caption(a, tr("original"));
        caption(b, tr("edited"));
        return;
    }
    const QRect r = pictureRect(0, 1);
    p.drawImage(r, m_original);
    const int divider = r.left() + int(m_split * r.width());
    const QRect left(r.left(), r.top(), divider - r.left(), r.height());
    if (!m_edited.isNull() && left.width() > 0) {
        const QRectF source(0, 0, m_edited.width() * m_split, m_edited.height());
        p.drawImage(QRectF(left), m_edited, source);
    }
    p.setPen(QPen(Qt::white, 2));
    p.drawLine(divider, r.top(), divider, r.bottom());
    p.setPen(palette().color(QPalette::WindowText));
    caption(r, tr("\u2190 edited | original \u2192"));
}

void BeforeAfterView::dragTo(int x) {
    if (m_sideBySide)
        return;
    const QRect r = pictureRect(0, 1);
    if (r.width() > 0)
        setSplit(double(x - r.left()) / r.width());
}

void BeforeAfterView::mousePressEvent(QMouseEvent* event) {
    dragTo(event->position().toPoint().x());
}

void BeforeAfterView::mouseMoveEvent(QMouseEvent* event) {
    if (event->buttons() & Qt::LeftButton)
        dragTo(event->position().toPoint().x());
}

}  // namespace infolens::ui
