#include "infolens/ui/WordPanel.h"

#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QStyledItemDelegate>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <cmath>

#include "infolens/ui/PromptFit.h"
#include "infolens/ui/ValueText.h"

namespace infolens::ui {

namespace {

constexpr int kIndexRole = Qt::UserRole;
constexpr int kBitsRole = Qt::UserRole + 1;
constexpr int kSeRole = Qt::UserRole + 2;
constexpr int kMaxRole = Qt::UserRole + 3;
constexpr int kThumbSize = 40;
const QColor kNegative(192, 57, 43);

QString bitsText(double bits, double se) {
    return valueWithSe(bits, se);  // the one format of the table, the grid and figures
}

// Numeric sorting on the value columns (each by its own form) instead of text order; the word and
// map columns sort by word order.
class WordItem : public QTreeWidgetItem {
  public:
    using QTreeWidgetItem::QTreeWidgetItem;
    bool operator<(const QTreeWidgetItem& other) const override {
        const int column = treeWidget() ? treeWidget()->sortColumn() : 0;
        if (column == WordPanel::kOrthogonalColumn || column == WordPanel::kStandardColumn)
            return data(column, kBitsRole).toDouble() < other.data(column, kBitsRole).toDouble();
        return data(0, kIndexRole).toInt() < other.data(0, kIndexRole).toInt();
    }
};

// The CMI column: a bar proportional to the value with the ±SE interval as a whisker.
class BarDelegate : public QStyledItemDelegate {
  public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* p, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override {
        QStyleOptionViewItem o = option;
        initStyleOption(&o, index);
        const QString text = o.text;
        o.text.clear();
        QStyledItemDelegate::paint(p, o, index);
        const double bits = index.data(kBitsRole).toDouble();
        const double se = index.data(kSeRole).toDouble();
        const double max = std::max(1e-9, index.data(kMaxRole).toDouble());
        // The value as text on the left, the bar beside it, so the bar never hides digits. When
        // the column is too narrow for both, the bar becomes a strip along the cell's bottom.
        const int textWidth = std::max(o.fontMetrics.horizontalAdvance(text),
                                       o.fontMetrics.horizontalAdvance("000.0 ± 0.0")) +
                              8;
        const QRect textRect = option.rect.adjusted(3, 0, 0, 0);
        const bool beside = option.rect.width() - 3 - textWidth >= 40;
        const QRect r = beside ? option.rect.adjusted(3 + textWidth, 4, -3, -4)
                               : QRect(option.rect.left() + 3, option.rect.bottom() - 7,
                                       option.rect.width() - 6, 6);
        auto x = [&](double v) {
            return r.left() + static_cast<int>(std::clamp(v / max, 0.0, 1.0) * r.width());
        };
        p->save();
        p->fillRect(QRect(r.left(), r.top(), x(bits) - r.left(), r.height()),
                    QColor(52, 152, 219, 150));
        p->setPen(QPen(QColor(30, 30, 30), 1));
        const int mid = r.center().y();
        p->drawLine(x(bits - se), mid, x(bits + se), mid);
        p->drawLine(x(bits - se), mid - 3, x(bits - se), mid + 3);
        p->drawLine(x(bits + se), mid - 3, x(bits + se), mid + 3);
        p->setPen(o.palette.color((o.state & QStyle::State_Selected) ? QPalette::HighlightedText
                                                                     : QPalette::Text));
        p->drawText(textRect, Qt::AlignVCenter | Qt::AlignLeft, text);
        p->restore();
    }
};

}  // namespace

WordPanel::WordPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_mi = new QLabel(tr("Whole prompt: —"), this);
    m_mi->setObjectName("miLabel");
    m_mi->setWordWrap(true);
    m_mi->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_mi->setToolTip(tr("The whole prompt against the empty prompt, in both forms.\n\n") +
                     orthogonalFormExplanation() + "\n\n" + standardFormExplanation());
    layout->addWidget(m_mi);
    m_tree = new QTreeWidget(this);
    m_tree->setObjectName("wordTree");
    m_tree->setColumnCount(kColumnCount);
    // Two-line titles keep the columns narrow enough for the dock: "Moves the model" / "(i_o)".
    auto twoLines = [](QString title) { return title.replace(" (", "\n("); };
    m_tree->setHeaderLabels(
        {tr("Word"), twoLines(orthogonalFormName()), twoLines(standardFormName()), tr("Map")});
    QTreeWidgetItem* header = m_tree->headerItem();
    header->setToolTip(kWordColumn,
                       tr("The word (or a symbol the model does not know, in red). \"→ _\": "
                          "measured by replacing the word with the placeholder instead of "
                          "omitting it. Sorts by word order."));
    header->setToolTip(kOrthogonalColumn,
                       orthogonalFormExplanation() + tr("\nHere: the word against the prompt "
                                                        "without it (its CMI). Click to sort."));
    header->setToolTip(kStandardColumn,
                       standardFormExplanation() + tr("\nHere: the word against the prompt "
                                                      "without it. Click to sort."));
    header->setToolTip(kMapColumn, tr("The word's map as the view draws it: information (i_o per "
                                      "pixel), attention or combined (Display toolbar, Map)."));
    // Sorting by a value starts with the largest (a second click reverses it).
    header->setData(kOrthogonalColumn, Qt::InitialSortOrderRole, Qt::DescendingOrder);
    header->setData(kStandardColumn, Qt::InitialSortOrderRole, Qt::DescendingOrder);
    m_tree->setRootIsDecorated(false);
    m_tree->setSortingEnabled(true);
    m_tree->sortByColumn(kWordColumn, Qt::AscendingOrder);
    m_tree->setIconSize(QSize(kThumbSize, kThumbSize));
    m_tree->setItemDelegateForColumn(kOrthogonalColumn, new BarDelegate(m_tree));
    m_tree->header()->setSectionResizeMode(kWordColumn, QHeaderView::ResizeToContents);
    m_tree->header()->setSectionResizeMode(kOrthogonalColumn, QHeaderView::Stretch);
    m_tree->header()->setSectionResizeMode(kStandardColumn, QHeaderView::ResizeToContents);
    m_tree->header()->setSectionResizeMode(kMapColumn, QHeaderView::Fixed);
    m_tree->header()->resizeSection(kMapColumn, kThumbSize + 12);
    m_tree->header()->setStretchLastSection(false);
    layout->addWidget(m_tree, 1);
    connect(m_tree, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
        if (item)
            Q_EMIT wordClicked(item->data(0, kIndexRole).toInt());
    });
    // Right-click on a row: the word's menu (omission/placeholder, Remove, Swap with…).
    m_tree->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_tree, &QWidget::customContextMenuRequested, this, [this](QPoint at) {
        if (QTreeWidgetItem* item = m_tree->itemAt(at))
            Q_EMIT wordMenuRequested(item->data(0, kIndexRole).toInt(),
                                     m_tree->viewport()->mapToGlobal(at));
    });
}

int WordPanel::rowCount() const {
    return m_tree->topLevelItemCount();
}

void WordPanel::setResult(std::shared_ptr<const LiveResult> result) {
    m_result = std::move(result);
    const int selected =
        m_tree->currentItem() ? m_tree->currentItem()->data(0, kIndexRole).toInt() : -1;
    QSignalBlocker block(m_tree);
    m_tree->setSortingEnabled(false);
    const int n = m_result ? static_cast<int>(m_result->words.size()) : 0;
    // Rows are updated in place so that progressive results do not flicker or lose the sort.
    while (m_tree->topLevelItemCount() > n)
        delete m_tree->takeTopLevelItem(m_tree->topLevelItemCount() - 1);
    while (m_tree->topLevelItemCount() < n)
        m_tree->addTopLevelItem(new WordItem);
    if (!m_result || !m_result->error.empty()) {
        m_mi->setText(tr("Whole prompt: —"));
        m_tree->setSortingEnabled(true);
        return;
    }
    m_maxBits = 1e-9;
    for (const WordResult& w : m_result->words)
        m_maxBits = std::max(m_maxBits, w.bits + w.seBits);
    std::vector<QTreeWidgetItem*> byIndex(n);
    for (int row = 0; row < n; ++row)
        byIndex[row] = m_tree->topLevelItem(row);
    for (int i = 0; i < n; ++i) {
        const WordResult& w = m_result->words[i];
        QTreeWidgetItem* item = byIndex[i];
        QString label = QString::fromStdString(w.text);
        if (w.mode == WordMode::Placeholder)
            label += QString::fromUtf8(" \u2192 ") + QString::fromStdString(m_result->placeholder);
        item->setText(kWordColumn, label);
        item->setForeground(kWordColumn, w.unknown ? QBrush(kNegative) : QBrush());
        item->setToolTip(kWordColumn,
                         w.unknown ? tr("Not in the model's vocabulary: read as [UNK].") : "");
        item->setData(kWordColumn, kIndexRole, i);
        item->setText(kOrthogonalColumn, bitsText(w.bits, w.seBits));
        item->setData(kOrthogonalColumn, kBitsRole, w.bits);
        item->setData(kOrthogonalColumn, kSeRole, w.seBits);
        item->setData(kOrthogonalColumn, kMaxRole, m_maxBits);
        const QString values = tr("\n\n\"%1\": i_o = %2 ± %3 bits, i_s = %4 ± %5 bits")
                                   .arg(label)
                                   .arg(w.bits, 0, 'f', 3)
                                   .arg(w.seBits, 0, 'f', 3)
                                   .arg(w.standardBits, 0, 'f', 3)
                                   .arg(w.standardSeBits, 0, 'f', 3);
        item->setToolTip(kOrthogonalColumn, orthogonalFormExplanation() + values);
        item->setText(kStandardColumn, bitsText(w.standardBits, w.standardSeBits));
        item->setData(kStandardColumn, kBitsRole, w.standardBits);
        item->setData(kStandardColumn, kSeRole, w.standardSeBits);
        // Below zero beyond two standard errors: the word makes the image less likely.
        item->setForeground(kStandardColumn, w.standardBits < -2.0 * w.standardSeBits
                                                 ? QBrush(kNegative)
                                                 : QBrush());
        item->setToolTip(kStandardColumn, standardFormExplanation() + values);
        item->setSizeHint(kMapColumn, QSize(kThumbSize + 8, kThumbSize + 4));
    }
    const WordResult& mi = m_result->mi;
    QString standard = bitsText(mi.standardBits, mi.standardSeBits);
    if (mi.standardBits < -2.0 * mi.standardSeBits)
        standard = "<span style=\"color:#c0392b\">" + standard + "</span>";
    m_mi->setText(tr("<b>Whole prompt</b> · moves the model <b>%1</b> bits (i_o) · explains the "
                     "image <b>%2</b> bits (i_s) · %3 of %4 draws%5")
                      .arg(bitsText(mi.bits, mi.seBits), standard)
                      .arg(m_result->drawsDone)
                      .arg(m_result->sampleCap)
                      .arg(m_result->converged
                               ? tr(", converged")
                               : (m_result->finished ? tr(", at the cap") : QString())));
    refreshThumbnails();
    m_tree->setSortingEnabled(true);
    for (int row = 0; row < n; ++row) {
        if (m_tree->topLevelItem(row)->data(0, kIndexRole).toInt() == selected)
            m_tree->setCurrentItem(m_tree->topLevelItem(row));
    }
}

void WordPanel::refreshThumbnails() {
    if (!m_thumbnail || !m_result)
        return;
    for (int row = 0; row < m_tree->topLevelItemCount(); ++row) {
        QTreeWidgetItem* item = m_tree->topLevelItem(row);
        const QImage thumb = m_thumbnail(item->data(0, kIndexRole).toInt());
        if (!thumb.isNull()) {
            item->setIcon(
                kMapColumn,
                QIcon(QPixmap::fromImage(thumb.scaled(kThumbSize, kThumbSize, Qt::KeepAspectRatio,
                                                      Qt::FastTransformation))));
        }
    }
}

void WordPanel::setSelectedWord(int word) {
    QSignalBlocker block(m_tree);
    for (int row = 0; row < m_tree->topLevelItemCount(); ++row) {
        if (m_tree->topLevelItem(row)->data(0, kIndexRole).toInt() == word)
            m_tree->setCurrentItem(m_tree->topLevelItem(row));
    }
}

}  // namespace infolens::ui
