#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <memory>

#include "infolens/ui/DisplaySettings.h"

class QSettings;
class QVariant;

namespace infolens::ui {

// What the app remembers between runs (QSettings): the window layout, the display settings, the
// recent files and the folders of the last file dialogs. Every key is listed once, in one table in
// SettingsStore.cpp that both reading and writing go through, so a setting cannot be written under
// one name and read under another.
class SettingsStore {
  public:
    static constexpr int kMaxRecent = 8;

    SettingsStore();                                 // the application's settings
    explicit SettingsStore(const QString& iniPath);  // a file of its own (tests)
    ~SettingsStore();
    SettingsStore(const SettingsStore&) = delete;
    SettingsStore& operator=(const SettingsStore&) = delete;

    // Every key this store reads or writes.
    static QStringList keys();

    bool hasWindowGeometry() const;
    QByteArray windowGeometry() const;
    QByteArray windowState() const;
    void setWindow(const QByteArray& geometry, const QByteArray& state);

    // Fields never stored keep their values from `defaults`; the grid mode is not remembered.
    DisplaySettings display(const DisplaySettings& defaults = {}) const;
    void setDisplay(const DisplaySettings& display);
    // The figure's colour scale: one shared scale (true) or each panel its own (false, default).
    bool figureSharedScale() const;
    void setFigureSharedScale(bool shared);

    QStringList recentFiles() const;  // most recent first
    void addRecentFile(const QString& path);
    // Models opened with File ▸ Open Model or --model (specs as given), most recent first.
    QStringList recentModels() const;
    void addRecentModel(const QString& spec);

    QString imageFolder() const;  // where Open Image starts
    void setImageFolder(const QString& folder);
    QString exportFolder() const;  // where save dialogs start
    void setExportFolder(const QString& folder);

    void sync();

  private:
    // `key` indexes the key table in SettingsStore.cpp.
    QVariant value(int key) const;
    void setValue(int key, const QVariant& value);

    std::unique_ptr<QSettings> m_settings;
};

}  // namespace infolens::ui
