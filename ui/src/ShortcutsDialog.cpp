#include "infolens/ui/ShortcutsDialog.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QMenu>
#include <QMenuBar>
#include <QRegularExpression>
#include <QTableWidget>
#include <QVBoxLayout>

namespace infolens::ui {

namespace {

QString plain(QString text) {
    text.remove(QRegularExpression("&(?=[^&])"));  // mnemonics, keeping a literal "&&" as "&"
    text.replace("&&", "&");
    return text;
}

void collect(const QMenu* menu, const QString& path, std::vector<ShortcutRow>& rows) {
    for (QAction* action : menu->actions()) {
        if (action->isSeparator())
            continue;
        if (QMenu* sub = action->menu()) {
            collect(sub, path + QString::fromUtf8(" \u25b8 ") + plain(sub->title()), rows);
            continue;
        }
        const QList<QKeySequence> keys = action->shortcuts();
        if (keys.isEmpty())
            continue;
        QStringList texts;
        for (const QKeySequence& key : keys)
            texts << key.toString(QKeySequence::NativeText);
        rows.push_back({path, plain(action->text()), texts.join(", ")});
    }
}

}  // namespace

std::vector<ShortcutRow> shortcutRows(const QMenuBar* menuBar) {
    std::vector<ShortcutRow> rows;
    for (QAction* action : menuBar->actions()) {
        if (QMenu* menu = action->menu())
            collect(menu, plain(menu->title()), rows);
    }
    return rows;
}

ShortcutsDialog::ShortcutsDialog(const QMenuBar* menuBar, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Keyboard Shortcuts"));
    auto* layout = new QVBoxLayout(this);
    const std::vector<ShortcutRow> rows = shortcutRows(menuBar);
    auto* table = new QTableWidget(static_cast<int>(rows.size()), 3, this);
    table->setObjectName("shortcutsTable");
    table->setHorizontalHeaderLabels({tr("Keys"), tr("Action"), tr("Menu")});
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->verticalHeader()->hide();
    for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
        table->setItem(i, 0, new QTableWidgetItem(rows[i].keys));
        table->setItem(i, 1, new QTableWidgetItem(rows[i].action));
        table->setItem(i, 2, new QTableWidgetItem(rows[i].menu));
    }
    table->resizeColumnsToContents();
    table->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(table);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(520, 420);
}

}  // namespace infolens::ui
