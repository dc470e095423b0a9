#include "infolens/ui/NoiseChart.h"

#include <QMouseEvent>
#include <QPainter>
#include <algorithm>
#include <cmath>

#include "infolens/ui/ValueText.h"

namespace infolens::ui {

namespace {
constexpr int kBins = 16;
constexpr int kGap = 4;  // between a label and its neighbour or the plot
constexpr int kYTicks = 3;
constexpr int kXTicks = 3;

QString yTickText(double y) {
    return numberText(y, std::abs(y) >= 10 ? 0 : (std::abs(y) >= 1 ? 1 : 2));
}
}  // namespace

NoiseChart::NoiseChart(QWidget* parent) : QWidget(parent) {
    setMinimumHeight(110);
    setMouseTracking(true);
}

void NoiseChart::setResult(std::shared_ptr<const LiveResult> result) {
    m_result = std::move(result);
    refreshHover();
    update();
}

void NoiseChart::setSelectedWord(int word) {
    m_word = word;
    refreshHover();
    update();
}

std::vector<NoiseChart::Bin> NoiseChart::binIntegrand(const std::vector<IntegrandPoint>& points,
                                                      int bins) {
    std::vector<Bin> out;
    if (points.empty() || bins < 1)
        return out;
    float lo = points.front().logSnr, hi = lo;
    for (const IntegrandPoint& p : points) {
        lo = std::min(lo, p.logSnr);
        hi = std::max(hi, p.logSnr);
    }
    const double width = std::max(1e-6, double(hi - lo)) / bins;
    std::vector<double> sum(bins), sq(bins);
    std::vector<int> count(bins);
    for (const IntegrandPoint& p : points) {
        const int b = std::clamp(static_cast<int>((p.logSnr - lo) / width), 0, bins - 1);
        sum[b] += p.bitsPerLogSnr;
        sq[b] += double(p.bitsPerLogSnr) * p.bitsPerLogSnr;
        ++count[b];
    }
    for (int b = 0; b < bins; ++b) {
        if (count[b] == 0)
            continue;
        Bin bin;
        bin.logSnr = lo + (b + 0.5) * width;
        bin.count = count[b];
        bin.mean = sum[b] / count[b];
        const double var =
            count[b] > 1 ? std::max(0.0, (sq[b] - count[b] * bin.mean * bin.mean) / (count[b] - 1))
                         : 0.0;
        bin.se = std::sqrt(var / count[b]);
        out.push_back(bin);
    }
    return out;
}

const WordResult* NoiseChart::word() const {
    if (!m_result || m_word < 0 || m_word >= static_cast<int>(m_result->words.size()))
        return nullptr;
    return &m_result->words[m_word];
}

// Every label gets its own rectangle from the font's metrics: the y title in a column of its own
// left of the tick values, the x ticks in a row of their own above the x title, the end ticks
// kept inside the widget. So no two labels overlap at any size the dock allows.
NoiseChart::Geometry NoiseChart::geometry(const std::vector<Bin>& bins) const {
    Geometry g;
    const QFontMetrics fm = fontMetrics();
    const int line = fm.height();
    g.title = QRect(kGap, 2, width() - 2 * kGap, line);
    if (bins.empty()) {
        g.plot = rect().adjusted(kGap, line + 2 * kGap, -kGap, -kGap);
        return g;
    }
    g.yMax = 1e-9;
    g.yMin = 0.0;
    for (const Bin& b : bins) {
        g.yMax = std::max(g.yMax, b.mean + b.se);
        g.yMin = std::min(g.yMin, b.mean - b.se);
    }
    g.xLo = bins.front().logSnr;
    g.xHi = std::max(g.xLo + 1e-6, bins.back().logSnr);
    int tickWidth = 0;
    for (int t = 0; t < kYTicks; ++t) {
        const double y = g.yMin + (g.yMax - g.yMin) * t / (kYTicks - 1);
        g.yTickText << yTickText(y);
        tickWidth = std::max(tickWidth, fm.horizontalAdvance(g.yTickText.back()));
    }
    const int yTitleLeft = 2;
    const int tickLeft = yTitleLeft + line + kGap;
    const int plotLeft = tickLeft + tickWidth + kGap + 2;
    const int plotTop = g.title.bottom() + 1 + kGap + line / 2;
    // Below the plot: half a line for the lowest y tick value, then the x ticks, then the x title.
    const int xTickTop = line / 2 + 2;
    const int plotBottom = height() - 1 - (xTickTop + line + 2 + line + kGap);
    g.plot = QRect(QPoint(plotLeft, plotTop), QPoint(width() - 1 - 2 * kGap, plotBottom));
    for (int t = 0; t < kYTicks; ++t) {
        const double y = g.yMin + (g.yMax - g.yMin) * t / (kYTicks - 1);
        g.yTicks.emplace_back(tickLeft, py(g, y) - line / 2.0, tickWidth, line);
    }
    const QString yTitle = tr("bits / log-SNR");
    const int yTitleLength = std::min(fm.horizontalAdvance(yTitle) + 4, g.plot.height());
    g.yTitle = QRectF(yTitleLeft, g.plot.center().y() - yTitleLength / 2.0, line, yTitleLength);
    for (int t = 0; t < kXTicks; ++t) {
        const double x = g.xLo + (g.xHi - g.xLo) * t / (kXTicks - 1);
        g.xTickText << numberText(x, 1);
        const double w = fm.horizontalAdvance(g.xTickText.back()) + 4;
        const double left = std::clamp(px(g, x) - w / 2.0, 0.0, std::max(0.0, double(width()) - w));
        g.xTicks.emplace_back(left, g.plot.bottom() + xTickTop, w, line);
    }
    g.xTitle = QRectF(g.plot.left(), g.plot.bottom() + xTickTop + line + 2, g.plot.width(), line);
    return g;
}

double NoiseChart::px(const Geometry& g, double x) {
    return g.plot.left() + (x - g.xLo) / (g.xHi - g.xLo) * g.plot.width();
}

double NoiseChart::py(const Geometry& g, double y) {
    return g.plot.bottom() - (y - g.yMin) / (g.yMax - g.yMin) * g.plot.height();
}

std::vector<QRectF> NoiseChart::labelRects() const {
    std::vector<QRectF> rects;
    const WordResult* w = word();
    if (!w)
        return rects;
    const Geometry g = geometry(binIntegrand(w->integrand, kBins));
    rects.push_back(g.title);
    rects.insert(rects.end(), g.yTicks.begin(), g.yTicks.end());
    rects.insert(rects.end(), g.xTicks.begin(), g.xTicks.end());
    if (!g.xTitle.isEmpty())
        rects.push_back(g.xTitle);
    if (!g.yTitle.isEmpty())
        rects.push_back(g.yTitle);
    return rects;
}

void NoiseChart::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(palette().color(QPalette::Text));
    const WordResult* w = word();
    if (!w) {
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
                   tr("Select a word to see where along the noise "
                      "levels its information sits"));
        return;
    }
    const std::vector<Bin> bins = binIntegrand(w->integrand, kBins);
    const Geometry g = geometry(bins);
    // While the cursor is over the chart, the title line reads the bin under it.
    const QString title =
        !m_hoverText.isEmpty()
            ? m_hoverText
            : tr("\"%1\": information density over noise level (area = i_o %2)")
                  .arg(QString::fromStdString(w->text), bitsWithSe(w->bits, w->seBits));
    p.drawText(g.title, Qt::AlignLeft | Qt::AlignVCenter,
               fontMetrics().elidedText(title, Qt::ElideRight, g.title.width()));
    if (bins.empty())
        return;
    p.setPen(QColor(150, 150, 150));
    p.drawLine(g.plot.bottomLeft(), g.plot.bottomRight());
    p.drawLine(g.plot.bottomLeft(), g.plot.topLeft());
    p.setPen(palette().color(QPalette::Text));
    p.drawText(g.xTitle, Qt::AlignCenter, tr("log-SNR  (noisy \u2190 \u2192 clean)"));
    for (int t = 0; t < static_cast<int>(g.xTicks.size()); ++t)
        p.drawText(g.xTicks[t], Qt::AlignCenter, g.xTickText[t]);
    for (int t = 0; t < static_cast<int>(g.yTicks.size()); ++t)
        p.drawText(g.yTicks[t], Qt::AlignRight | Qt::AlignVCenter, g.yTickText[t]);
    p.save();
    p.translate(g.yTitle.center());
    p.rotate(-90);
    p.drawText(QRectF(-g.yTitle.height() / 2.0, -g.yTitle.width() / 2.0, g.yTitle.height(),
                      g.yTitle.width()),
               Qt::AlignCenter, tr("bits / log-SNR"));
    p.restore();
    QPolygonF line;
    p.setPen(QPen(QColor(52, 152, 219), 1));
    for (const Bin& b : bins) {
        p.drawLine(QPointF(px(g, b.logSnr), py(g, b.mean - b.se)),
                   QPointF(px(g, b.logSnr), py(g, b.mean + b.se)));
        line << QPointF(px(g, b.logSnr), py(g, b.mean));
    }
    p.setPen(QPen(QColor(41, 128, 185), 2));
    p.drawPolyline(line);
    for (int i = 0; i < line.size(); ++i) {
        const bool hovered = i == m_hoverBin;
        p.setBrush(hovered ? QBrush(QColor(230, 126, 34)) : Qt::NoBrush);
        p.drawEllipse(line[i], hovered ? 4.0 : 2.5, hovered ? 4.0 : 2.5);
    }
}

void NoiseChart::mouseMoveEvent(QMouseEvent* event) {
    m_hoverX = event->position().x();
    refreshHover();
    update();
}

void NoiseChart::leaveEvent(QEvent*) {
    m_hoverX = -1.0;
    refreshHover();
    update();
}

void NoiseChart::refreshHover() {
    m_hoverBin = -1;
    m_hoverText.clear();
    const WordResult* w = word();
    if (!w || m_hoverX < 0)
        return;
    const std::vector<Bin> bins = binIntegrand(w->integrand, kBins);
    if (bins.empty())
        return;
    const Geometry g = geometry(bins);
    double best = 1e300;
    for (int i = 0; i < static_cast<int>(bins.size()); ++i) {
        const double d = std::abs(px(g, bins[i].logSnr) - m_hoverX);
        if (d < best) {
            best = d;
            m_hoverBin = i;
        }
    }
    const Bin& b = bins[m_hoverBin];
    m_hoverText = tr("\"%1\" at log-SNR %2: %3 bits per unit log-SNR (%4 draws)")
                      .arg(QString::fromStdString(w->text), numberText(b.logSnr, 1),
                           valueWithSe(b.mean, b.se))
                      .arg(b.count);
}

}  // namespace infolens::ui
