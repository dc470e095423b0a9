#include "infolens/ui/DisplayToolbar.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QSlider>
#include <QSpinBox>
#include <QStandardItemModel>
#include <algorithm>

#include "infolens/render/Colormap.h"
#include "infolens/ui/MapSourceSelect.h"

namespace infolens::ui {

DisplayToolbar::DisplayToolbar(QWidget* parent) : QToolBar(tr("Display"), parent) {
    setObjectName("displayToolbar");
    addWidget(new QLabel(tr(" Map "), this));
    m_source = new QComboBox(this);
    m_source->setObjectName("mapSource");
    // Item order is MapSource's order.
    m_source->addItem(tr("Information"));
    m_source->addItem(tr("Attention"));
    m_source->addItem(tr("Combined"));
    m_source->setItemData(0, tr("The word's information: i_o per pixel, in bits."),
                          Qt::ToolTipRole);
    m_source->setToolTip(
        tr("Which map of the word is drawn: its information (i_o), its cross-attention "
           "(DAAM-style, read on this image noised at the estimator's noise levels), or both "
           "combined (geometric mean of the two, each scaled to its own maximum)."));
    addWidget(m_source);
    setAttentionAvailable(false);
    addWidget(new QLabel(tr(" Colormap "), this));
    m_colormap = new QComboBox(this);
    for (const std::string& name : colormapNames())
        m_colormap->addItem(QString::fromStdString(name));
    addWidget(m_colormap);
    addWidget(new QLabel(tr("  Opacity "), this));
    m_opacity = new QSlider(Qt::Horizontal, this);
    m_opacity->setRange(0, 100);
    m_opacity->setFixedWidth(90);
    addWidget(m_opacity);
    m_scaleMode = new QComboBox(this);
    // No units here: they depend on the map source, and the colorbar states them.
    m_scaleMode->addItems({tr("Shared scale"), tr("Per-map scale")});
    m_scaleMode->setToolTip(
        tr("Shared: one colour scale for all words (in the map source's units), so they "
           "compare.\nPer-map: each map stretched to its own maximum."));
    addWidget(m_scaleMode);
    m_fade = new QCheckBox(tr("Fade"), this);
    m_fade->setToolTip(tr("Let the image show through where the value is low"));
    addWidget(m_fade);
    m_mask = new QCheckBox(tr("Mask"), this);
    m_mask->setToolTip(tr("Hide the overlay below the threshold"));
    addWidget(m_mask);
    m_contour = new QCheckBox(tr("Contour"), this);
    m_contour->setToolTip(tr("Draw the threshold's iso-line"));
    addWidget(m_contour);
    m_threshold = new QSlider(Qt::Horizontal, this);
    m_threshold->setRange(0, 100);
    m_threshold->setFixedWidth(80);
    m_threshold->setToolTip(tr("Threshold, as a share of the scale's maximum"));
    addWidget(m_threshold);
    m_gridAction = new QAction(tr("All Words as a &Grid"), this);
    m_gridAction->setCheckable(true);
    m_gridAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    addAction(m_gridAction);
    // Not titled "Generate": the title is also the text of its show/hide action.
    m_generateBar = new QToolBar(tr("Image Seed"), parent);
    m_generateBar->setObjectName("generateToolbar");
    m_generateBar->addWidget(new QLabel(tr(" Image seed "), m_generateBar));
    m_seedBox = new QSpinBox(m_generateBar);
    m_seedBox->setObjectName("generationSeed");
    m_seedBox->setRange(0, 1 << 30);
    m_seedBox->setToolTip(
        tr("Seed of Generate: which image the model draws from the prompt.\n"
           "The estimator's seed is separate (Edit ▸ Estimation Settings), so the values of an "
           "image do not depend on this one."));
    m_generateBar->addWidget(m_seedBox);
    m_generateAction =
        m_generateBar->addAction(tr("Generate"), this, &DisplayToolbar::generateRequested);
    m_generateAction->setToolTip(
        tr("Generate an image from the prompt with the current model (Ctrl+G)"));

    connect(m_source, &QComboBox::currentIndexChanged, this, &DisplayToolbar::readControls);
    connect(m_colormap, &QComboBox::currentIndexChanged, this, &DisplayToolbar::readControls);
    connect(m_opacity, &QSlider::valueChanged, this, &DisplayToolbar::readControls);
    connect(m_scaleMode, &QComboBox::currentIndexChanged, this, &DisplayToolbar::readControls);
    connect(m_mask, &QCheckBox::toggled, this, &DisplayToolbar::readControls);
    connect(m_contour, &QCheckBox::toggled, this, &DisplayToolbar::readControls);
    connect(m_fade, &QCheckBox::toggled, this, &DisplayToolbar::readControls);
    connect(m_threshold, &QSlider::valueChanged, this, &DisplayToolbar::readControls);
    connect(m_gridAction, &QAction::toggled, this, [this](bool on) {
        m_display.grid = on;
        Q_EMIT displayChanged(m_display);
    });
    connect(m_seedBox, &QSpinBox::valueChanged, this,
            [this](int v) { Q_EMIT generationSeedChanged(static_cast<std::uint64_t>(v)); });
    setDisplay(m_display);
}

void DisplayToolbar::readControls() {
    DisplaySettings d = m_display;
    d.mapSource = static_cast<MapSource>(std::max(0, m_source->currentIndex()));
    d.colormap = m_colormap->currentText();
    d.opacity = m_opacity->value() / 100.0;
    d.sharedScale = m_scaleMode->currentIndex() == 0;
    d.maskBelowThreshold = m_mask->isChecked();
    d.contour = m_contour->isChecked();
    d.fadeLowValues = m_fade->isChecked();
    d.thresholdFraction = m_threshold->value() / 100.0;
    m_display = d;
    Q_EMIT displayChanged(d);
}

void DisplayToolbar::setDisplay(const DisplaySettings& display) {
    m_display = display;
    const QSignalBlocker b1(m_colormap), b2(m_opacity), b3(m_scaleMode), b4(m_mask), b5(m_contour),
        b6(m_threshold), b7(m_gridAction), b8(m_fade), b9(m_source);
    m_source->setCurrentIndex(static_cast<int>(display.mapSource));
    m_colormap->setCurrentText(display.colormap);
    m_opacity->setValue(static_cast<int>(display.opacity * 100 + 0.5));
    m_scaleMode->setCurrentIndex(display.sharedScale ? 0 : 1);
    m_mask->setChecked(display.maskBelowThreshold);
    m_contour->setChecked(display.contour);
    m_fade->setChecked(display.fadeLowValues);
    m_threshold->setValue(static_cast<int>(display.thresholdFraction * 100 + 0.5));
    m_gridAction->setChecked(display.grid);
}

void DisplayToolbar::setAttentionAvailable(bool available) {
    auto* model = qobject_cast<QStandardItemModel*>(m_source->model());
    const QString attention =
        available ? tr("The word's cross-attention, in parts per million of its attention per "
                       "pixel (DAAM-style, read on this image noised at the estimator's noise "
                       "levels).")
                  : noAttentionReadoutText();
    const QString combined =
        available ? tr("Information and attention combined: the geometric mean of the two "
                       "maps, each divided by its own maximum (0-1).")
                  : noAttentionReadoutText();
    for (const auto& [index, tip] : {std::pair{1, attention}, std::pair{2, combined}}) {
        if (model && model->item(index))
            model->item(index)->setEnabled(available);
        m_source->setItemData(index, tip, Qt::ToolTipRole);
    }
}

void DisplayToolbar::setGenerationSeed(std::uint64_t seed) {
    const QSignalBlocker block(m_seedBox);
    m_seedBox->setValue(static_cast<int>(std::min<std::uint64_t>(seed, m_seedBox->maximum())));
}

std::uint64_t DisplayToolbar::generationSeed() const {
    return static_cast<std::uint64_t>(m_seedBox->value());
}

}  // namespace infolens::ui
