#include "infolens/ui/WordPanel.h"

#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QStyledItemDelegate>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <cmath>

namespace infolens::ui {

namespace {

constexpr int kIndexRole = Qt::UserRole;
constexpr int kBitsRole = Qt::UserRole + 1;
constexpr int kSeRole = Qt::UserRole + 2;
constexpr int kMaxRole = Qt::UserRole + 3;
constexpr int kThumbSize = 40;

QString bitsText(double bits, double se) {
    return QString("%1 ± %2").arg(bits, 0, 'f', bits >= 100 ? 0 : 2).arg(se, 0, 'f', 2);
}

// Numeric sorting on the value columns instead of text order.
class WordItem : public QTreeWidgetItem {
  public:
    using QTreeWidgetItem::QTreeWidgetItem;
    bool operator<(const QTreeWidgetItem& other) const override {
        const int column = treeWidget() ? treeWidget()->sortColumn() : 0;
        if (column == 0)
            return data(0, kIndexRole).toInt() < other.data(0, kIndexRole).toInt();
        return data(1, kBitsRole).toDouble() < other.data(1, kBitsRole).toDouble();
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
        // The value as text on the left, the bar beside it, so short bars never hide digits.
        const int textWidth = std::min(option.rect.width() / 2,
                                       o.fontMetrics.horizontalAdvance("0000.00 ± 00.00") + 6);
        const QRect textRect = option.rect.adjusted(3, 0, 0, 0);
        const QRect r = option.rect.adjusted(3 + textWidth, 4, -3, -4);
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
    m_mi = new QLabel(tr("MI of the whole prompt: —"), this);
    m_mi->setObjectName("miLabel");
    m_mi->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_mi);
    m_tree = new QTreeWidget(this);
    m_tree->setObjectName("wordTree");
    m_tree->setColumnCount(3);
    m_tree->setHeaderLabels({tr("Word"), tr("CMI (bits) ± SE"), tr("Map")});
    m_tree->setRootIsDecorated(false);
    m_tree->setSortingEnabled(true);
    m_tree->sortByColumn(0, Qt::AscendingOrder);
    m_tree->setIconSize(QSize(kThumbSize, kThumbSize));
    m_tree->setItemDelegateForColumn(1, new BarDelegate(m_tree));
    m_tree->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_tree->header()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_tree->header()->setSectionResizeMode(2, QHeaderView::Fixed);
    m_tree->header()->resizeSection(2, kThumbSize + 12);
    m_tree->header()->setStretchLastSection(false);
    layout->addWidget(m_tree, 1);
    connect(m_tree, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
        if (item)
            Q_EMIT wordClicked(item->data(0, kIndexRole).toInt());
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
        m_mi->setText(tr("MI of the whole prompt: —"));
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
        item->setText(0, label);
        item->setForeground(0, w.unknown ? QBrush(QColor(192, 57, 43)) : QBrush());
        item->setData(0, kIndexRole, i);
        item->setText(1, bitsText(w.bits, w.seBits));
        item->setData(1, kBitsRole, w.bits);
        item->setData(1, kSeRole, w.seBits);
        item->setData(1, kMaxRole, m_maxBits);
        item->setToolTip(1, tr("i_o = %1 ± %2 bits (orthogonal estimator, shown)\n"
                               "i_s = %3 ± %4 bits (standard estimator)")
                                .arg(w.bits, 0, 'f', 3)
                                .arg(w.seBits, 0, 'f', 3)
                                .arg(w.standardBits, 0, 'f', 3)
                                .arg(w.standardSeBits, 0, 'f', 3));
        item->setSizeHint(2, QSize(kThumbSize + 8, kThumbSize + 4));
    }
    m_mi->setText(tr("<b>MI</b>(image; prompt) = <b>%1 ± %2</b> bits  ·  %3 of %4 draws%5")
                      .arg(m_result->mi.bits, 0, 'f', 2)
                      .arg(m_result->mi.seBits, 0, 'f', 2)
                      .arg(m_result->drawsDone)
                      .arg(m_result->sampleCap)
                      .arg(m_result->converged ? tr(", converged")
                                               : (m_result->finished ? tr(", at the cap") : "")));
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
                2, QIcon(QPixmap::fromImage(thumb.scaled(
                       kThumbSize, kThumbSize, Qt::KeepAspectRatio, Qt::FastTransformation))));
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
