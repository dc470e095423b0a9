#include "infolens/ui/SamplingDialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpressionValidator>
#include <QSpinBox>

#include "infolens/io/SessionFile.h"

namespace infolens::ui {

SamplingDialog::SamplingDialog(QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Estimation Settings"));
    auto* form = new QFormLayout(this);
    m_seed = new QLineEdit(this);
    m_seed->setObjectName("estimationSeed");
    m_seed->setValidator(
        new QRegularExpressionValidator(QRegularExpression("[0-9]{1,20}"), m_seed));
    m_seed->setToolTip(
        tr("Seed of the estimator's noise and noise-level draws. The same seed, "
           "image, prompt and settings give the same values bit for bit. "
           "Generate has its own seed (the toolbar's image seed)."));
    form->addRow(tr("Estimation &seed:"), m_seed);
    m_cap = new QSpinBox(this);
    m_cap->setObjectName("sampleCap");
    m_cap->setRange(1, kMaxSessionSampleCap);
    m_cap->setToolTip(
        tr("The computation stops after this many draws even when it has not "
           "converged (\"at cap\"): the values are then usable but their standard "
           "errors are larger than the target."));
    form->addRow(tr("Draw &cap:"), m_cap);
    m_target = new QDoubleSpinBox(this);
    m_target->setObjectName("targetSe");
    m_target->setRange(0.1, 50.0);
    m_target->setDecimals(2);
    m_target->setSingleStep(0.5);
    m_target->setSuffix(" %");
    m_target->setToolTip(
        tr("\"Converged\": every value's standard error (i_o) is at most this "
           "share of the value, or at most 0.02 bits, at two consecutive checks "
           "after at least 32 draws."));
    form->addRow(tr("Target &SE:"), m_target);
    m_sampler = new QComboBox(this);
    m_sampler->setObjectName("sampler");
    m_sampler->addItems({tr("stratified (lower variance)"), tr("iid")});
    form->addRow(tr("Noise-level s&ampler:"), m_sampler);
    auto* buttons =
        new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, Qt::Horizontal, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
}

void SamplingDialog::setSampling(const Sampling& sampling) {
    m_initial = sampling;
    m_seed->setText(QString::number(sampling.seed));
    m_cap->setValue(sampling.sampleCap);
    m_target->setValue(sampling.targetRelativeSe * 100.0);
    m_sampler->setCurrentIndex(sampling.iidSampler ? 1 : 0);
}

Sampling SamplingDialog::sampling() const {
    Sampling s = m_initial;
    bool ok = false;
    const qulonglong seed = m_seed->text().toULongLong(&ok);
    if (ok)
        s.seed = seed;
    s.sampleCap = m_cap->value();
    s.targetRelativeSe = m_target->value() / 100.0;
    s.iidSampler = m_sampler->currentIndex() == 1;
    return s;
}

}  // namespace infolens::ui
