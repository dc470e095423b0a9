#include "infolens/ui/ExportActions.h"

#include <QInputDialog>
#include <QMenu>

#include "infolens/Error.h"
#include "infolens/io/ResultExport.h"
#include "infolens/ui/FigureExporter.h"
#include "infolens/ui/FileDialogs.h"
#include "infolens/ui/ImageView.h"
#include "infolens/ui/MapScale.h"

namespace infolens::ui {

namespace {

constexpr int kFigureScale = 4;  // figure panels: model pixels enlarged by whole pixels

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

const LiveResult& requireMaps(const ExportSource& source, const char* what) {
    if (!source.result || source.result->words.empty())
        throw Error(std::string("there are no ") + what + " to export yet");
    return *source.result;
}

FigureContent figureContent(const ExportSource& source) {
    const LiveResult& result = requireMaps(source, "maps");
    FigureContent content;
    content.title = q(result.prompt);
    content.base = source.view->renderWord(-1, kFigureScale);
    content.miBits = result.mi.bits;
    content.miSeBits = result.mi.seBits;
    content.miStandardBits = result.mi.standardBits;
    content.miStandardSeBits = result.mi.standardSeBits;
    content.perPanelScale = !source.display.sharedScale;
    for (int i = 0; i < static_cast<int>(result.words.size()); ++i) {
        const WordResult& w = result.words[i];
        FigurePanel panel;
        panel.label = q(w.text);
        panel.overlay = source.view->renderWord(i, kFigureScale);
        panel.bits = w.bits;
        panel.seBits = w.seBits;
        panel.standardBits = w.standardBits;
        panel.standardSeBits = w.standardSeBits;
        if (w.mode == WordMode::Placeholder)
            panel.placeholder = q(result.placeholder);
        panel.mapMax = scaleFor(result, i, source.display).hi;  // what renderWord drew with
        content.panels.push_back(panel);
    }
    const MapScale scale = scaleFor(result, source.selectedWord, source.display);
    content.colormap = source.display.colormap;
    content.scaleLo = scale.lo;
    content.scaleHi = scale.hi;
    content.units = QObject::tr("i_o, bits per pixel");
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
    m_askDpi = [this]() -> std::optional<int> {
        bool ok = false;
        const int dpi = QInputDialog::getInt(m_window, tr("Export Figure"), tr("Resolution (DPI):"),
                                             300, 72, 1200, 1, &ok);
        return ok ? std::optional<int>(dpi) : std::nullopt;
    };
}

void ExportActions::addTo(QMenu* menu) {
    // Each item writes its own format; the typed name gets the item's extension when it lacks it.
    auto ask = [this](const QString& title, const QString& filter, const QString& suffix) {
        return withSuffix(m_askPath(title, filter, suffix), suffix);
    };
    menu->addAction(tr("Figure as &PNG…"), QKeySequence(Qt::CTRL | Qt::Key_E), this, [this, ask] {
        const std::optional<int> dpi = m_askDpi();
        if (!dpi)
            return;
        const QString path = ask(tr("Export Figure"), tr("PNG image (*.png)"), "png");
        if (!path.isEmpty())
            exportFigureAs(path, FigureFormat::Png, *dpi);
    });
    menu->addAction(tr("Figure as P&DF (vector)…"), this, [this, ask] {
        const QString path = ask(tr("Export Figure"), tr("PDF document (*.pdf)"), "pdf");
        if (!path.isEmpty())
            exportFigureAs(path, FigureFormat::Pdf, 0);
    });
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
    try {
        const FigureContent content = figureContent(m_source());
        if (format == FigureFormat::Pdf)
            exportFigurePdf(path, content);
        else
            exportFigurePng(path, content, dpi > 0 ? dpi : 300);
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
