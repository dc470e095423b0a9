#pragma once

#include <QImage>
#include <QSizeF>
#include <QString>

#include <functional>
#include <string>

class QPainter;
class QPaintDevice;

namespace infolens::ui {

// What the figures share once laid out: resolution limits, rasterising, and writing PNG or PDF
// files whole. Private to infolens_figure.

inline constexpr int kFigureMinDpi = 50;
inline constexpr int kFigureMaxDpi = 1200;

// Paints a laid-out figure on `device`; `vector` is true for PDF.
using FigurePainter =
    std::function<void(QPainter& painter, const QPaintDevice& device, bool vector)>;

// Throws infolens::Error "cannot export <what> to '<path>': <why>".
[[noreturn]] void failFigureExport(const std::string& what, const QString& path,
                                   const std::string& why);

// A white RGB32 image of `sizePoints` at `dpi` with `paint` drawn on it, its DPI recorded. Throws
// infolens::Error for a DPI outside the limits or an image over 100 megapixels.
QImage rasterFigure(QSizeF sizePoints, int dpi, const FigurePainter& paint);

// Encode into memory, then write through writeFileAtomically: a crash mid-export leaves the
// previous file whole and a temporary that the next export into that folder removes (QSaveFile's
// would stay forever). A missing folder or a folder at `path` is reported before any work.
void writeFigurePng(const std::string& what, const QString& path, const QImage& image);
void writeFigurePdf(const std::string& what, const QString& path, const QString& title,
                    QSizeF sizePoints, const FigurePainter& paint);

}  // namespace infolens::ui
