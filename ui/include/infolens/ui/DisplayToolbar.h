#pragma once

#include <QToolBar>
#include <cstdint>

#include "infolens/ui/DisplaySettings.h"

class QAction;
class QCheckBox;
class QComboBox;
class QSlider;
class QSpinBox;

namespace infolens::ui {

// The "Display" toolbar: colormap, opacity, scale mode, fade, mask, contour, threshold and grid
// (every change is one displayChanged with the whole DisplaySettings). The image seed and
// Generate are a toolbar of their own (generateToolBar(), the window adds it), which moves to a
// second row when the window is too narrow for both (fitToolBars), so they never end up hidden in
// an overflow menu. The image seed drives Generate only; the estimator has its own seed (Edit ▸
// Estimation Settings), so a new image never changes how its values are estimated.
class DisplayToolbar : public QToolBar {
    Q_OBJECT
  public:
    explicit DisplayToolbar(QWidget* parent = nullptr);

    // Shows the settings; emits nothing.
    void setDisplay(const DisplaySettings& display);
    const DisplaySettings& display() const { return m_display; }
    // Shows the image (generation) seed; emits nothing.
    void setGenerationSeed(std::uint64_t seed);
    // Enables the Attention and Combined map sources (the result says whether the model has an
    // attention readout); disabled, they say why in their tooltip. Keeps the chosen source.
    void setAttentionAvailable(bool available);
    QComboBox* mapSourceBox() const { return m_source; }
    std::uint64_t generationSeed() const;
    QAction* gridAction() const { return m_gridAction; }
    QAction* generateAction() const { return m_generateAction; }
    QToolBar* generateToolBar() const { return m_generateBar; }

  Q_SIGNALS:
    void displayChanged(const infolens::ui::DisplaySettings& display);
    void generationSeedChanged(std::uint64_t seed);
    void generateRequested();

  private:
    void readControls();

    DisplaySettings m_display;
    QComboBox* m_source;
    QComboBox* m_colormap;
    QSlider* m_opacity;
    QComboBox* m_scaleMode;
    QCheckBox* m_fade;
    QCheckBox* m_mask;
    QCheckBox* m_contour;
    QSlider* m_threshold;
    QAction* m_gridAction;
    QToolBar* m_generateBar;
    QSpinBox* m_seedBox;
    QAction* m_generateAction;
};

}  // namespace infolens::ui
