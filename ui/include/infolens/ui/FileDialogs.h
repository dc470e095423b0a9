#pragma once

#include <QString>

class QWidget;

namespace infolens::ui {

class SettingsStore;

// A save dialog that starts in the folder of the last export or session and remembers the chosen
// one; `suffix` is added when the name has none. Empty when cancelled.
QString askSavePath(QWidget* parent, SettingsStore& settings, const QString& title,
                    const QString& filter, const QString& suffix);

}  // namespace infolens::ui
