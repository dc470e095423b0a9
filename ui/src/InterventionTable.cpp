#include "infolens/ui/InterventionTable.h"

#include <QHeaderView>
#include <QSignalBlocker>
#include <cmath>

#include "infolens/ui/InterventionImages.h"
#include "infolens/ui/InterventionStore.h"
#include "infolens/ui/ValueText.h"

namespace infolens::ui {

namespace {

// Sorts value columns by value (NaN last), text columns by text.
class Item : public QTableWidgetItem {
  public:
    using QTableWidgetItem::QTableWidgetItem;
    bool operator<(const QTableWidgetItem& other) const override {
        const QVariant a = data(InterventionTable::kSortRole);
        const QVariant b = other.data(InterventionTable::kSortRole);
        if (!a.isValid() || !b.isValid())
            return QTableWidgetItem::operator<(other);
        const double x = a.toDouble(), y = b.toDouble();
        if (std::isnan(x) || std::isnan(y))
            return !std::isnan(x) && std::isnan(y);
        return x < y;
    }
};

}  // namespace

InterventionTable::InterventionTable(InterventionStore* store, QWidget* parent)
    : QTableWidget(0, kColumnCount, parent), m_store(store) {
    setObjectName("interventionTable");
    setHorizontalHeaderLabels({tr("Word"), tr("Edit"), tr("CMI i_o (bits)"), tr("Total change"),
                               tr("Pixel r (information)"), tr("Pixel r (attention)")});
    horizontalHeaderItem(kCmiColumn)
        ->setToolTip(tr("The word's conditional mutual information, orthogonal form i_o (how far "
                        "the word moves the model), bits \u00b1 standard error"));
    horizontalHeaderItem(kChangeColumn)
        ->setToolTip(
            tr("Sum over the latent grid of the squared change (edited \u2212 round trip)"));
    horizontalHeaderItem(kRInformationColumn)
        ->setToolTip(tr("Pearson r between the predicted (information) map and the actual change"));
    horizontalHeaderItem(kRAttentionColumn)
        ->setToolTip(tr("Pearson r between the word's attention map and the actual change"));
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    verticalHeader()->hide();
    horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    horizontalHeader()->setStretchLastSection(true);
    setSortingEnabled(true);
    connect(m_store, &InterventionStore::changed, this, &InterventionTable::rebuild);
    connect(m_store, &InterventionStore::selectionChanged, this, &InterventionTable::showSelection);
    connect(this, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (row >= 0 && item(row, 0))
            m_store->select(item(row, 0)->data(kIndexRole).toInt());
    });
    rebuild();
}

int InterventionTable::rowOf(int index) const {
    for (int row = 0; row < rowCount(); ++row) {
        if (item(row, 0) && item(row, 0)->data(kIndexRole).toInt() == index)
            return row;
    }
    return -1;
}

void InterventionTable::rebuild() {
    const QSignalBlocker block(this);
    const bool sorting = isSortingEnabled();
    setSortingEnabled(false);  // rows are filled in store order, then sorted once
    setRowCount(m_store->count());
    for (int i = 0; i < m_store->count(); ++i) {
        const InterventionOutcome& o = *m_store->at(i);
        const QString stale = m_store->staleReason(i);
        auto set = [&](int column, const QString& text, QVariant sortValue = {}) {
            auto* cell = new Item(text);
            cell->setData(kIndexRole, i);
            if (sortValue.isValid())
                cell->setData(kSortRole, sortValue);
            if (!stale.isEmpty()) {
                cell->setForeground(QColor(150, 150, 150));
                cell->setToolTip(tr("Stale: %1").arg(stale));
            }
            setItem(i, column, cell);
        };
        set(kWordColumn, QString::fromStdString(o.word));
        set(kEditColumn, editText(o.request, o.word) + (stale.isEmpty() ? "" : " (" + stale + ")"));
        set(kCmiColumn, valueWithSe(o.cmiBits, o.cmiSeBits), o.cmiBits);
        set(kChangeColumn, numberText(o.totalChange, o.totalChange >= 100 ? 1 : 3), o.totalChange);
        set(kRInformationColumn, rText(o.pixelRInformation), o.pixelRInformation);
        set(kRAttentionColumn, rText(o.pixelRAttention), o.pixelRAttention);
    }
    setSortingEnabled(sorting);
    showSelection(m_store->selected());
}

void InterventionTable::showSelection(int index) {
    const QSignalBlocker block(this);
    const int row = rowOf(index);
    if (row < 0) {
        clearSelection();
        setCurrentCell(-1, -1);
        return;
    }
    setCurrentCell(row, 0);
    selectRow(row);
}

}  // namespace infolens::ui
