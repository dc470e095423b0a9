#include "infolens/ui/StatusPanel.h"

#include <QLabel>
#include <QProgressBar>
#include <QStatusBar>

#include "infolens/live/StoppingRule.h"
#include "infolens/ui/ValueText.h"

namespace infolens::ui {

namespace {

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

}  // namespace

StatusPanel::StatusPanel(QStatusBar* bar) : QObject(bar) {
    m_progress = new QProgressBar(bar);
    m_progress->setMaximumWidth(120);
    m_progress->setTextVisible(false);
    m_progress->hide();
    m_drawsLabel = new QLabel(bar);
    m_drawsLabel->setObjectName("drawsLabel");
    m_rateLabel = new QLabel(bar);
    m_seLabel = new QLabel(bar);
    m_rendererLabel = new QLabel(bar);
    m_rendererLabel->setObjectName("rendererLabel");
    m_loadingBar = new QProgressBar(bar);
    m_loadingBar->setObjectName("modelLoadingIndicator");
    m_loadingBar->setRange(0, 0);  // busy: no known end
    m_loadingBar->setMaximumWidth(80);
    m_loadingBar->setTextVisible(false);
    m_loadingBar->hide();
    m_modelLabel = new QLabel(bar);
    m_modelLabel->setObjectName("modelLabel");
    bar->addPermanentWidget(m_progress);
    bar->addPermanentWidget(m_drawsLabel);
    bar->addPermanentWidget(m_rateLabel);
    bar->addPermanentWidget(m_seLabel);
    bar->addPermanentWidget(m_rendererLabel);
    bar->addPermanentWidget(m_loadingBar);
    bar->addPermanentWidget(m_modelLabel);
}

void StatusPanel::showModelLoading(const QString& spec) {
    m_loading = true;
    m_modelLabel->setStyleSheet(QString());
    m_modelLabel->setText(tr("Loading model %1 …").arg(spec));
    m_modelLabel->setToolTip(QString());
    m_loadingBar->show();
}

void StatusPanel::showModelReady(const ModelSummary& model) {
    m_loading = false;
    m_loadingBar->hide();
    m_modelLabel->setStyleSheet(QString());
    // The device and the weights' type always show, whatever the family puts in `device`.
    QString where = q(model.device);
    if (!model.deviceName.empty() && !where.contains(q(model.deviceName)))
        where = q(model.deviceName) + (where.isEmpty() ? "" : ", " + where);
    if (!model.dtype.empty() && !where.contains(q(model.dtype)))
        where += (where.isEmpty() ? "" : ", ") + q(model.dtype);
    m_modelLabel->setText(tr("Model %1 · %2").arg(q(model.name), where));
    m_modelLabel->setToolTip(
        tr("%1 (%2)\ndevice: %3 · weights: %4 · image %5×%6")
            .arg(q(model.name), q(model.directory), q(model.deviceName), q(model.dtype))
            .arg(model.imageWidth)
            .arg(model.imageHeight));
}

void StatusPanel::showModelFailed(const QString& reason) {
    m_loading = false;
    m_loadingBar->hide();
    m_modelLabel->setStyleSheet("color: #c0392b;");
    m_modelLabel->setText(tr("Model failed to load"));
    m_modelLabel->setToolTip(reason);
}

void StatusPanel::showRenderer(bool vulkan, const QString& description) {
    m_rendererLabel->setText(vulkan ? tr("Vulkan renderer") : tr("CPU renderer"));
    m_rendererLabel->setToolTip(description);
}

void StatusPanel::showRendererFellBack() {
    m_rendererLabel->setText(tr("CPU renderer"));
}

void StatusPanel::showComputing(int sampleCap) {
    m_progress->setRange(0, sampleCap);
    m_progress->setValue(0);
    m_progress->show();
    m_drawsLabel->setText(tr("computing…"));
}

void StatusPanel::showWaitingForModel() {
    m_progress->hide();
    m_drawsLabel->setText(tr("waiting for the model…"));
}

void StatusPanel::showResult(const LiveResult& result) {
    m_progress->setValue(result.drawsDone);
    m_progress->setVisible(!result.finished);
    m_drawsLabel->setText(tr("%1/%2 draws%3")
                              .arg(result.drawsDone)
                              .arg(result.sampleCap)
                              .arg(result.finished
                                       ? (result.converged ? tr(" · converged") : tr(" · at cap"))
                                       : QString()));
    m_drawsLabel->setToolTip(drawsExplanation(result));
    m_rateLabel->setText(tr("%1 evals/s").arg(result.evaluationsPerSecond, 0, 'f', 0));
}

QString StatusPanel::drawsExplanation(const LiveResult& result) {
    const LiveRequest defaults;
    return tr("Draws of (noise level, noise) done, of the cap of %1.\n"
              "converged: every value's standard error (i_o, the prompt's and each word's) is at "
              "most %2% of the value or at most %3 bits, at %4 consecutive checks after at least "
              "%5 draws; more draws would change the values by less than that.\n"
              "at cap: the %1-draw cap came first; the values are usable, but their standard "
              "errors are larger than the target.\n"
              "Edit ▸ Estimation Settings changes the cap, the target and the seed.")
        .arg(result.sampleCap)
        .arg(result.targetRelativeSe * 100.0, 0, 'g', 3)
        .arg(defaults.absoluteSeFloorBits)
        .arg(StoppingSettings{}.confirmations)
        .arg(defaults.minDraws);
}

void StatusPanel::showWordValue(const WordResult& word) {
    m_seLabel->setText(tr("%1: i_o %2 · i_s %3")
                           .arg(q(word.text), bitsWithSe(word.bits, word.seBits),
                                bitsWithSe(word.standardBits, word.standardSeBits)));
    m_seLabel->setToolTip(
        tr("The selected word: moves the model (i_o) and explains the image "
           "(i_s), each ± its standard error"));
}

void StatusPanel::showNoMaps() {
    m_progress->hide();
    m_drawsLabel->setText(tr("no maps"));
    m_rateLabel->clear();
    m_seLabel->clear();
}

void StatusPanel::hideProgress() {
    m_progress->hide();
}

}  // namespace infolens::ui
