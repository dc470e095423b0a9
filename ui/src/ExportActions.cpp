#include "infolens/ui/ExportActions.h"

#include <QMenu>
#include <algorithm>
#include <cmath>

#include "infolens/Error.h"
#include "infolens/io/ResultExport.h"
#include "infolens/ui/FigureExporter.h"
#include "infolens/ui/FileDialogs.h"
#include "infolens/ui/ImageView.h"
#include "infolens/ui/MapScale.h"
#include "infolens/ui/MapSourceSelect.h"
#include "infolens/ui/SettingsStore.h"

namespace infolens::ui {

namespace {

// Figure panels: model pixels enlarged by whole pixels up to this factor, no more than the panel
// needs at the output resolution (a 512² model gets 512² panels, not 2048²).
constexpr int kMaxFigureScale = 4;
constexpr double kNaturalPanelInches = 1.6;
constexpr double kPdfPanelDpi = 300.0;

int figureScale(int imageSide, double dpi) {
    if (imageSide <= 0)
        return 1;
    const double needed = kNaturalPanelInches * dpi;
    return std::clamp(static_cast<int>(std::ceil(needed / imageSide)), 1, kMaxFigureScale);
}

QString wordLabel(const WordResult& w, const std::string& placeholder) {
    QString label = QString::fromStdString(w.text);
    if (w.mode == WordMode::Placeholder)
        label += QString::fromUtf8(" \u2192 ") + QString::fromStdString(placeholder);
    return label;
}

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

const LiveResult& requireMaps(const ExportSource& source, const char* what) {
    if (!source.result || source.result->words.empty())
        throw Error(std::string("there are no ") + what + " to export yet");
    return *source.result;
}

FigureContent buildFigure(const ExportSource& source, const FigureOptions& options, double dpi) {
    const LiveResult& result = requireMaps(source, "maps");
    const QImage plain = source.view->renderWord(-1, 1);
    const int pixelScale = figureScale(std::max(plain.width(), plain.height()), dpi);
    FigureContent content;
    content.title = q(result.prompt);
    content.widthInches = options.widthInches;
    content.base = pixelScale == 1 ? plain : source.view->renderWord(-1, pixelScale);
    content.miBits = result.mi.bits;
    content.miSeBits = result.mi.seBits;
    content.miStandardBits = result.mi.standardBits;
    content.miStandardSeBits = result.mi.standardSeBits;
    // The figure's own colour scale (options), not the view's: by default each panel its own.
    DisplaySettings display = source.display;
    display.sharedScale = options.sharedScale;
    content.perPanelScale = !options.sharedScale;
    std::vector<int> chosen = options.words;
    if (chosen.empty()) {
        for (int i = 0; i < static_cast<int>(result.words.size()); ++i)
            chosen.push_back(i);
    }
    for (const int i : chosen) {
        if (i < 0 || i >= static_cast<int>(result.words.size()))
            throw Error("the figure asks for word " + std::to_string(i + 1) + " of a prompt with " +
                        std::to_string(result.words.size()) + " words");
        const WordResult& w = result.words[i];
        FigurePanel panel;
        panel.label = q(w.text);  // the figure adds "→ placeholder" itself
        panel.overlay = source.view->renderWord(i, pixelScale, display);
        panel.bits = w.bits;
        panel.seBits = w.seBits;
        panel.standardBits = w.standardBits;
        panel.standardSeBits = w.standardSeBits;
        if (w.mode == WordMode::Placeholder)
            panel.placeholder = q(result.placeholder);
        panel.mapMax = scaleFor(result, i, display).hi;  // what renderWord drew with
        content.panels.push_back(panel);
    }
    const MapScale scale = scaleFor(result, source.selectedWord, display);
    content.colormap = display.colormap;
    content.scaleLo = scale.lo;
    content.scaleHi = scale.hi;
    // Which map the panels show, in the colorbar's units, the panels' maxima and the legend.
    content.units = sourceUnits(display.mapSource);
    content.maxUnits = sourceMaxUnits(display.mapSource);
    content.mapSource = sourceDescription(display.mapSource);
    content.footer =
        QObject::tr(
            "InfoLens %1 · model %2 (%3…) · estimation seed %4%5 · %6 sampler · %7 "
            "draws%8 · SE from %9 replicas")
            .arg(INFOLENS_VERSION, q(source.model.name), q(source.model.hash.substr(0, 12)))
            .arg(result.seed)
            .arg(source.generationSeed
                     ? QObject::tr(" · image generated with seed %1").arg(*source.generationSeed)
                     : QString())
            .arg(result.iidSampler ? QObject::tr("iid") : QObject::tr("stratified"))
            .arg(result.drawsDone)
            .arg(result.converged
                     ? QObject::tr(" (converged)")
                     : (result.finished ? QObject::tr(" (cap)") : QObject::tr(" (unfinished)")))
            .arg(result.replicas);
    return content;
}

}  // namespace

QString withSuffix(const QString& path, const QString& suffix) {
    if (path.isEmpty() || path.endsWith("." + suffix, Qt::CaseInsensitive))
        return path;
    return path + "." + suffix;
}

ExportActions::ExportActions(QWidget* window, SettingsStore& settings, Source source,
                             QObject* parent)
    : QObject(parent), m_window(window), m_settings(settings), m_source(std::move(source)) {
    m_askPath = [this](const QString& title, const QString& filter, const QString& suffix) {
        return askSavePath(m_window, m_settings, title, filter, suffix);
    };
    m_askFigure = [this](const QStringList& words, bool png) -> std::optional<FigureOptions> {
        FigureOptionsDialog dialog(words, png, m_window);
        FigureOptions last = m_lastFigure;
        last.sharedScale = m_settings.figureSharedScale();
        if (last.words.size() > static_cast<std::size_t>(words.size()) ||
            std::any_of(last.words.begin(), last.words.end(),
                        [&](int i) { return i >= words.size(); }))
            last.words.clear();  // another prompt: all words again
        dialog.setOptions(last);
        if (dialog.exec() != QDialog::Accepted)
            return std::nullopt;
        return dialog.options();
    };
}

void ExportActions::addTo(QMenu* menu) {
    // Each item writes its own format; the typed name gets the item's extension when it lacks it.
    auto ask = [this](const QString& title, const QString& filter, const QString& suffix) {
        return withSuffix(m_askPath(title, filter, suffix), suffix);
    };
    // The figure's options first (which words, size, DPI), then where to write it.
    auto figure = [this, ask](FigureFormat format) {
        const ExportSource source = m_source();
        if (!source.result || source.result->words.empty()) {
            Q_EMIT failed(tr("Export Figure"), tr("there are no maps to export yet"));
            return;
        }
        QStringList words;
        for (const WordResult& w : source.result->words)
            words << wordLabel(w, source.result->placeholder);
        const std::optional<FigureOptions> options =
            m_askFigure(words, format == FigureFormat::Png);
        if (!options)
            return;
        m_lastFigure = *options;
        m_settings.setFigureSharedScale(options->sharedScale);  // the next figure starts there
        const QString path = format == FigureFormat::Png
                                 ? ask(tr("Export Figure"), tr("PNG image (*.png)"), "png")
                                 : ask(tr("Export Figure"), tr("PDF document (*.pdf)"), "pdf");
        if (!path.isEmpty())
            exportFigureAs(path, format, *options);
    };
    menu->addAction(tr("Figure as &PNG…"), QKeySequence(Qt::CTRL | Qt::Key_E), this,
                    [figure] { figure(FigureFormat::Png); });
    menu->addAction(tr("Figure as P&DF (vector)…"), this, [figure] { figure(FigureFormat::Pdf); });
    menu->addSeparator();
    menu->addAction(tr("Raw Maps (float32 &NPY)…"), this, [this, ask] {
        const QString path = ask(tr("Export Maps"), tr("NumPy array (*.npy)"), "npy");
        if (!path.isEmpty())
            exportMaps(path);
    });
    menu->addAction(tr("Values as &CSV…"), this, [this, ask] {
        const QString path = ask(tr("Export Values"), tr("CSV (*.csv)"), "csv");
        if (!path.isEmpty())
            exportValuesAs(path, ValuesFormat::Csv);
    });
    menu->addAction(tr("Values as &JSON…"), this, [this, ask] {
        const QString path = ask(tr("Export Values"), tr("JSON (*.json)"), "json");
        if (!path.isEmpty())
            exportValuesAs(path, ValuesFormat::Json);
    });
}

bool ExportActions::exportFigure(const QString& path, int dpi) {
    return exportFigureAs(
        path, path.endsWith(".pdf", Qt::CaseInsensitive) ? FigureFormat::Pdf : FigureFormat::Png,
        dpi);
}

bool ExportActions::exportFigureAs(const QString& path, FigureFormat format, int dpi) {
    FigureOptions options;
    options.dpi = dpi > 0 ? dpi : 300;
    return exportFigureAs(path, format, options);
}

FigureContent ExportActions::figureContent(const FigureOptions& options,
                                           FigureFormat format) const {
    return buildFigure(m_source(), options,
                       format == FigureFormat::Pdf ? kPdfPanelDpi : options.dpi);
}

bool ExportActions::exportFigureAs(const QString& path, FigureFormat format,
                                   const FigureOptions& options) {
    try {
        const FigureContent content = figureContent(options, format);
        if (format == FigureFormat::Pdf)
            exportFigurePdf(path, content);
        else
            exportFigurePng(path, content, options.dpi);
        Q_EMIT message(tr("Figure written to %1").arg(path), 5000);
        return true;
    } catch (const std::exception& e) {
        Q_EMIT failed(tr("Export Figure"), q(e.what()));
        return false;
    }
}

bool ExportActions::exportMaps(const QString& path) {
    try {
        const ExportSource source = m_source();
        writeMapsNpy(path.toStdString(), requireMaps(source, "maps"));
        Q_EMIT message(tr("Maps written to %1").arg(path), 5000);
        return true;
    } catch (const std::exception& e) {
        Q_EMIT failed(tr("Export Maps"), q(e.what()));
        return false;
    }
}

bool ExportActions::exportValues(const QString& path) {
    return exportValuesAs(
        path, path.endsWith(".json", Qt::CaseInsensitive) ? ValuesFormat::Json : ValuesFormat::Csv);
}

bool ExportActions::exportValuesAs(const QString& path, ValuesFormat format) {
    try {
        const ExportSource source = m_source();
        const LiveResult& result = requireMaps(source, "values");
        if (format == ValuesFormat::Csv) {
            writeValuesCsv(path.toStdString(), result);
        } else {
            nlohmann::json provenance = {
                {"model_name", source.model.name},
                {"model_hash", source.model.hash},
                {"image_path", source.imagePath.toStdString()},
                {"image_sha256", source.imageHash.toStdString()},
                // The estimator's seed (noise and log-SNR draws); generating an image has its own.
                {"estimation_seed", result.seed},
                {"sampler", result.iidSampler ? "iid" : "stratified"},
                {"replicas", result.replicas},
                {"sample_cap", result.sampleCap},
                {"target_relative_se", result.targetRelativeSe},
                {"finished", result.finished},
                {"converged", result.converged},
                {"infolens_version", INFOLENS_VERSION}};
            if (source.generationSeed)
                provenance["generation_seed"] = *source.generationSeed;
            writeValuesJson(path.toStdString(), result, provenance);
        }
        Q_EMIT message(tr("Values written to %1").arg(path), 5000);
        return true;
    } catch (const std::exception& e) {
        Q_EMIT failed(tr("Export Values"), q(e.what()));
        return false;
    }
}

}  // namespace infolens::ui
