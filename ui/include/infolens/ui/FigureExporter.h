#pragma once

#include <vector>

#include <QImage>
#include <QSizeF>
#include <QString>

// Publication figures of one result: the prompt and its MI as a title, a grid of equal square
// panels (the image, then one overlay per word with its value), a colorbar with units, and a
// provenance footer. One layout in points (1/72 in) is painted on a raster image for PNG and on a
// PDF page, so both exports look the same; in the PDF, text stays real text with embedded fonts.
//
// Needs a QGuiApplication (fonts). Painting on QImage and QPdfWriter is allowed off the GUI thread,
// so a worker may export where QFontDatabase::supportsThreadedFontRendering() is true (Linux).
namespace infolens::ui {

struct FigurePanel {
    QString label;   // the word
    QImage overlay;  // the image with this word's map composited, any size and format
    double bits = 0.0;
    double seBits = 0.0;
};

struct FigureContent {
    QString title;  // the prompt
    QImage base;    // the image without overlay, first panel
    double miBits = 0.0;
    double miSeBits = 0.0;
    std::vector<FigurePanel> panels;
    QString colormap = "viridis";  // a name colormapLut knows; it must match the overlays
    double scaleLo = 0.0;          // colour scale of the overlays, for the colorbar
    double scaleHi = 1.0;
    QString units = "bits per pixel";
    QString footer;  // provenance: model, hash prefix, seed, draws
};

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
