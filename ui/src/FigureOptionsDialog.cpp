#include "infolens/ui/FigureOptionsDialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <algorithm>

#include "infolens/ui/FigureExporter.h"

namespace infolens::ui {

FigureOptionsDialog::FigureOptionsDialog(const QStringList& words, bool png, QWidget* parent)
    : QDialog(parent) {
    setWindowTitle(tr("Export Figure"));
    auto* form = new QFormLayout(this);
    m_words = new QListWidget(this);
    m_words->setObjectName("figureWords");
    for (const QString& word : words) {
        auto* item = new QListWidgetItem(word, m_words);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Checked);
    }
    m_words->setToolTip(tr("The words whose maps go into the figure, in prompt order."));
    form->addRow(tr("&Words:"), m_words);
    m_size = new QComboBox(this);
    m_size->setObjectName("figureSize");
    m_size->addItem(tr("Natural (1.6 in panels)"), 0.0);
    m_size->addItem(tr("Paper column (%1 in wide)").arg(kPaperColumnInches), kPaperColumnInches);
    m_size->addItem(tr("Full page (%1 in wide)").arg(kFullPageInches), kFullPageInches);
    m_size->setToolTip(
        tr("The figure's width; the panels shrink to fill it and the text keeps "
           "its size, so it reads at 100 % in the paper."));
    form->addRow(tr("&Size:"), m_size);
    m_dpi = new QSpinBox(this);
    m_dpi->setObjectName("figureDpi");
    m_dpi->setRange(72, 1200);
    m_dpi->setValue(300);
    m_dpi->setSuffix(tr(" DPI"));
    m_dpi->setEnabled(png);
    m_dpi->setToolTip(png ? tr("Pixels per inch of the PNG: its width is the size × this.")
                          : tr("A PDF is vector: no resolution to choose."));
    form->addRow(tr("&Resolution:"), m_dpi);
    m_scale = new QComboBox(this);
    m_scale->setObjectName("figureScale");
    m_scale->addItem(tr("Each panel its own (default)"), false);
    m_scale->addItem(tr("One shared scale"), true);
    m_scale->setToolTip(
        tr("Each panel its own: every map uses its full colour range and its maximum is printed "
           "under it, so every word is readable.\nOne shared scale: colours compare across "
           "words, but a dominant word leaves the others nearly blank."));
    form->addRow(tr("&Colour scale:"), m_scale);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    // A figure with no word is only the image: not worth a file.
    connect(m_words, &QListWidget::itemChanged, this, [this, buttons] {
        bool any = false;
        for (int i = 0; i < m_words->count(); ++i)
            any = any || m_words->item(i)->checkState() == Qt::Checked;
        buttons->button(QDialogButtonBox::Ok)->setEnabled(any);
    });
}

void FigureOptionsDialog::setOptions(const FigureOptions& options) {
    m_dpi->setValue(options.dpi);
    const int size = m_size->findData(options.widthInches);
    m_size->setCurrentIndex(size >= 0 ? size : 0);
    m_scale->setCurrentIndex(options.sharedScale ? 1 : 0);
    for (int i = 0; i < m_words->count(); ++i) {
        const bool on =
            options.words.empty() ||
            std::find(options.words.begin(), options.words.end(), i) != options.words.end();
        m_words->item(i)->setCheckState(on ? Qt::Checked : Qt::Unchecked);
    }
}

FigureOptions FigureOptionsDialog::options() const {
    FigureOptions options;
    options.dpi = m_dpi->value();
    options.widthInches = m_size->currentData().toDouble();
    options.sharedScale = m_scale->currentData().toBool();
    for (int i = 0; i < m_words->count(); ++i) {
        if (m_words->item(i)->checkState() == Qt::Checked)
            options.words.push_back(i);
    }
    return options;
}

}  // namespace infolens::ui
