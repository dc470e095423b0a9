#include "infolens/ui/InterventionFigure.h"

#include <QFont>
#include <QFontMetricsF>
#include <QPainter>
#include <QStringList>
#include <QTextLayout>

#include <algorithm>
#include <array>
#include <cmath>

#include "FigureOutput.h"
#include "infolens/Error.h"
#include "infolens/ui/ValueText.h"

namespace infolens::ui {

namespace {

// Geometry in points (1/72 in), as in FigureExporter.cpp.
constexpr double kPointsPerInch = 72.0;
constexpr double kMargin = 10.0;
constexpr double kPanel = 1.3 * kPointsPerInch;
constexpr double kColumnGap = 6.0;
constexpr double kRowGap = 10.0;
constexpr double kLabelGap = 3.0;
constexpr double kHeaderGap = 3.0;
constexpr double kTitleGap = 6.0;
constexpr double kFooterGap = 8.0;
constexpr double kHairline = 0.5;
constexpr double kMinPanel = 0.4 * kPointsPerInch;
constexpr int kColumns = 4;
constexpr double kPdfImageDpi = 300.0;
constexpr double kTitlePoints = 10.5;
constexpr double kHeaderPoints = 8.5;
constexpr double kLabelPoints = 8.0;
constexpr double kFooterPoints = 6.0;

const QColor kInk(0x1a, 0x1a, 0x1a);
const QColor kFaintInk(0x55, 0x55, 0x55);
const QColor kFrame(0x80, 0x80, 0x80);
const QColor kMissing(0xe6, 0xe6, 0xe6);

// A point-sized font on a painter scaled to points (Qt would apply the device DPI twice).
QFont fontFor(double points, bool bold, const QPaintDevice& device) {
    QFont font;
    font.setFamilies({"DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"});
    font.setStyleHint(QFont::SansSerif);
    font.setHintingPreference(QFont::PreferNoHinting);
    font.setPointSizeF(points * kPointsPerInch / device.logicalDpiY());
    font.setBold(bold);
    return font;
}

// Layout is measured at 72 DPI (one pixel is one point) so PNG and PDF share it.
const QImage& referenceDevice() {
    static const QImage image = [] {
        QImage reference(1, 1, QImage::Format_RGB32);
        const int dotsPerMeter = qRound(kPointsPerInch / 0.0254);
        reference.setDotsPerMeterX(dotsPerMeter);
        reference.setDotsPerMeterY(dotsPerMeter);
        return reference;
    }();
    return image;
}

QFontMetricsF metrics(double points, bool bold = false) {
    return QFontMetricsF(fontFor(points, bold, referenceDevice()), &referenceDevice());
}

double breakLines(QTextLayout& layout, double width, Qt::Alignment alignment = Qt::AlignLeft) {
    QTextOption option(alignment);
    option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    layout.setTextOption(option);
    layout.beginLayout();
    double height = 0.0;
    for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine()) {
        line.setLineWidth(width);
        line.setPosition(QPointF(0.0, height));
        height += line.height();
    }
    layout.endLayout();
    return height;
}

double paragraphHeight(const QString& text, double points, bool bold, double width) {
    if (text.isEmpty())
        return 0.0;
    QTextLayout layout(text, fontFor(points, bold, referenceDevice()), &referenceDevice());
    return breakLines(layout, width);
}

void drawParagraph(QPainter& painter, const QPaintDevice& device, const QString& text,
                   double points, bool bold, const QRectF& rect, const QColor& color,
                   Qt::Alignment alignment = Qt::AlignLeft) {
    if (text.isEmpty())
        return;
    QTextLayout layout(text, fontFor(points, bold, device), &device);
    breakLines(layout, rect.width(), alignment);
    painter.setPen(color);
    layout.draw(&painter, rect.topLeft());
}

// Three significant digits: the total change has no natural unit of its own scale.
QString significant(double value) {
    if (!std::isfinite(value))
        return "n/a";
    const double a = std::abs(value);
    const int decimals =
        a > 0 ? std::clamp(2 - static_cast<int>(std::floor(std::log10(a))), 0, 6) : 2;
    return numberText(value, decimals);
}

QString correlation(double r) {
    return std::isfinite(r) ? numberText(r, 2) : QString("n/a");
}

const std::array<QString, kColumns>& headers() {
    static const std::array<QString, kColumns> names = {
        QString("original"), QString("edited"), QString("actual change"), QString("predicted map")};
    return names;
}

QString rowText(const InterventionFigureRow& row) {
    QStringList lines;
    QString first = QChar(0x201c) + row.word + QChar(0x201d);
    if (!row.edit.isEmpty())
        first += QString::fromUtf8(" \u00b7 ") + row.edit;
    lines << first;
    lines << "i_o = " + bitsWithSe(row.cmiBits, row.cmiSeBits) +
                 ", i_s = " + bitsWithSe(row.cmiStandardBits, row.cmiStandardSeBits);
    lines << "total change " + significant(row.totalChange);
    lines << "pixel r: information " + correlation(row.pixelRInformation) + ", attention " +
                 correlation(row.pixelRAttention);
    return lines.join('\n');
}

QString legendText(const InterventionFigureContent& content) {
    return QString::fromUtf8(
               "Each row: the image, the image regenerated from its inverted noise with the "
               "prompt edited, the actual change (per-pixel squared change) and the predicted "
               "map (the word\u2019s information map; for a swap, the difference of the two "
               "words\u2019 maps), change and prediction each coloured (") +
           content.colormap +
           QString::fromUtf8(
               ") from 0 to its own maximum. i_o, i_s: the word\u2019s conditional mutual "
               "information in its two forms (moves the model / explains the image). Total "
               "change: summed over the latent pixels. Pixel r: Pearson correlation across "
               "pixels of the change with the information map and with the attention map.");
}

struct Layout {
    QSizeF size;
    double panel = kPanel;
    QRectF title;
    std::array<QRectF, kColumns> headers;
    std::vector<std::array<QRectF, kColumns>> cells;
    std::vector<QRectF> labels;
    std::vector<QString> labelTexts;
    QRectF legend;
    QString legendText;
    QRectF footer;
};

Layout computeLayout(const InterventionFigureContent& content) {
    if (content.rows.empty())
        throw Error("the intervention figure has no interventions");
    if (!(content.widthInches >= 0.0) || !std::isfinite(content.widthInches))
        throw Error("a figure's width must be positive");
    Layout layout;
    double contentWidth = kColumns * kPanel + (kColumns - 1) * kColumnGap;
    if (content.widthInches > 0.0) {
        contentWidth = std::round(content.widthInches * kPointsPerInch) - 2.0 * kMargin;
        layout.panel = (contentWidth - (kColumns - 1) * kColumnGap) / kColumns;
        if (layout.panel < kMinPanel)
            throw Error("an intervention figure " + std::to_string(content.widthInches) +
                        " in wide leaves no room for its panels");
    }
    const double side = layout.panel;
    const QFontMetricsF labelMetrics = metrics(kLabelPoints);
    double y = kMargin;
    if (!content.title.isEmpty()) {
        const QString quoted = QChar(0x201c) + content.title + QChar(0x201d);
        const double h = paragraphHeight(quoted, kTitlePoints, true, contentWidth);
        layout.title = QRectF(kMargin, y, contentWidth, h);
        y += h + kTitleGap;
    }
    // Headers wrap within their column ("actual / change" in a narrow figure), bottom-aligned.
    double headerHeight = 0.0;
    for (const QString& header : headers())
        headerHeight = std::max(headerHeight, paragraphHeight(header, kHeaderPoints, true, side));
    for (int c = 0; c < kColumns; ++c)
        layout.headers[c] = QRectF(kMargin + c * (side + kColumnGap), y, side, headerHeight);
    y += headerHeight + kHeaderGap;
    for (std::size_t r = 0; r < content.rows.size(); ++r) {
        if (r > 0)
            y += kRowGap;
        std::array<QRectF, kColumns> cells;
        for (int c = 0; c < kColumns; ++c)
            cells[c] = QRectF(kMargin + c * (side + kColumnGap), y, side, side);
        layout.cells.push_back(cells);
        y += side + kLabelGap;
        const QString text = rowText(content.rows[r]);
        // Every line wraps within the row's width (a long edit must not run off the page).
        double h = 0.0;
        for (const QString& line : text.split('\n'))
            h += paragraphHeight(line, kLabelPoints, false, contentWidth);
        h += labelMetrics.descent();
        layout.labels.emplace_back(kMargin, y, contentWidth, h);
        layout.labelTexts.push_back(text);
        y += h;
    }
    layout.legendText = legendText(content);
    y += kFooterGap;
    const double legendHeight =
        paragraphHeight(layout.legendText, kFooterPoints, false, contentWidth);
    layout.legend = QRectF(kMargin, y, contentWidth, legendHeight);
    y += legendHeight;
    if (!content.footer.isEmpty()) {
        y += kFooterGap / 2.0;
        const double h = paragraphHeight(content.footer, kFooterPoints, false, contentWidth);
        layout.footer = QRectF(kMargin, y, contentWidth, h);
        y += h;
    }
    layout.size = QSizeF(std::ceil(kMargin + contentWidth + kMargin), std::ceil(y + kMargin));
    return layout;
}

// Centred in its square cell, aspect kept, nearest-neighbour, hairline frame; a missing image is
// a grey square marked "n/a".
void drawPanel(QPainter& painter, const QPaintDevice& device, const QImage& image,
               const QRectF& cell, bool forPdf) {
    if (image.isNull()) {
        painter.fillRect(cell, kMissing);
        painter.setFont(fontFor(kLabelPoints, false, device));
        painter.setPen(kFaintInk);
        painter.drawText(cell, Qt::AlignCenter, "n/a");
        painter.setPen(QPen(kFrame, kHairline));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(cell);
        return;
    }
    const double scale = std::min(cell.width() / image.width(), cell.height() / image.height());
    const QSizeF size(image.width() * scale, image.height() * scale);
    const QRectF target(cell.center() - QPointF(size.width() / 2.0, size.height() / 2.0), size);
    QImage pixels = image.convertToFormat(QImage::Format_RGB32);
    if (forPdf) {
        // PDF viewers smooth small images: enlarge by whole pixels so cells stay square.
        const int factor = static_cast<int>(
            std::floor(kPdfImageDpi * size.width() / kPointsPerInch / image.width()));
        if (factor >= 2)
            pixels = pixels.scaled(image.width() * factor, image.height() * factor,
                                   Qt::IgnoreAspectRatio, Qt::FastTransformation);
    }
    painter.drawImage(target, pixels);
    painter.setPen(QPen(kFrame, kHairline));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(target);
}

void paint(QPainter& painter, const QPaintDevice& device, const InterventionFigureContent& content,
           const Layout& layout, bool forPdf) {
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setRenderHint(QPainter::TextAntialiasing, true);
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter.setRenderHint(QPainter::LosslessImageRendering, true);
    const double scale = device.logicalDpiY() / kPointsPerInch;
    painter.scale(scale, scale);
    if (!layout.title.isEmpty())
        drawParagraph(painter, device, QChar(0x201c) + content.title + QChar(0x201d), kTitlePoints,
                      true, layout.title, kInk);
    for (int c = 0; c < kColumns; ++c) {
        const QRectF& cell = layout.headers[c];
        const double h = paragraphHeight(headers()[c], kHeaderPoints, true, cell.width());
        drawParagraph(painter, device, headers()[c], kHeaderPoints, true,
                      QRectF(cell.left(), cell.bottom() - h, cell.width(), h), kInk,
                      Qt::AlignHCenter);
    }
    for (std::size_t r = 0; r < content.rows.size(); ++r) {
        const InterventionFigureRow& row = content.rows[r];
        const std::array<const QImage*, kColumns> images = {&row.original, &row.edited, &row.change,
                                                            &row.predicted};
        for (int c = 0; c < kColumns; ++c)
            drawPanel(painter, device, *images[c], layout.cells[r][c], forPdf);
        // Line by line, each wrapped to the row's width.
        double y = layout.labels[r].top();
        for (const QString& line : layout.labelTexts[r].split('\n')) {
            const double h = paragraphHeight(line, kLabelPoints, false, layout.labels[r].width());
            drawParagraph(painter, device, line, kLabelPoints, false,
                          QRectF(layout.labels[r].left(), y, layout.labels[r].width(), h), kInk);
            y += h;
        }
    }
    drawParagraph(painter, device, layout.legendText, kFooterPoints, false, layout.legend,
                  kFaintInk);
    if (!layout.footer.isEmpty())
        drawParagraph(painter, device, content.footer, kFooterPoints, false, layout.footer,
                      kFaintInk);
}

[[noreturn]] void fail(const QString& path, const std::string& why) {
    failFigureExport("the intervention figure", path, why);
}

}  // namespace

InterventionFigureText interventionFigureText(const InterventionFigureContent& content) {
    const Layout layout = computeLayout(content);
    InterventionFigureText text;
    text.headers.assign(headers().begin(), headers().end());
    text.rows = layout.labelTexts;
    text.legend = layout.legendText;
    return text;
}

QImage renderInterventionFigure(const InterventionFigureContent& content, int dpi) {
    const Layout layout = computeLayout(content);
    return rasterFigure(layout.size, dpi,
                        [&](QPainter& painter, const QPaintDevice& device, bool vector) {
                            paint(painter, device, content, layout, vector);
                        });
}

void exportInterventionFigurePng(const QString& path, const InterventionFigureContent& content,
                                 int dpi) {
    QImage image;
    try {
        image = renderInterventionFigure(content, dpi);
    } catch (const Error& e) {
        fail(path, e.what());
    }
    writeFigurePng("the intervention figure", path, image);
}

void exportInterventionFigurePdf(const QString& path, const InterventionFigureContent& content) {
    Layout layout;
    try {
        layout = computeLayout(content);
    } catch (const Error& e) {
        fail(path, e.what());
    }
    writeFigurePdf("the intervention figure", path, content.title, layout.size,
                   [&](QPainter& painter, const QPaintDevice& device, bool vector) {
                       paint(painter, device, content, layout, vector);
                   });
}

}  // namespace infolens::ui
