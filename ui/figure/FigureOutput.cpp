#include "FigureOutput.h"

#include <QBuffer>
#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImageWriter>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>

#include <cmath>
#include <string_view>

#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"

namespace infolens::ui {

namespace {

constexpr double kPointsPerInch = 72.0;
constexpr int kPdfResolution = 1200;
constexpr qint64 kMaxFigurePixels = 100'000'000;

void checkPath(const std::string& what, const QString& path) {
    const QFileInfo info(path);
    if (!info.absoluteDir().exists())
        failFigureExport(what, path,
                         "the folder '" + info.absolutePath().toStdString() + "' does not exist");
    if (info.isDir())
        failFigureExport(what, path, "it is a folder");
}

// `encode` writes the file's bytes to the device it is given or throws infolens::Error.
void writeEncoded(const std::string& what, const QString& path,
                  const std::function<void(QIODevice&)>& encode) {
    checkPath(what, path);
    QByteArray bytes;
    try {
        QBuffer buffer(&bytes);
        buffer.open(QIODevice::WriteOnly);
        encode(buffer);
        writeFileAtomically(
            QFile::encodeName(path).toStdString(),
            std::string_view(bytes.constData(), static_cast<std::size_t>(bytes.size())));
    } catch (const Error& e) {
        failFigureExport(what, path, e.what());
    }
}

}  // namespace

void failFigureExport(const std::string& what, const QString& path, const std::string& why) {
    throw Error("cannot export " + what + " to '" + path.toStdString() + "': " + why);
}

QImage rasterFigure(QSizeF sizePoints, int dpi, const FigurePainter& paint) {
    if (dpi < kFigureMinDpi || dpi > kFigureMaxDpi)
        throw Error("a figure's resolution must be " + std::to_string(kFigureMinDpi) + " to " +
                    std::to_string(kFigureMaxDpi) + " DPI, not " + std::to_string(dpi));
    const int width = static_cast<int>(std::ceil(sizePoints.width() * dpi / kPointsPerInch));
    const int height = static_cast<int>(std::ceil(sizePoints.height() * dpi / kPointsPerInch));
    if (qint64(width) * height > kMaxFigurePixels)
        throw Error("the figure would be " + std::to_string(width) + " x " +
                    std::to_string(height) + " pixels at " + std::to_string(dpi) +
                    " DPI; choose a lower resolution");
    QImage image(width, height, QImage::Format_RGB32);
    if (image.isNull())
        throw Error("not enough memory for a " + std::to_string(width) + " x " +
                    std::to_string(height) + " figure");
    const int dotsPerMeter = qRound(dpi / 0.0254);
    image.setDotsPerMeterX(dotsPerMeter);
    image.setDotsPerMeterY(dotsPerMeter);
    image.fill(Qt::white);
    QPainter painter(&image);
    paint(painter, image, false);
    painter.end();
    return image;
}

void writeFigurePng(const std::string& what, const QString& path, const QImage& image) {
    writeEncoded(what, path, [&](QIODevice& device) {
        QImageWriter writer(&device, "png");
        if (!writer.write(image))
            throw Error(writer.errorString().toStdString());
    });
}

void writeFigurePdf(const std::string& what, const QString& path, const QString& title,
                    QSizeF sizePoints, const FigurePainter& paint) {
    writeEncoded(what, path, [&](QIODevice& device) {
        QPdfWriter writer(&device);
        writer.setResolution(kPdfResolution);
        writer.setTitle(title);
        writer.setCreator("InfoLens");
        const QPageSize pageSize(sizePoints, QPageSize::Point, QString(), QPageSize::ExactMatch);
        if (!writer.setPageLayout(
                QPageLayout(pageSize, QPageLayout::Portrait, QMarginsF(), QPageLayout::Point)))
            throw Error("the PDF writer refused a page of " + std::to_string(sizePoints.width()) +
                        " x " + std::to_string(sizePoints.height()) + " pt");
        QPainter painter;
        if (!painter.begin(&writer))
            throw Error("cannot start a PDF page");
        paint(painter, writer, true);
        if (!painter.end())
            throw Error("cannot finish the PDF");
    });
}

}  // namespace infolens::ui
