#include "infolens/ui/StatusPanel.h"

#include <QLabel>
#include <QProgressBar>
#include <QStatusBar>

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
    m_modelLabel->setText(tr("Model %1 · %2").arg(q(model.name), q(model.device)));
    m_modelLabel->setToolTip(QString());
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
    m_rateLabel->setText(tr("%1 evals/s").arg(result.evaluationsPerSecond, 0, 'f', 0));
}

void StatusPanel::showWordValue(const WordResult& word) {
    m_seLabel->setText(tr("%1: %2 ± %3 bits")
                           .arg(q(word.text))
                           .arg(word.bits, 0, 'f', 2)
                           .arg(word.seBits, 0, 'f', 2));
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
