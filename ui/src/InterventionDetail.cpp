#include "infolens/ui/InterventionDetail.h"

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QVBoxLayout>
#include <cmath>

#include "infolens/ui/BeforeAfterView.h"
#include "infolens/ui/ValueText.h"

namespace infolens::ui {

namespace {

constexpr int kMapSide = 128;  // px of the change and predicted panels

QLabel* mapLabel(QWidget* parent, const char* name) {
    auto* label = new QLabel(parent);
    label->setObjectName(name);
    label->setFixedSize(kMapSide, kMapSide);
    label->setAlignment(Qt::AlignCenter);
    label->setFrameShape(QFrame::StyledPanel);
    return label;
}

void showMap(QLabel* label, const QImage& image, bool faded) {
    if (image.isNull()) {
        label->setPixmap({});
        label->setText(QObject::tr("(none)"));
        return;
    }
    QImage scaled =
        image.scaled(kMapSide - 4, kMapSide - 4, Qt::KeepAspectRatio, Qt::FastTransformation);
    if (faded) {
        scaled = scaled.convertToFormat(QImage::Format_Grayscale8);
    }
    label->setPixmap(QPixmap::fromImage(scaled));
}

}  // namespace

InterventionDetail::InterventionDetail(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* controls = new QHBoxLayout;
    m_layout = new QComboBox(this);
    m_layout->setObjectName("comparisonMode");
    m_layout->addItems({tr("Side by side"), tr("Before/after slider")});
    m_sourceBox = new QComboBox(this);
    m_sourceBox->setObjectName("changeSource");
    m_sourceBox->addItems({tr("Latent change (upsampled)"), tr("Pixel change")});
    m_sourceBox->setToolTip(
        tr("Latent: per latent cell, the sum over channels of (edited \u2212 round trip)\u00b2, "
           "upsampled (what the pixel r is computed on). Pixel: the same in RGB pixels."));
    controls->addWidget(m_layout);
    controls->addWidget(m_sourceBox);
    controls->addStretch(1);
    layout->addLayout(controls);

    auto* pictures = new QGridLayout;
    m_compare = new BeforeAfterView(this);
    m_compare->setObjectName("beforeAfter");
    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setObjectName("splitSlider");
    m_slider->setRange(0, 100);
    m_slider->setValue(50);
    m_slider->setToolTip(tr("Left of the divider: the edited image; right: the original"));
    m_slider->hide();
    m_change = mapLabel(this, "actualChange");
    m_predicted = mapLabel(this, "predictedMap");
    m_change->setToolTip(
        tr("Actual change: where the edited image differs from the round trip "
           "(each map on its own scale, 0 to its maximum)"));
    m_predicted->setToolTip(
        tr("Predicted: the word's information map i_o (removal), or the map "
           "of original vs swapped prompt (swap)"));
    auto* changeCaption = new QLabel(tr("actual change"), this);
    auto* predictedCaption = new QLabel(tr("predicted (information)"), this);
    pictures->addWidget(m_compare, 0, 0, 2, 1);
    pictures->addWidget(m_change, 0, 1);
    pictures->addWidget(m_predicted, 0, 2);
    pictures->addWidget(changeCaption, 1, 1, Qt::AlignHCenter | Qt::AlignTop);
    pictures->addWidget(predictedCaption, 1, 2, Qt::AlignHCenter | Qt::AlignTop);
    pictures->addWidget(m_slider, 2, 0);
    pictures->setColumnStretch(0, 1);
    layout->addLayout(pictures, 1);

    m_text = new QLabel(this);
    m_text->setObjectName("interventionText");
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_text);

    connect(m_layout, &QComboBox::currentIndexChanged, this,
            [this](int index) { setSideBySide(index == 0); });
    connect(m_sourceBox, &QComboBox::currentIndexChanged, this, [this](int index) {
        setChangeSource(index == 0 ? ChangeSource::Latent : ChangeSource::Pixels);
    });
    connect(m_slider, &QSlider::valueChanged, this,
            [this](int value) { m_compare->setSplit(value / 100.0); });
    connect(m_compare, &BeforeAfterView::splitChanged, this,
            [this](double split) { m_slider->setValue(int(std::lround(split * 100))); });
    refresh();
}

void InterventionDetail::setOutcome(std::shared_ptr<const InterventionOutcome> outcome,
                                    const QString& staleReason) {
    m_outcome = std::move(outcome);
    m_stale = staleReason;
    refresh();
}

void InterventionDetail::setColormap(const QString& colormap) {
    if (colormap == m_colormap)
        return;
    m_colormap = colormap;
    refresh();
}

void InterventionDetail::setChangeSource(ChangeSource source) {
    m_source = source;
    m_sourceBox->setCurrentIndex(source == ChangeSource::Latent ? 0 : 1);
    refresh();
}

void InterventionDetail::setSideBySide(bool sideBySide) {
    m_layout->setCurrentIndex(sideBySide ? 0 : 1);
    m_compare->setSideBySide(sideBySide);
    m_slider->setVisible(!sideBySide);
}

void InterventionDetail::refresh() {
    const bool faded = !m_stale.isEmpty();
    if (!m_outcome) {
        m_compare->setImages({}, {});
        showMap(m_change, {}, false);
        showMap(m_predicted, {}, false);
        m_text->setText(
            tr("Right-click a word (its chip or its row) and choose Remove or Swap "
               "with\u2026, or run Interventions \u25b8 Run All Words."));
        return;
    }
    const InterventionOutcome& o = *m_outcome;
    const Image& original = o.request.image ? *o.request.image : o.regenerated;
    m_compare->setImages(toQImage(original), toQImage(o.edited));
    m_compare->setFaded(faded);
    showMap(m_change, changeImage(o, m_source, m_colormap), faded);
    showMap(m_predicted, predictedImage(o, m_colormap), faded);

    QStringList lines;
    if (faded)
        lines << "<b style='color:#888'>" + tr("Stale: %1").arg(m_stale.toHtmlEscaped()) + "</b>";
    lines << "<b>" + editText(o.request, o.word).toHtmlEscaped() + "</b>: \u201c" +
                 QString::fromStdString(o.editedPrompt).toHtmlEscaped() + "\u201d";
    lines << tr("Total change %1 \u00b7 pixel r: information %2, attention %3")
                 .arg(numberText(o.totalChange, o.totalChange >= 100 ? 1 : 3))
                 .arg(rText(o.pixelRInformation), rText(o.pixelRAttention));
    lines << tr("CMI i_o %1 (moves the model) \u00b7 i_s %2 (explains the image)")
                 .arg(bitsWithSe(o.cmiBits, o.cmiSeBits),
                      bitsWithSe(o.cmiStandardBits, o.cmiStandardSeBits));
    lines << tr("Round trip (inversion \u2192 regeneration, unedited) PSNR %1 dB")
                 .arg(numberText(o.roundTripPsnrDb, 1));
    m_text->setText(lines.join("<br>"));
}

}  // namespace infolens::ui
