#include "infolens/ui/InterventionFigure.h"

#include <QByteArray>
#include <QFile>
#include <QImage>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "TestFiles.h"
#include "infolens/Error.h"

#include <catch2/catch.hpp>

namespace fs = std::filesystem;
using infolens::ui::InterventionFigureContent;
using infolens::ui::InterventionFigureRow;

namespace {

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

QImage filled(QColor c, int side = 32) {
    QImage image(side, side, QImage::Format_RGB32);
    image.fill(c);
    return image;
}

InterventionFigureContent sampleContent(int rows) {
    InterventionFigureContent content;
    content.title = "a purple circle left of a small square";
    content.footer = "InfoLens test · model shapes-v2";
    for (int i = 0; i < rows; ++i) {
        InterventionFigureRow row;
        row.word = i == 0 ? "purple" : "circle";
        row.edit = i == 0 ? QString::fromUtf8("removed (\u2192 _)") : "swapped with square";
        row.original = filled(Qt::gray);
        row.edited = filled(Qt::darkGray);
        row.change = filled(Qt::yellow);
        row.predicted = filled(Qt::green);
        row.cmiBits = 12.3456;
        row.cmiSeBits = 0.61;
        row.cmiStandardBits = -1.5;
        row.cmiStandardSeBits = 0.25;
        row.totalChange = 0.0123456;
        row.pixelRInformation = 0.4567;
        row.pixelRAttention = i == 0 ? std::numeric_limits<double>::quiet_NaN() : 0.21;
        content.rows.push_back(row);
    }
    return content;
}

QByteArray fileBytes(const std::string& path) {
    QFile f(q(path));
    REQUIRE(f.open(QIODevice::ReadOnly));
    return f.readAll();
}

}  // namespace

TEST_CASE("the intervention figure has its size at the DPI and its rows grow it", "[figure]") {
    const InterventionFigureContent one = sampleContent(1);
    const QImage at100 = infolens::ui::renderInterventionFigure(one, 100);
    const QImage at300 = infolens::ui::renderInterventionFigure(one, 300);
    CHECK(std::abs(at300.width() - 3 * at100.width()) <= 3);
    CHECK(std::abs(at300.height() - 3 * at100.height()) <= 3);
    CHECK(at300.dotsPerMeterX() == qRound(300 / 0.0254));
    // Four 1.3 in panels with margins and gaps: a bit over 5.2 in.
    CHECK(at100.width() > 520);
    CHECK(at100.width() < 600);
    CHECK(infolens::ui::renderInterventionFigure(sampleContent(3), 100).height() >
          at100.height() + 2 * 130);
    // A chosen width is exact: 7 in at 150 DPI.
    InterventionFigureContent page = sampleContent(2);
    page.widthInches = 7.0;
    CHECK(infolens::ui::renderInterventionFigure(page, 150).width() == 1050);
    // The panels are drawn: the change panel's yellow is in the image.
    bool yellow = false;
    for (int x = 0; x < at100.width() && !yellow; ++x) {
        for (int y = 0; y < at100.height() && !yellow; ++y)
            yellow = at100.pixel(x, y) == qRgb(255, 255, 0);
    }
    CHECK(yellow);
}

TEST_CASE("the intervention figure writes every value with its form", "[figure]") {
    const infolens::ui::InterventionFigureText text =
        infolens::ui::interventionFigureText(sampleContent(2));
    REQUIRE(text.headers.size() == 4);
    CHECK(text.headers[0] == "original");
    CHECK(text.headers[1] == "edited");
    CHECK(text.headers[2] == "actual change");
    CHECK(text.headers[3] == "predicted map");
    REQUIRE(text.rows.size() == 2);
    const QString& first = text.rows[0];
    CHECK(first.contains("purple"));
    CHECK(first.contains(QString::fromUtf8("removed (\u2192 _)")));
    CHECK(first.contains(QString::fromUtf8("i_o = 12.35 \u00b1 0.61 bits")));
    CHECK(first.contains(QString::fromUtf8("i_s = \u22121.50 \u00b1 0.25 bits")));
    CHECK(first.contains("total change 0.0123"));
    CHECK(first.contains("pixel r: information 0.46, attention n/a"));
    CHECK(text.rows[1].contains("attention 0.21"));
    CHECK(text.legend.contains("viridis"));
}

TEST_CASE("the intervention figure exports PNG and PDF and fails without harm", "[figure]") {
    TempDir dir;
    const InterventionFigureContent content = sampleContent(2);
    infolens::ui::exportInterventionFigurePng(q(dir.file("f.png")), content, 150);
    infolens::ui::exportInterventionFigurePdf(q(dir.file("f.pdf")), content);
    const QImage png(q(dir.file("f.png")));
    CHECK(png.size() == infolens::ui::renderInterventionFigure(content, 150).size());
    const QByteArray pdf = fileBytes(dir.file("f.pdf"));
    CHECK(pdf.startsWith("%PDF"));
    CHECK(pdf.trimmed().endsWith("%%EOF"));

    // A failing write leaves the old file as it was, and the error names the path.
    writeBytes(dir.file("old.png"), {'o', 'l', 'd'});
    writeBytes(dir.file("old.pdf"), {'o', 'l', 'd'});
    std::string error;
    try {
        infolens::ui::exportInterventionFigurePng(q(dir.file("old.png")), content, 10);
    } catch (const infolens::Error& e) {
        error = e.what();
    }
    CHECK_THAT(error,
               Catch::Matchers::Contains(dir.file("old.png")) && Catch::Matchers::Contains("DPI"));
    InterventionFigureContent empty = content;
    empty.rows.clear();
    CHECK_THROWS_AS(infolens::ui::exportInterventionFigurePdf(q(dir.file("old.pdf")), empty),
                    infolens::Error);
    CHECK(readBytes(dir.file("old.png")) == std::vector<unsigned char>{'o', 'l', 'd'});
    CHECK(readBytes(dir.file("old.pdf")) == std::vector<unsigned char>{'o', 'l', 'd'});
    // A missing folder: no file, the folder named.
    CHECK_THROWS_WITH(
        infolens::ui::exportInterventionFigurePng(q(dir.file("no/such/f.png")), content, 150),
        Catch::Matchers::Contains("does not exist"));
    CHECK_FALSE(fs::exists(dir.file("no")));
    // A missing panel is drawn as "n/a", not refused.
    InterventionFigureContent partial = content;
    partial.rows[0].predicted = QImage();
    CHECK_FALSE(infolens::ui::renderInterventionFigure(partial, 100).isNull());
}
