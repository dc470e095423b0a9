#pragma once

#include <QDialog>

#include "infolens/ui/DocumentController.h"

class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace infolens::ui {

// Edit ▸ Estimation Settings: how the values are estimated. The estimation seed (the estimator's
// noise and log-SNR draws; the image seed of Generate is separate), the draw cap, the convergence
// target (relative SE) and the log-SNR sampler. Saved in sessions with the document.
class SamplingDialog : public QDialog {
    Q_OBJECT
  public:
    explicit SamplingDialog(QWidget* parent = nullptr);

    void setSampling(const Sampling& sampling);
    // The settings as entered; a seed field that does not read as a number keeps the seed given
    // to setSampling.
    Sampling sampling() const;

  private:
    Sampling m_initial;
    QLineEdit* m_seed;
    QSpinBox* m_cap;
    QDoubleSpinBox* m_target;
    QComboBox* m_sampler;
};

}  // namespace infolens::ui
