#include "infolens/ui/FigureExporter.h"

#include <QFont>
#include <QFontMetricsF>
#include <QPainter>
#include <QStringList>
#include <QTextLayout>

#include <algorithm>
#include <cmath>

#include "FigureOutput.h"
#include "infolens/Error.h"
#include "infolens/render/Colormap.h"
#include "infolens/ui/ValueText.h"

namespace infolens::ui {

namespace {

// Geometry in points. Four columns of 1.6 in panels and the colorbar come to about 7.8 in; a paper
// scales the figure to its text width, which the PDF survives without loss.
constexpr double kPointsPerInch = 72.0;
constexpr double kMargin = 10.0;
constexpr double kPanel = 1.6 * kPointsPerInch;
constexpr double kColumnGap = 8.0;
constexpr double kRowGap = 9.0;
constexpr double kLabelGap = 3.0;
constexpr double kTitleGap = 2.0;
constexpr double kHeaderGap = 10.0;
constexpr double kFooterGap = 10.0;
constexpr double kBarGap = 12.0;
constexpr double kBarWidth = 9.0;
constexpr double kTickLength = 3.0;
constexpr double kTickLabelGap = 2.0;
constexpr double kUnitsGap = 5.0;
constexpr double kHairline = 0.5;
constexpr int kMaxColumns = 4;
// With a chosen width, panels narrower than this take fewer columns.
constexpr double kMinPanel = 1.0 * kPointsPerInch;

// PDF viewers may smooth small embedded images; nearest-neighbour enlargement to at least this
// density keeps map cells square in every viewer.
constexpr double kPdfImageDpi = 300.0;

const QColor kInk(0x1a, 0x1a, 0x1a);
const QColor kFaintInk(0x55, 0x55, 0x55);
const QColor kFrame(0x80, 0x80, 0x80);

enum class Style { Title, Mi, Label, Tick, Units, Footer };

double pointSize(Style style) {
    switch (style) {
        case Style::Title:
            return 10.5;
        case Style::Mi:
            return 9.0;
        case Style::Label:
            return 8.0;
        case Style::Tick:
            return 7.0;
        case Style::Units:
            return 7.5;
        case Style::Footer:
            return 6.0;
    }
    return 8.0;
}

// The painter is scaled so one unit is one point; Qt would scale a point-sized font by the
// device's DPI a second time, so the size is divided by it here. Hinting is off so that text
// measured on the reference device has the same width on every device and DPI.
QFont fontFor(Style style, const QPaintDevice& device) {
    QFont font;
    font.setFamilies({"DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"});
    font.setStyleHint(QFont::SansSerif);
    font.setHintingPreference(QFont::PreferNoHinting);
    font.setKerning(true);
    font.setPointSizeF(pointSize(style) * kPointsPerInch / device.logicalDpiY());
    font.setBold(style == Style::Title);
    return font;
}

// Layout is measured here, at 72 DPI where one pixel is one point, so every export shares it.
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

QFontMetricsF metrics(Style style) {
    return QFontMetricsF(fontFor(style, referenceDevice()), &referenceDevice());
}

QString bitsText(double bits, double se) {
    return bitsWithSe(bits, se);
}

// Paragraphs wrap at word boundaries, or anywhere inside a word longer than the line.
QTextOption wrapping(Qt::Alignment alignment) {
    QTextOption option(alignment);
    option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    return option;
}

// Breaks the text into lines of the given width and returns their total height.
double breakLines(QTextLayout& layout, double width) {
    layout.setTextOption(wrapping(Qt::AlignLeft));
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

double paragraphHeight(const QString& text, Style style, double width) {
    if (text.isEmpty())
        return 0.0;
    QTextLayout layout(text, fontFor(style, referenceDevice()), &referenceDevice());
    return breakLines(layout, width);
}

struct Tick {
    double value = 0.0;
    QString text;
};

// Round steps of 1, 2 or 5 times a power of ten, about four intervals over the range.
std::vector<Tick> colorbarTicks(double lo, double hi) {
    if (!(hi > lo))
        return {{lo, numberText(lo, 2)}};
    const double rough = (hi - lo) / 4.0;
    const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
    const double normalized = rough / magnitude;
    const double step = (normalized < 1.5   ? 1.0
                         : normalized < 3.0 ? 2.0
                         : normalized < 7.0 ? 5.0
                                            : 10.0) *
                        magnitude;
    const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
    std::vector<Tick> ticks;
    const double first = std::ceil(lo / step - 1e-9) * step;
    for (int i = 0;; ++i) {
        double value = first + i * step;
        if (value > hi + step * 1e-9)
            break;
        if (std::abs(value) < step * 1e-9)
            value = 0.0;
        ticks.push_back({value, numberText(value, decimals)});
    }
    return ticks;
}

struct Label {
    QRectF rect;
    QString text;  // the word, then its values, one per line
};

struct Layout {
    QSizeF size;
    double panel = kPanel;  // side of a square panel
    QRectF title;
    QRectF mi;
    QString miText;
    std::vector<QRectF> cells;  // square panel areas, the image first
    std::vector<Label> labels;
    QRectF bar;
    std::vector<Tick> ticks;
    double tickLabelLeft = 0.0;
    double tickLabelWidth = 0.0;
    QRectF units;  // before rotation: centred on the bar's middle height
    QRectF legend;
    QString legendText;
    QRectF footer;
};

void validate(const FigureContent& content) {
    if (content.base.isNull())
        throw Error("the figure has no image");
    for (const FigurePanel& panel : content.panels) {
        if (panel.overlay.isNull())
            throw Error("the panel of '" + panel.label.toStdString() + "' has no image");
    }
    if (!std::isfinite(content.scaleLo) || !std::isfinite(content.scaleHi) ||
        content.scaleHi < content.scaleLo) {
        throw Error("the colour scale [" + std::to_string(content.scaleLo) + ", " +
                    std::to_string(content.scaleHi) + "] is not a finite range");
    }
}

QString valueText(const char* form, double bits, double se) {
    return QString::fromLatin1(form) + " " + bitsText(bits, se);
}

// Colour-scale maxima: three significant digits.
QString maxText(double value, const QString& units) {
    const double a = std::abs(value);
    const int decimals =
        a > 0 ? std::clamp(2 - static_cast<int>(std::floor(std::log10(a))), 0, 6) : 2;
    return "max " + numberText(value, decimals) + " " + units;
}

// The lines under a word's panel: the word (elided to the panel, with "→ placeholder" when it was
// replaced rather than omitted), i_o, i_s and, with per-panel scales, the panel's maximum.
QString panelLabel(const FigureContent& content, const FigurePanel& panel,
                   const QFontMetricsF& metrics, double width) {
    QString word = panel.label;
    if (!panel.placeholder.isEmpty())
        word += QString::fromUtf8(" \u2192 ") + panel.placeholder;
    QStringList lines = {metrics.elidedText(word, Qt::ElideMiddle, width),
                         valueText("i_o", panel.bits, panel.seBits),
                         valueText("i_s", panel.standardBits, panel.standardSeBits)};
    if (content.perPanelScale)
        lines << maxText(panel.mapMax, content.maxUnits);
    return lines.join('\n');
}

QString legendText(const FigureContent& content) {
    QString text = content.mapSource.isEmpty() ? QString() : content.mapSource + " ";
    text += QString::fromUtf8(
        "i_o (moves the model): how far the text shifts the model\u2019s noise prediction for "
        "this image, never negative");
    if (content.mapSource.isEmpty())
        text += QString::fromUtf8("; the maps show i_o per pixel");
    text += QString::fromUtf8(
        ". i_s (explains the image): "
        "log p(image | text) \u2212 log p(image | without it), how much more likely the image is "
        "with the text; negative when the text does not fit the image. A word\u2019s values "
        "compare the prompt with and without the word");
    bool placeholder = false;
    for (const FigurePanel& panel : content.panels)
        placeholder = placeholder || !panel.placeholder.isEmpty();
    if (placeholder)
        text += QString::fromUtf8(" (\u201cword \u2192 _\u201d: the word replaced by _)");
    text += ".";
    if (content.perPanelScale)
        text += QString::fromUtf8(
            " Each panel has its own colour scale: the colorbar gives the share of the "
            "panel\u2019s "
            "maximum, printed under it.");
    else
        text += QString::fromUtf8(" All panels share one colour scale (") + content.units +
                QString::fromUtf8(", ") + numberText(content.scaleLo, 2) +
                QString::fromUtf8("\u2013") + numberText(content.scaleHi, 4) +
                QString::fromUtf8("), so colours compare across words.");
    return text;
}

std::vector<Tick> barTicks(const FigureContent& content) {
    if (!content.perPanelScale)
        return colorbarTicks(content.scaleLo, content.scaleHi);
    std::vector<Tick> ticks;
    for (const Tick& t : colorbarTicks(0.0, 100.0))
        ticks.push_back({t.value / 100.0, t.text + "%"});
    return ticks;
}

QString unitsText(const FigureContent& content) {
    if (content.perPanelScale)
        return QString::fromUtf8("share of each panel\u2019s max");
    return content.units;
}

Layout computeLayout(const FigureContent& content) {
    validate(content);
    for (const FigurePanel& panel : content.panels) {
        if (content.perPanelScale && !(std::isfinite(panel.mapMax) && panel.mapMax >= 0.0))
            throw Error("the panel of '" + panel.label.toStdString() +
                        "' has no finite maximum for its own scale");
    }
    if (content.widthInches < 0.0 || !std::isfinite(content.widthInches))
        throw Error("a figure's width must be positive");
    Layout layout;
    const int count = 1 + static_cast<int>(content.panels.size());
    int rows = (count + kMaxColumns - 1) / kMaxColumns;
    int columns = (count + rows - 1) / rows;  // balanced rows, e.g. 3 + 2 rather than 4 + 1

    // Every label has the same number of lines (word, i_o, i_s and, with per-panel scales, the
    // panel's maximum), so the grid stays regular; a word longer than its panel is elided.
    const QFontMetricsF labelMetrics = metrics(Style::Label);
    const int labelLines = content.perPanelScale ? 4 : 3;
    // Room for the last line's descenders too.
    const double labelHeight = labelLines * labelMetrics.lineSpacing() + labelMetrics.descent();
    layout.ticks = barTicks(content);
    const QFontMetricsF tickMetrics = metrics(Style::Tick);
    for (const Tick& tick : layout.ticks)
        layout.tickLabelWidth =
            std::max(layout.tickLabelWidth, tickMetrics.horizontalAdvance(tick.text));
    const double unitsHeight = unitsText(content).isEmpty() ? 0.0 : metrics(Style::Units).height();
    const double barBlock = kBarGap + kBarWidth + kTickLength + kTickLabelGap +
                            layout.tickLabelWidth + (unitsHeight > 0 ? kUnitsGap + unitsHeight : 0);

    double contentWidth = 0.0;
    if (content.widthInches > 0.0) {
        // A chosen width (a paper column, a page): the panels fill it, in as many columns as keep
        // them at least kMinPanel wide and wide enough for their value lines.
        contentWidth = std::round(content.widthInches * kPointsPerInch) - 2.0 * kMargin;
        const double gridWidth = contentWidth - barBlock;
        double widestValue = 0.0;
        for (const FigurePanel& panel : content.panels) {
            const QStringList lines = panelLabel(content, panel, labelMetrics, 1e9).split('\n');
            for (int i = 1; i < lines.size(); ++i)
                widestValue = std::max(widestValue, labelMetrics.horizontalAdvance(lines[i]));
        }
        columns = 1;
        for (int c = std::min(kMaxColumns, count); c >= 1; --c) {
            const double side = (gridWidth - (c - 1) * kColumnGap) / c;
            if (c == 1 || (side >= kMinPanel && side >= widestValue)) {
                columns = c;
                break;
            }
        }
        layout.panel = (gridWidth - (columns - 1) * kColumnGap) / columns;
        if (layout.panel < 0.25 * kPointsPerInch)
            throw Error("a figure " + std::to_string(content.widthInches) +
                        " in wide leaves no room for its panels");
        rows = (count + columns - 1) / columns;
    }
    const double panelSide = layout.panel;
    std::vector<QString> labels = {"image"};
    for (const FigurePanel& panel : content.panels)
        labels.push_back(panelLabel(content, panel, labelMetrics, panelSide));
    const double rowHeight = panelSide + kLabelGap + labelHeight;
    const double gridWidth = columns * panelSide + (columns - 1) * kColumnGap;
    const double gridHeight = rows * rowHeight + (rows - 1) * kRowGap;
    if (contentWidth <= 0.0)
        contentWidth = gridWidth + barBlock;

    double y = kMargin;
    if (!content.title.isEmpty()) {
        const QString quoted = QChar(0x201c) + content.title + QChar(0x201d);
        const double h = paragraphHeight(quoted, Style::Title, contentWidth);
        layout.title = QRectF(kMargin, y, contentWidth, h);
        y += h + kTitleGap;
    }
    layout.miText = QString::fromUtf8("Whole prompt: ") +
                    valueText("i_o", content.miBits, content.miSeBits) +
                    QString::fromUtf8(" (moves the model) \u00b7 ") +
                    valueText("i_s", content.miStandardBits, content.miStandardSeBits) +
                    " (explains the image)";
    const double miHeight = paragraphHeight(layout.miText, Style::Mi, contentWidth);
    layout.mi = QRectF(kMargin, y, contentWidth, miHeight);
    y += miHeight + kHeaderGap;

    const double gridTop = y;
    for (int i = 0; i < count; ++i) {
        const int row = i / columns;
        const int column = i % columns;
        const double left = kMargin + column * (panelSide + kColumnGap);
        const double top = gridTop + row * (rowHeight + kRowGap);
        layout.cells.emplace_back(left, top, panelSide, panelSide);
        layout.labels.push_back(
            {QRectF(left, top + panelSide + kLabelGap, panelSide, labelHeight), labels[i]});
    }

    const double barLeft = kMargin + contentWidth - barBlock + kBarGap;
    const double barBottom = gridTop + (rows - 1) * (rowHeight + kRowGap) + panelSide;
    layout.bar = QRectF(barLeft, gridTop, kBarWidth, barBottom - gridTop);
    layout.tickLabelLeft = barLeft + kBarWidth + kTickLength + kTickLabelGap;
    if (unitsHeight > 0) {
        const double unitsLeft = layout.tickLabelLeft + layout.tickLabelWidth + kUnitsGap;
        layout.units = QRectF(unitsLeft, layout.bar.center().y() - unitsHeight / 2.0, unitsHeight,
                              unitsHeight);
    }
    y = gridTop + gridHeight;

    layout.legendText = legendText(content);
    {
        y += kFooterGap;
        const double h = paragraphHeight(layout.legendText, Style::Footer, contentWidth);
        layout.legend = QRectF(kMargin, y, contentWidth, h);
        y += h;
    }
    if (!content.footer.isEmpty()) {
        y += kFooterGap / 2.0;
        const double h = paragraphHeight(content.footer, Style::Footer, contentWidth);
        layout.footer = QRectF(kMargin, y, contentWidth, h);
        y += h;
    }
    // Whole points, because a PDF page size is stored in whole points.
    layout.size = QSizeF(std::ceil(kMargin + contentWidth + kMargin), std::ceil(y + kMargin));
    return layout;
}

void drawParagraph(QPainter& painter, const QPaintDevice& device, const QString& text, Style style,
                   const QRectF& rect, const QColor& color) {
    QTextLayout layout(text, fontFor(style, device), &device);
    breakLines(layout, rect.width());
    painter.setPen(color);
    layout.draw(&painter, rect.topLeft());
}

void drawText(QPainter& painter, const QPaintDevice& device, Style style, const QRectF& rect,
              int flags, const QString& text, const QColor& color = kInk) {
    painter.setFont(fontFor(style, device));
    painter.setPen(color);
    painter.drawText(rect, flags, text);
}

// Centred in its square cell, aspect kept, with a hairline frame.
void drawPanelImage(QPainter& painter, const QImage& image, const QRectF& cell, bool forPdf) {
    const double scale = std::min(cell.width() / image.width(), cell.height() / image.height());
    const QSizeF size(image.width() * scale, image.height() * scale);
    const QRectF target(cell.center() - QPointF(size.width() / 2.0, size.height() / 2.0), size);
    QImage pixels = image.convertToFormat(QImage::Format_RGB32);
    if (forPdf) {
        const int factor = static_cast<int>(
            std::floor(kPdfImageDpi * size.width() / kPointsPerInch / image.width()));
        if (factor >= 2) {
            pixels = pixels.scaled(image.width() * factor, image.height() * factor,
                                   Qt::IgnoreAspectRatio, Qt::FastTransformation);
        }
    }
    painter.drawImage(target, pixels);
    painter.setPen(QPen(kFrame, kHairline));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(target);
}

QImage colorbarImage(const QString& colormap) {
    const std::vector<Rgb8> lut = colormapLut(colormap.toStdString());
    QImage image(1, static_cast<int>(lut.size()), QImage::Format_RGB32);
    for (int i = 0; i < image.height(); ++i) {
        const Rgb8& c = lut[lut.size() - 1 - i];  // the scale's maximum at the top
        image.setPixel(0, i, qRgb(c[0], c[1], c[2]));
    }
    return image;
}

void paintFigure(QPainter& painter, const QPaintDevice& device, const FigureContent& content,
                 const Layout& layout, bool forPdf) {
    const QImage bar = colorbarImage(content.colormap);
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.setRenderHint(QPainter::TextAntialiasing, true);
    // Map cells must stay visibly square: nearest-neighbour image scaling, and in the PDF no JPEG
    // (Qt's default there), whose ringing would blur the cell edges.
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter.setRenderHint(QPainter::LosslessImageRendering, true);
    const double scale = device.logicalDpiY() / kPointsPerInch;
    painter.scale(scale, scale);

    if (!layout.title.isEmpty()) {
        drawParagraph(painter, device, QChar(0x201c) + content.title + QChar(0x201d), Style::Title,
                      layout.title, kInk);
    }
    drawParagraph(painter, device, layout.miText, Style::Mi, layout.mi, kInk);

    for (std::size_t i = 0; i < layout.cells.size(); ++i) {
        const QImage& image = i == 0 ? content.base : content.panels[i - 1].overlay;
        drawPanelImage(painter, image, layout.cells[i], forPdf);
        drawText(painter, device, Style::Label, layout.labels[i].rect,
                 Qt::AlignHCenter | Qt::AlignTop | Qt::TextDontClip, layout.labels[i].text);
    }

    painter.drawImage(layout.bar, bar);
    painter.setPen(QPen(kFrame, kHairline));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(layout.bar);
    const double lo = content.perPanelScale ? 0.0 : content.scaleLo;
    const double range = content.perPanelScale ? 1.0 : content.scaleHi - content.scaleLo;
    const QFontMetricsF tickMetrics = metrics(Style::Tick);
    for (const Tick& tick : layout.ticks) {
        const double t = range > 0 ? (tick.value - lo) / range : 0.0;
        const double y = layout.bar.bottom() - t * layout.bar.height();
        painter.setPen(QPen(kInk, kHairline));
        painter.drawLine(QPointF(layout.bar.right(), y),
                         QPointF(layout.bar.right() + kTickLength, y));
        const double h = tickMetrics.height();
        drawText(painter, device, Style::Tick,
                 QRectF(layout.tickLabelLeft, y - h / 2.0, layout.tickLabelWidth, h),
                 Qt::AlignLeft | Qt::AlignVCenter, tick.text);
    }
    if (!layout.units.isEmpty()) {
        // Read bottom to top along the bar, as in matplotlib's colorbar labels.
        painter.save();
        painter.translate(layout.units.center());
        painter.rotate(-90.0);
        const double length = std::max(layout.bar.height(), layout.units.width());
        drawText(painter, device, Style::Units,
                 QRectF(-length / 2.0, -layout.units.height() / 2.0, length, layout.units.height()),
                 Qt::AlignCenter, unitsText(content));
        painter.restore();
    }

    drawParagraph(painter, device, layout.legendText, Style::Footer, layout.legend, kFaintInk);

    if (!layout.footer.isEmpty())
        drawParagraph(painter, device, content.footer, Style::Footer, layout.footer, kFaintInk);
}

[[noreturn]] void fail(const QString& path, const std::string& why) {
    failFigureExport("the figure", path, why);
}

}  // namespace

QSizeF figureSizePoints(const FigureContent& content) {
    return computeLayout(content).size;
}

FigureText figureText(const FigureContent& content) {
    const Layout layout = computeLayout(content);
    FigureText text;
    text.mi = layout.miText;
    for (const Label& label : layout.labels)
        text.labels.push_back(label.text);
    for (const Tick& tick : layout.ticks)
        text.ticks.push_back(tick.text);
    text.units = unitsText(content);
    text.legend = layout.legendText;
    return text;
}

QImage renderFigure(const FigureContent& content, int dpi) {
    const Layout layout = computeLayout(content);
    return rasterFigure(layout.size, dpi,
                        [&](QPainter& painter, const QPaintDevice& device, bool vector) {
                            paintFigure(painter, device, content, layout, vector);
                        });
}

void exportFigurePng(const QString& path, const FigureContent& content, int dpi) {
    QImage image;
    try {
        image = renderFigure(content, dpi);
    } catch (const Error& e) {
        fail(path, e.what());
    }
    writeFigurePng("the figure", path, image);
}

void exportFigurePdf(const QString& path, const FigureContent& content) {
    Layout layout;
    try {
        layout = computeLayout(content);
        colorbarImage(content.colormap);  // an unknown colormap fails before any file exists
    } catch (const Error& e) {
        fail(path, e.what());
    }
    writeFigurePdf("the figure", path, content.title, layout.size,
                   [&](QPainter& painter, const QPaintDevice& device, bool vector) {
                       paintFigure(painter, device, content, layout, vector);
                   });
}

}  // namespace infolens::ui
