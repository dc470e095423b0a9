#include "infolens/ui/InterventionScatter.h"

#include <QMouseEvent>
#include <QPainter>
#include <algorithm>
#include <cmath>

#include "infolens/ui/InterventionImages.h"
#include "infolens/ui/InterventionStore.h"
#include "infolens/ui/ValueText.h"

namespace infolens::ui {

namespace {
constexpr double kLeft = 44, kBottom = 30, kTop = 22, kRight = 10;
constexpr double kPickRadius = 8.0;
}  // namespace

InterventionScatter::InterventionScatter(InterventionStore* store, QWidget* parent)
    : QWidget(parent), m_store(store) {
    setObjectName("interventionScatter");
    setToolTip(
        tr("Each point is one intervention: the word's CMI (i_o, bits) against the total "
           "change it caused. r: Pearson correlation over all points (image level)."));
    connect(m_store, &InterventionStore::changed, this, &InterventionScatter::refresh);
    connect(m_store, &InterventionStore::selectionChanged, this, [this] { update(); });
    refresh();
}

void InterventionScatter::refresh() {
    std::vector<const InterventionOutcome*> all;
    m_maxX = 0.0;
    m_maxY = 0.0;
    for (const auto& o : m_store->outcomes()) {
        all.push_back(o.get());
        m_maxX = std::max(m_maxX, o->cmiBits);
        m_maxY = std::max(m_maxY, o->totalChange);
    }
    m_maxX = m_maxX > 0 ? m_maxX * 1.08 : 1.0;
    m_maxY = m_maxY > 0 ? m_maxY * 1.08 : 1.0;
    m_r = imageLevelR(all);
    update();
}

QRectF InterventionScatter::plotRect() const {
    return QRectF(kLeft, kTop, std::max(1.0, width() - kLeft - kRight),
                  std::max(1.0, height() - kTop - kBottom));
}

QPointF InterventionScatter::pointOf(int index) const {
    if (index < 0 || index >= m_store->count())
        return {};
    const InterventionOutcome& o = *m_store->at(index);
    const QRectF r = plotRect();
    const double x = std::clamp(o.cmiBits / m_maxX, 0.0, 1.0);
    const double y = std::clamp(o.totalChange / m_maxY, 0.0, 1.0);
    return {r.left() + x * r.width(), r.bottom() - y * r.height()};
}

// Right of and above the point, unless that leaves the widget (the largest CMI sits near the
// right edge) or runs into the header line above the plot.
QPointF InterventionScatter::labelPosition(QPointF point, const QString& label,
                                           const QFontMetrics& fm) const {
    const QRectF plot = plotRect();
    const double w = fm.horizontalAdvance(label);
    double x = point.x() + 6;
    if (x + w > width() - 2)
        x = point.x() - 6 - w;
    double y = point.y() - 4;
    if (y - fm.ascent() < plot.top())
        y = point.y() + 4 + fm.ascent();
    return {x, y};
}

void InterventionScatter::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), palette().color(QPalette::Base));
    const QRectF r = plotRect();
    const QColor text = palette().color(QPalette::Text);
    p.setPen(text);
    p.drawLine(r.bottomLeft(), r.bottomRight());
    p.drawLine(r.bottomLeft(), r.topLeft());
    const QFontMetrics fm = p.fontMetrics();
    p.drawText(QRectF(r.left(), r.bottom() + 2, r.width(), fm.height()), Qt::AlignHCenter,
               tr("CMI i_o (bits)"));
    p.drawText(QRectF(r.left(), r.bottom() + 2, r.width(), fm.height()), Qt::AlignRight,
               numberText(m_maxX, m_maxX >= 10 ? 0 : 1));
    p.drawText(QRectF(0, r.top() - fm.height() - 2, width(), fm.height()), Qt::AlignLeft,
               tr(" total change (max %1)").arg(numberText(m_maxY, m_maxY >= 10 ? 0 : 2)));
    p.drawText(QRectF(0, r.top() - fm.height() - 2, width() - 4, fm.height()), Qt::AlignRight,
               tr("image-level r = %1 (n = %2)").arg(rText(m_r)).arg(m_store->count()));
    if (m_store->count() == 0) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(r, Qt::AlignCenter, tr("Run All Words to fill"));
        return;
    }
    for (int i = 0; i < m_store->count(); ++i) {
        const bool stale = !m_store->staleReason(i).isEmpty();
        const QPointF c = pointOf(i);
        p.setPen(Qt::NoPen);
        p.setBrush(stale ? QColor(170, 170, 170) : QColor(41, 128, 185));
        p.drawEllipse(c, 4.0, 4.0);
        if (i == m_store->selected()) {
            p.setPen(QPen(QColor(241, 196, 15), 2));
            p.setBrush(Qt::NoBrush);
            p.drawEllipse(c, 7.0, 7.0);
        }
        p.setPen(stale ? QColor(150, 150, 150) : text);
        p.drawText(labelPosition(c, QString::fromStdString(m_store->at(i)->word), fm),
                   QString::fromStdString(m_store->at(i)->word));
    }
}

void InterventionScatter::mousePressEvent(QMouseEvent* event) {
    const QPointF at = event->position();
    int best = -1;
    double bestDistance = kPickRadius;
    for (int i = 0; i < m_store->count(); ++i) {
        const double d = std::hypot(pointOf(i).x() - at.x(), pointOf(i).y() - at.y());
        if (d <= bestDistance) {
            best = i;
            bestDistance = d;
        }
    }
    if (best >= 0)
        m_store->select(best);
}

}  // namespace infolens::ui
