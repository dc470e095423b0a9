#include "infolens/ui/NoiseChart.h"

#include <QPainter>
#include <algorithm>
#include <cmath>

namespace infolens::ui {

namespace {
constexpr int kBins = 16;
}

NoiseChart::NoiseChart(QWidget* parent) : QWidget(parent) {
    setMinimumHeight(110);
}

void NoiseChart::setResult(std::shared_ptr<const LiveResult> result) {
    m_result = std::move(result);
    update();
}

void NoiseChart::setSelectedWord(int word) {
    m_word = word;
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

void NoiseChart::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    p.setRenderHint(QPainter::Antialiasing);
    const QRect plot = rect().adjusted(52, 22, -12, -30);
    p.setPen(palette().color(QPalette::Text));
    if (!m_result || m_word < 0 || m_word >= static_cast<int>(m_result->words.size())) {
        p.drawText(rect(), Qt::AlignCenter,
                   tr("Select a word to see where along the noise "
                      "levels its information sits"));
        return;
    }
    const WordResult& w = m_result->words[m_word];
    const std::vector<Bin> bins = binIntegrand(w.integrand, kBins);
    p.drawText(QRect(plot.left(), 2, plot.width(), 18), Qt::AlignLeft | Qt::AlignVCenter,
               tr("\"%1\": information density over noise level (area = %2 bits)")
                   .arg(QString::fromStdString(w.text))
                   .arg(w.bits, 0, 'f', 2));
    if (bins.empty())
        return;
    // The orthogonal integrand is non-negative in expectation, but a bin's mean minus its SE can
    // dip below zero; keep it inside the plot.
    double yMax = 1e-9, yMin = 0.0;
    for (const Bin& b : bins) {
        yMax = std::max(yMax, b.mean + b.se);
        yMin = std::min(yMin, b.mean - b.se);
    }
    const double xLo = bins.front().logSnr, xHi = std::max(xLo + 1e-6, bins.back().logSnr);
    auto px = [&](double x) { return plot.left() + (x - xLo) / (xHi - xLo) * plot.width(); };
    auto py = [&](double y) { return plot.bottom() - (y - yMin) / (yMax - yMin) * plot.height(); };
    p.setPen(QColor(150, 150, 150));
    p.drawLine(plot.bottomLeft(), plot.bottomRight());
    p.drawLine(plot.bottomLeft(), plot.topLeft());
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRect(plot.left(), plot.bottom() + 14, plot.width(), 16), Qt::AlignCenter,
               tr("log-SNR  (noisy \u2190 \u2192 clean)"));
    for (int t = 0; t <= 2; ++t) {
        const double x = xLo + (xHi - xLo) * t / 2.0;
        p.drawText(QRectF(px(x) - 30, plot.bottom() + 1, 60, 14), Qt::AlignCenter,
                   QString::number(x, 'f', 1));
        const double y = yMin + (yMax - yMin) * t / 2.0;
        p.drawText(QRectF(0, py(y) - 7, plot.left() - 4, 14), Qt::AlignRight | Qt::AlignVCenter,
                   QString::number(y, 'g', 3));
    }
    p.save();
    p.translate(10, plot.center().y());
    p.rotate(-90);
    p.drawText(QRect(-60, -8, 120, 16), Qt::AlignCenter, tr("bits / log-SNR"));
    p.restore();
    QPolygonF line;
    p.setPen(QPen(QColor(52, 152, 219), 1));
    for (const Bin& b : bins) {
        p.drawLine(QPointF(px(b.logSnr), py(b.mean - b.se)),
                   QPointF(px(b.logSnr), py(b.mean + b.se)));
        line << QPointF(px(b.logSnr), py(b.mean));
    }
    p.setPen(QPen(QColor(41, 128, 185), 2));
    p.drawPolyline(line);
    for (const QPointF& q : line)
        p.drawEllipse(q, 2.5, 2.5);
}

}  // namespace infolens::ui
