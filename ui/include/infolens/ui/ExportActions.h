#pragma once

#include <QObject>
#include <QString>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "infolens/live/LiveWorker.h"
#include "infolens/ui/DisplaySettings.h"
#include "infolens/ui/FigureExporter.h"
#include "infolens/ui/FigureOptionsDialog.h"

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
    std::optional<std::uint64_t> generationSeed;  // set when the image was generated
};

enum class FigureFormat { Png, Pdf };
enum class ValuesFormat { Csv, Json };

// The path a menu item writes to: `path` as typed, with ".suffix" appended unless it already ends
// in it (case-insensitive), so "values" and "values.json" typed for CSV become "values.csv" and
// "values.json.csv": the file's content always matches its extension and the menu item.
QString withSuffix(const QString& path, const QString& suffix);

// File ▸ Export: the figure (PNG at a chosen DPI, or vector PDF), the raw maps (float32 NPY) and
// the values (CSV, or JSON with provenance). Each menu item writes its own format whatever the
// typed name (see withSuffix). Each export returns false and reports through failed() when there
// is nothing to export or the file cannot be written.
class ExportActions : public QObject {
    Q_OBJECT
  public:
    using Source = std::function<ExportSource()>;
    // Asks where to save (title, filter, suffix); empty when cancelled. The default is a save
    // dialog; tests replace it.
    using PathAsker =
        std::function<QString(const QString& title, const QString& filter, const QString& suffix)>;
    // Asks which words, which width and (for PNG) which DPI a figure gets; nullopt when
    // cancelled. `words` are the result's words as labelled in the words panel. The default is
    // FigureOptionsDialog; tests replace it.
    using FigureOptionsAsker =
        std::function<std::optional<FigureOptions>(const QStringList& words, bool png)>;
    ExportActions(QWidget* window, SettingsStore& settings, Source source,
                  QObject* parent = nullptr);

    void addTo(QMenu* menu);
    void setPathAsker(PathAsker asker) { m_askPath = std::move(asker); }
    void setFigureOptionsAsker(FigureOptionsAsker asker) { m_askFigure = std::move(asker); }

    // Scriptable: the format by the path's suffix (.pdf, else PNG; .json, else CSV).
    bool exportFigure(const QString& path, int dpi);
    bool exportMaps(const QString& path);  // .npy
    bool exportValues(const QString& path);
    // What the menu items run: exactly this format, to `path` as given (the menu applies
    // withSuffix first). Return the success.
    bool exportFigureAs(const QString& path, FigureFormat format, int dpi);
    bool exportFigureAs(const QString& path, FigureFormat format, const FigureOptions& options);
    // The figure's content for these options (the chosen words, the width, overlays rendered at
    // the panels' size in output pixels); throws infolens::Error when there are no maps.
    FigureContent figureContent(const FigureOptions& options, FigureFormat format) const;
    bool exportValuesAs(const QString& path, ValuesFormat format);

  Q_SIGNALS:
    void message(const QString& text, int timeoutMs);
    void failed(const QString& title, const QString& message);

  private:
    QWidget* m_window;
    SettingsStore& m_settings;
    Source m_source;
    PathAsker m_askPath;
    FigureOptionsAsker m_askFigure;
    FigureOptions m_lastFigure;  // the dialog opens with the last choice
};

}  // namespace infolens::ui
