#pragma once

#include <vector>

#include <QImage>
#include <QSizeF>
#include <QString>

// Publication figures of one result: the prompt and its values as a title, a grid of equal square
// panels (the image, then one overlay per word with its values), a colorbar with units, a legend
// of the two forms, and a provenance footer. One layout in points (1/72 in) is painted on a
// raster image for PNG and on a PDF page, so both exports look the same; in the PDF, text stays
// real text with embedded fonts.
//
// Every number says which form it is: "i_o" (the orthogonal form: how far the text moves the
// model's prediction; what the maps show) or "i_s" (the standard form: how much better the image
// is explained with the text; can be negative), and the legend says what they mean. With
// perPanelScale each panel is drawn on its own range, so the colorbar reads as a share of each
// panel's maximum and every panel states its maximum in bits per pixel; a word measured by
// replacement with the placeholder is labelled "word → placeholder". The legend says which scale
// the colours use (one shared range, or each panel its own). Numbers are written by ValueText.h,
// as in the window.
//
// Needs a QGuiApplication (fonts). Painting on QImage and QPdfWriter is allowed off the GUI thread,
// so a worker may export where QFontDatabase::supportsThreadedFontRendering() is true (Linux).
namespace infolens::ui {

struct FigurePanel {
    QString label;      // the word
    QImage overlay;     // the image with this word's map composited, any size and format
    double bits = 0.0;  // i_o
    double seBits = 0.0;
    double standardBits = 0.0;  // i_s
    double standardSeBits = 0.0;
    QString placeholder;  // non-empty: the word was replaced by this instead of omitted
    double mapMax = 0.0;  // top of this panel's own colour scale (bits/px), with perPanelScale
};

struct FigureContent {
    QString title;        // the prompt
    QImage base;          // the image without overlay, first panel
    double miBits = 0.0;  // the whole prompt, i_o
    double miSeBits = 0.0;
    double miStandardBits = 0.0;  // the whole prompt, i_s
    double miStandardSeBits = 0.0;
    std::vector<FigurePanel> panels;
    QString colormap = "viridis";  // a name colormapLut knows; it must match the overlays
    double scaleLo = 0.0;          // colour scale of the overlays, for the colorbar
    double scaleHi = 1.0;
    // Each overlay drawn on [0, its panel's mapMax]: the colorbar reads 0–100 % of each panel's
    // maximum instead of scaleLo..scaleHi.
    bool perPanelScale = false;
    QString units = "bits per pixel";
    QString maxUnits = "bits/px";  // after each panel's maximum, with perPanelScale
    // One sentence saying which map the panels show (information, attention, combined); it
    // opens the legend. Empty: "the maps show i_o per pixel" inside the legend, as before.
    QString mapSource;
    QString footer;  // provenance: model, hash prefix, seed, draws
    // 0: the natural width (1.6 in panels, up to four columns). Otherwise the figure is exactly
    // this wide (e.g. 3.5 in for a paper column, 7 in for a page): the panels shrink to fill it,
    // in fewer columns when four would be narrower than 1 in or than their value lines; the text
    // keeps its size. A PNG at D DPI is then round(widthInches · 72) / 72 · D pixels wide.
    double widthInches = 0.0;
};

// Figure widths offered by the export dialog.
constexpr double kPaperColumnInches = 3.5;
constexpr double kFullPageInches = 7.0;

// The texts the figure draws, as drawn (for tests, and for captions written elsewhere).
struct FigureText {
    QString mi;                   // the line under the title
    std::vector<QString> labels;  // under each panel, the image first; lines separated by '\n'
    std::vector<QString> ticks;   // the colorbar's tick labels, bottom to top
    QString units;                // beside the colorbar
    QString legend;               // what i_o and i_s (and "→") mean
};
FigureText figureText(const FigureContent& content);

// The figure's size in points, whole points (the PDF page is exactly this).
QSizeF figureSizePoints(const FigureContent& content);

// The figure as an opaque RGB image on white at `dpi` (50..1200), with the DPI recorded in the
// image; what exportFigurePng writes. Throws infolens::Error for a bad DPI, an unknown colormap,
// a non-finite or reversed scale, or a figure too large to allocate.
QImage renderFigure(const FigureContent& content, int dpi);

// Both write through QSaveFile: the target is replaced whole or, on failure, left as it was (no
// file when there was none), and infolens::Error names the path and the reason.
void exportFigurePng(const QString& path, const FigureContent& content, int dpi);
void exportFigurePdf(const QString& path, const FigureContent& content);

}  // namespace infolens::ui
