#include "infolens/ui/InterventionPanel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>
#include <cmath>

#include "infolens/ui/InterventionDetail.h"
#include "infolens/ui/InterventionScatter.h"
#include "infolens/ui/InterventionStore.h"
#include "infolens/ui/InterventionTable.h"

namespace infolens::ui {

InterventionPanel::InterventionPanel(InterventionStore* store, QWidget* parent)
    : QWidget(parent), m_store(store) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    m_progressRow = new QWidget(this);
    auto* row = new QHBoxLayout(m_progressRow);
    row->setContentsMargins(0, 0, 0, 0);
    m_progress = new QProgressBar(m_progressRow);
    m_progress->setObjectName("interventionProgress");
    m_progress->setRange(0, 1000);
    m_cancel = new QPushButton(tr("Cancel"), m_progressRow);
    m_cancel->setObjectName("cancelInterventions");
    row->addWidget(m_progress, 1);
    row->addWidget(m_cancel);
    m_progressRow->hide();
    layout->addWidget(m_progressRow);
    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    m_message->hide();
    layout->addWidget(m_message);

    auto* split = new QSplitter(Qt::Vertical, this);
    m_detail = new InterventionDetail(split);
    auto* lower = new QSplitter(Qt::Horizontal, split);
    m_table = new InterventionTable(store, lower);
    m_scatter = new InterventionScatter(store, lower);
    lower->setStretchFactor(0, 3);
    lower->setStretchFactor(1, 2);
    split->addWidget(m_detail);
    split->addWidget(lower);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);

    connect(m_cancel, &QPushButton::clicked, this, &InterventionPanel::cancelRequested);
    connect(store, &InterventionStore::selectionChanged, this, &InterventionPanel::showSelected);
    connect(store, &InterventionStore::changed, this, &InterventionPanel::showSelected);
    showSelected();
}

void InterventionPanel::showProgress(const InterventionProgress& progress) {
    m_progressRow->show();
    m_message->hide();
    m_progress->setValue(
        static_cast<int>(std::lround(std::clamp(progress.fraction, 0.0, 1.0) * 1000)));
    m_progress->setFormat(tr("%1 of %2: %3 \u2014 %p%")
                              .arg(progress.index + 1)
                              .arg(progress.count)
                              .arg(QString::fromStdString(progress.stage)));
}

void InterventionPanel::hideProgress() {
    m_progressRow->hide();
}

void InterventionPanel::showMessage(const QString& text, bool error) {
    m_message->setText(text);
    m_message->setStyleSheet(error ? "color: #c0392b;" : "");
    m_message->setVisible(!text.isEmpty());
}

void InterventionPanel::setColormap(const QString& colormap) {
    m_detail->setColormap(colormap);
}

void InterventionPanel::showSelected() {
    const int index = m_store->selected();
    if (index < 0 || index >= m_store->count()) {
        m_detail->setOutcome(nullptr, {});
        return;
    }
    m_detail->setOutcome(m_store->at(index), m_store->staleReason(index));
}

}  // namespace infolens::ui
