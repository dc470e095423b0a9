#pragma once

#include <QImage>
#include <QString>
#include <vector>

// The intervention figure (issue 12): one row per intervention with four panels (original |
// edited | actual change | predicted map) under column headers, and under each row the word, the
// edit, the word's CMI in both forms, the total change and the pixel-level Pearson r of the
// information and the attention map with the change. Painted like FigureExporter's figures: one
// layout in points, on a raster image at a DPI for PNG and on a PDF page with real text. The
// panels arrive already drawn (the change and predicted maps coloured by the caller with
// `colormap`); a null image is drawn as an empty grey panel marked "n/a".
//
// Needs a QGuiApplication (fonts).
namespace infolens::ui {

struct InterventionFigureRow {
    QString word;  // the word intervened on
    QString edit;  // e.g. "removed (→ _)" or "swapped with dog"
    QImage original, edited, change, predicted;
    double cmiBits = 0, cmiSeBits = 0, cmiStandardBits = 0, cmiStandardSeBits = 0, totalChange = 0,
           pixelRInformation = 0, pixelRAttention = 0;  // NaN r: "n/a"
};

struct InterventionFigureContent {
    QString title;  // the prompt
    std::vector<InterventionFigureRow> rows;
    QString colormap = "viridis";  // of the change and predicted panels (named in the legend)
    QString footer;                // provenance
    double widthInches = 0;        // 0: natural (1.3 in panels); else exactly this wide
};

// The texts as drawn, for tests and captions.
struct InterventionFigureText {
    std::vector<QString> headers;  // the four column headers
    std::vector<QString> rows;     // under each row, lines separated by '\n'
    QString legend;
};
InterventionFigureText interventionFigureText(const InterventionFigureContent& content);

// Opaque RGB on white at `dpi` (50..1200), the DPI recorded in the image. Throws infolens::Error
// for a bad DPI, no rows, a width too narrow for the panels or a figure too large to allocate.
QImage renderInterventionFigure(const InterventionFigureContent& content, int dpi);

// Both write through QSaveFile: the target is replaced whole or, on failure, left as it was, and
// infolens::Error names the path and the reason.
void exportInterventionFigurePng(const QString& path, const InterventionFigureContent& content,
                                 int dpi);
void exportInterventionFigurePdf(const QString& path, const InterventionFigureContent& content);

}  // namespace infolens::ui
