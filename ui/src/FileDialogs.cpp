#include "infolens/ui/FileDialogs.h"

#include <QFileDialog>
#include <QFileInfo>

#include "infolens/ui/SettingsStore.h"

namespace infolens::ui {

QString askSavePath(QWidget* parent, SettingsStore& settings, const QString& title,
                    const QString& filter, const QString& suffix) {
    QFileDialog dialog(parent, title, settings.exportFolder(), filter);
    dialog.setAcceptMode(QFileDialog::AcceptSave);
    dialog.setDefaultSuffix(suffix);
    if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty())
        return {};
    const QString path = dialog.selectedFiles().front();
    settings.setExportFolder(QFileInfo(path).absolutePath());
    return path;
}

}  // namespace infolens::ui
