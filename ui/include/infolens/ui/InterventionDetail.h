#pragma once

#include <QWidget>
#include <memory>

#include "infolens/live/LiveIntervention.h"
#include "infolens/ui/InterventionImages.h"

class QComboBox;
class QLabel;
class QSlider;

namespace infolens::ui {

class BeforeAfterView;

// One intervention: original | edited (side by side, or a before/after slider), where it actually
// changed (the latent change upsampled, or the pixels' own change), the predicted map (the word's
// information) in the display's colormap, and its numbers: the edited prompt, total change, the
// pixel-level r of information and of attention with the change, the word's CMI in both forms,
// and the round trip's PSNR.
class InterventionDetail : public QWidget {
    Q_OBJECT
  public:
    explicit InterventionDetail(QWidget* parent = nullptr);

    // Null: nothing to show. `staleReason` non-empty: greyed, with the reason.
    void setOutcome(std::shared_ptr<const InterventionOutcome> outcome, const QString& staleReason);
    void setColormap(const QString& colormap);
    void setChangeSource(ChangeSource source);
    ChangeSource changeSource() const { return m_source; }
    void setSideBySide(bool sideBySide);

    BeforeAfterView* comparison() const { return m_compare; }
    QSlider* splitSlider() const { return m_slider; }
    QLabel* changeLabel() const { return m_change; }
    QLabel* predictedLabel() const { return m_predicted; }
    QLabel* textLabel() const { return m_text; }
    std::shared_ptr<const InterventionOutcome> outcome() const { return m_outcome; }

  private:
    void refresh();

    std::shared_ptr<const InterventionOutcome> m_outcome;
    QString m_stale;
    QString m_colormap = "viridis";
    ChangeSource m_source = ChangeSource::Latent;
    BeforeAfterView* m_compare;
    QSlider* m_slider;
    QComboBox* m_layout;
    QComboBox* m_sourceBox;
    QLabel* m_change;
    QLabel* m_predicted;
    QLabel* m_text;
};

}  // namespace infolens::ui
