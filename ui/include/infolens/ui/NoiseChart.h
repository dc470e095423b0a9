#pragma once

#include <QRectF>
#include <QStringList>
#include <QWidget>
#include <memory>

#include "infolens/live/LiveWorker.h"

namespace infolens::ui {

// Where along the noise levels a word's information sits: the i_o integrand (bits per unit
// log-SNR) averaged in log-SNR bins, with ±SE whiskers; the area under it is the word's CMI.
class NoiseChart : public QWidget {
    Q_OBJECT
  public:
    explicit NoiseChart(QWidget* parent = nullptr);
    void setResult(std::shared_ptr<const LiveResult> result);
    void setSelectedWord(int word);
    QSize sizeHint() const override { return {480, 160}; }

    struct Bin {
        double logSnr = 0.0;
        double mean = 0.0;
        double se = 0.0;
        int count = 0;
    };
    static std::vector<Bin> binIntegrand(const std::vector<IntegrandPoint>& points, int bins);

    // What the title line reads while the cursor is over the chart: the nearest bin's log-SNR,
    // mean ± SE and draws; empty when the cursor is elsewhere or there is nothing to read.
    QString hoverReadout() const { return m_hoverText; }
    // Where every label is drawn at the current size (title, tick values, axis titles), for tests:
    // no two overlap.
    std::vector<QRectF> labelRects() const;

  protected:
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;

  private:
    struct Geometry {
        QRect title;
        QRect plot;
        double xLo = 0.0, xHi = 1.0, yMin = 0.0, yMax = 1.0;
        std::vector<QRectF> xTicks, yTicks;
        QStringList xTickText, yTickText;
        QRectF xTitle, yTitle;  // yTitle: the rotated title's box
    };
    const WordResult* word() const;
    Geometry geometry(const std::vector<Bin>& bins) const;
    static double px(const Geometry& g, double x);
    static double py(const Geometry& g, double y);
    void refreshHover();

    std::shared_ptr<const LiveResult> m_result;
    int m_word = -1;
    double m_hoverX = -1.0;
    int m_hoverBin = -1;
    QString m_hoverText;
};

}  // namespace infolens::ui
