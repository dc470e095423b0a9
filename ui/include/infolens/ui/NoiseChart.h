#pragma once

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

  protected:
    void paintEvent(QPaintEvent* event) override;

  private:
    std::shared_ptr<const LiveResult> m_result;
    int m_word = -1;
};

}  // namespace infolens::ui
