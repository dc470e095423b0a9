#pragma once

#include <QDialog>
#include <QString>
#include <vector>

class QMenuBar;

namespace infolens::ui {

// One keyboard shortcut as Help ▸ Keyboard Shortcuts lists it.
struct ShortcutRow {
    QString menu;    // "File ▸ Export"
    QString action;  // the action's text without its mnemonic "&"
    QString keys;    // every shortcut of the action, in the platform's notation, ", "-separated
};

// Every action with a shortcut reachable from the menu bar, in menu order: read from the actions
// themselves, so the list cannot fall behind the menus.
std::vector<ShortcutRow> shortcutRows(const QMenuBar* menuBar);

// Help ▸ Keyboard Shortcuts: a read-only table of shortcutRows().
class ShortcutsDialog : public QDialog {
    Q_OBJECT
  public:
    explicit ShortcutsDialog(const QMenuBar* menuBar, QWidget* parent = nullptr);
};

}  // namespace infolens::ui
