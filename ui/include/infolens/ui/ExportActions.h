#pragma once

#include <QObject>
#include <QString>
#include <functional>
#include <memory>

#include "infolens/live/LiveWorker.h"
#include "infolens/ui/DisplaySettings.h"

class QMenu;
class QWidget;

namespace infolens::ui {

class ImageView;
class SettingsStore;

// What an export reads, taken when it runs.
struct ExportSource {
    std::shared_ptr<const LiveResult> result;
    const ImageView* view = nullptr;  // draws the figure's panels as the window shows them
    DisplaySettings display;
    int selectedWord = -1;
    ModelSummary model;
    QString imagePath;
    QString imageHash;
};

// File ▸ Export: the figure (PNG at a chosen DPI, or vector PDF), the raw maps (float32 NPY) and
// the values (CSV, or JSON with provenance). Each export returns false and reports through
// failed() when there is nothing to export or the file cannot be written.
class ExportActions : public QObject {
    Q_OBJECT
  public:
    using Source = std::function<ExportSource()>;
    ExportActions(QWidget* window, SettingsStore& settings, Source source,
                  QObject* parent = nullptr);

    void addTo(QMenu* menu);

    bool exportFigure(const QString& path, int dpi);  // .png or .pdf by suffix
    bool exportMaps(const QString& path);             // .npy
    bool exportValues(const QString& path);           // .csv or .json by suffix

  Q_SIGNALS:
    void message(const QString& text, int timeoutMs);
    void failed(const QString& title, const QString& message);

  private:
    QWidget* m_window;
    SettingsStore& m_settings;
    Source m_source;
};

}  // namespace infolens::ui
