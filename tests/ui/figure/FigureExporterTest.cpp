#include "infolens/ui/FigureExporter.h"

#include <QByteArray>
#include <QFile>
#include <QImage>
#include <QRegularExpression>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "TestFiles.h"
#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/render/OverlayCompositor.h"
#include "infolens/ui/ValueText.h"

#include <catch2/catch.hpp>

namespace fs = std::filesystem;
using infolens::ui::FigureContent;
using infolens::ui::FigurePanel;

namespace {

constexpr int kImageSize = 64;
constexpr int kMapSize = 16;

// A shapes-world scene: a red disc left of a blue square on grey.
QImage sceneImage() {
    QImage image(kImageSize, kImageSize, QImage::Format_RGBA8888);
    for (int y = 0; y < kImageSize; ++y) {
        for (int x = 0; x < kImageSize; ++x) {
            QColor c(120, 120, 116);
            if (std::hypot(x - 18.5, y - 34.5) < 10.0)
                c = QColor(210, 40, 40);
            if (x >= 38 && x < 56 && y >= 24 && y < 42)
                c = QColor(40, 70, 200);
            image.setPixelColor(x, y, c);
        }
    }
    return image;
}

// Bits per pixel with a bump at map cell (cx, cy) of the given height over a small floor.
std::vector<float> bumpMap(double cx, double cy, double height, double width) {
    std::vector<float> map(kMapSize * kMapSize);
    for (int y = 0; y < kMapSize; ++y) {
        for (int x = 0; x < kMapSize; ++x) {
            const double d2 = (x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy);
            map[y * kMapSize + x] =
                static_cast<float>(0.0004 + height * std::exp(-d2 / (2.0 * width * width)));
        }
    }
    return map;
}

QImage composite(const QImage& base, const std::vector<float>& map, double hi) {
    const std::vector<std::uint8_t> lut = infolens::lutRgba("viridis");
    infolens::OverlayInputs in;
    in.base = base.constBits();
    in.baseWidth = base.width();
    in.baseHeight = base.height();
    in.map = map.data();
    in.mapWidth = kMapSize;
    in.mapHeight = kMapSize;
    in.lut = lut.data();
    infolens::OverlayParams p;
    p.outWidth = base.width();
    p.outHeight = base.height();
    p.lo = 0.0f;
    p.hi = static_cast<float>(hi);
    p.opacity = 0.65f;
    const std::vector<std::uint8_t> rgba = infolens::compositeOverlay(in, p);
    QImage out(base.width(), base.height(), QImage::Format_RGBA8888);
    for (int y = 0; y < out.height(); ++y)
        std::memcpy(out.scanLine(y), rgba.data() + std::size_t(y) * out.width() * 4,
                    out.width() * 4);
    return out;
}

FigureContent sampleContent(int words = 8) {
    struct Word {
        const char* text;
        double cx, cy, height, width, bits, se;
    };
    const std::vector<Word> all = {
        {"a", 8, 8, 0.002, 5, 0.21, 0.05},
        {"red", 4.6, 8.6, 0.02, 2.2, 3.12, 0.18},
        {"circle", 4.6, 8.6, 0.028, 2.6, 4.87, 0.22},
        {"left", 8, 8.6, 0.006, 4, 0.93, 0.11},
        {"of", 8, 8, 0.001, 6, 0.08, 0.04},
        {"a", 8, 8, 0.002, 5, 0.19, 0.05},
        {"blue", 11.8, 8.2, 0.018, 2.3, 2.64, 0.16},
        {"square", 11.8, 8.2, 0.025, 2.5, 4.02, 0.2},
    };
    FigureContent content;
    content.base = sceneImage();
    content.scaleLo = 0.0;
    content.scaleHi = 0.03;
    std::string prompt;
    for (int i = 0; i < words; ++i) {
        const Word& w = all[i % all.size()];
        prompt += (i ? " " : "") + std::string(w.text);
        FigurePanel panel;
        panel.label = w.text;
        panel.overlay =
            composite(content.base, bumpMap(w.cx, w.cy, w.height, w.width), content.scaleHi);
        panel.bits = w.bits;
        panel.seBits = w.se;
        panel.standardBits = w.bits * 0.8 - 0.3;
        panel.standardSeBits = w.se * 2.0;
        panel.mapMax = w.height + 0.0004;
        content.panels.push_back(panel);
    }
    content.title = QString::fromStdString(prompt);
    content.miBits = 12.75;
    content.miSeBits = 0.31;
    content.miStandardBits = -4.5;
    content.miStandardSeBits = 0.62;
    content.footer = QString::fromUtf8(
        "InfoLens 0.1.0 \u00b7 model shapes-v1 (sha256 3f9a1c02) \u00b7 seed 7 \u00b7 96 of 128 "
        "draws, "
        "converged \u00b7 stratified log-SNR sampler \u00b7 maps in bits per image pixel");
    return content;
}

QByteArray fileBytes(const std::string& path) {
    QFile file(QString::fromStdString(path));
    REQUIRE(file.open(QIODevice::ReadOnly));
    return file.readAll();
}

QString q(const std::string& path) {
    return QString::fromStdString(path);
}

int countColour(const QImage& image, QRgb colour) {
    const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
    int n = 0;
    for (int y = 0; y < rgb.height(); ++y) {
        const QRgb* line = reinterpret_cast<const QRgb*>(rgb.constScanLine(y));
        for (int x = 0; x < rgb.width(); ++x)
            n += (line[x] & 0xffffff) == (colour & 0xffffff);
    }
    return n;
}

std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const infolens::Error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("PNG size follows the DPI, which the file records", "[figure]") {
    TempDir dir;
    const FigureContent content = sampleContent();
    infolens::ui::exportFigurePng(q(dir.file("f150.png")), content, 150);
    infolens::ui::exportFigurePng(q(dir.file("f300.png")), content, 300);
    const QImage low(q(dir.file("f150.png")));
    const QImage high(q(dir.file("f300.png")));
    REQUIRE_FALSE(low.isNull());
    REQUIRE_FALSE(high.isNull());
    CHECK(std::abs(high.width() - 2 * low.width()) <= 1);
    CHECK(std::abs(high.height() - 2 * low.height()) <= 1);
    CHECK(low.dotsPerMeterX() == qRound(150 / 0.0254));
    CHECK(low.dotsPerMeterY() == qRound(150 / 0.0254));
    CHECK(high.dotsPerMeterX() == qRound(300 / 0.0254));

    // The pixel size is the layout's size in points at that DPI.
    const QSizeF points = infolens::ui::figureSizePoints(content);
    CHECK(low.width() == static_cast<int>(std::ceil(points.width() * 150 / 72.0)));
    CHECK(low.height() == static_cast<int>(std::ceil(points.height() * 150 / 72.0)));
}

TEST_CASE("the PNG shows the image, the overlays and text", "[figure]") {
    TempDir dir;
    const FigureContent content = sampleContent();
    infolens::ui::exportFigurePng(q(dir.file("f.png")), content, 300);
    const QImage png(q(dir.file("f.png")));
    REQUIRE_FALSE(png.isNull());
    // Nearest-neighbour scaling keeps the exact colours of the image and of the overlay's peak.
    CHECK(countColour(png, qRgb(210, 40, 40)) > 100);
    const QImage circle = content.panels[2].overlay;
    const QRgb peak = circle.pixel(18, 34);
    // One source pixel covers 1.6 in / 64 at 300 DPI, about 7.5 x 7.5 device pixels.
    CHECK(countColour(png, peak) > 40);
    // The colorbar's top is the colormap's last colour (viridis yellow).
    CHECK(countColour(png, qRgb(253, 231, 37)) > 20);
    // Dark text in the title band.
    int dark = 0;
    for (int y = 0; y < png.height() / 12; ++y) {
        for (int x = 0; x < png.width(); ++x)
            dark += qGray(png.pixel(x, y)) < 60;
    }
    CHECK(dark > 200);
}

TEST_CASE("the PDF has the layout's page size and embedded fonts", "[figure]") {
    TempDir dir;
    const FigureContent content = sampleContent();
    infolens::ui::exportFigurePdf(q(dir.file("f.pdf")), content);
    const QByteArray pdf = fileBytes(dir.file("f.pdf"));
    CHECK(pdf.startsWith("%PDF"));
    CHECK(pdf.trimmed().endsWith("%%EOF"));
    CHECK(pdf.size() > 1024);
    // Content streams are compressed, so the prompt's words cannot be searched for; the embedded
    // TrueType font shows that text was written as text, not as outlines or pixels.
    CHECK(pdf.contains("/FontFile2"));
    // Images are stored losslessly: JPEG would blur the edges of the map cells.
    CHECK_FALSE(pdf.contains("/DCTDecode"));
    const QRegularExpression mediaBox(R"(/MediaBox \[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\])");
    const auto match = mediaBox.match(QString::fromLatin1(pdf));
    REQUIRE(match.hasMatch());
    const QSizeF points = infolens::ui::figureSizePoints(content);
    CHECK(match.captured(1).toDouble() == Approx(points.width()).margin(0.01));
    CHECK(match.captured(2).toDouble() == Approx(points.height()).margin(0.01));
}

TEST_CASE("the layout grows with the words and wraps long labels", "[figure]") {
    const QSizeF one = infolens::ui::figureSizePoints(sampleContent(1));
    const QSizeF four = infolens::ui::figureSizePoints(sampleContent(3));
    const QSizeF eight = infolens::ui::figureSizePoints(sampleContent(8));
    CHECK(four.width() > one.width());
    CHECK(eight.height() > four.height());
    // At most four columns (seven words and the image fill two rows of four); more words add rows.
    const QSizeF fourColumns = infolens::ui::figureSizePoints(sampleContent(7));
    CHECK(fourColumns.width() > eight.width());  // 3 x 3 is squarer than 4 + 4 + 1
    CHECK(infolens::ui::figureSizePoints(sampleContent(20)).width() == fourColumns.width());
    CHECK(infolens::ui::figureSizePoints(sampleContent(20)).height() > fourColumns.height());

    // A word longer than its panel is elided; the grid stays regular.
    FigureContent longWords = sampleContent(3);
    longWords.panels[1].label = "antidisestablishmentarianism-and-then-some-more";
    const QSizeF wrapped = infolens::ui::figureSizePoints(longWords);
    CHECK(wrapped.width() == four.width());
    CHECK(wrapped.height() == four.height());
    CHECK(
        infolens::ui::figureText(longWords).labels[2].section('\n', 0, 0).contains(QChar(0x2026)));
    TempDir dir;
    infolens::ui::exportFigurePng(q(dir.file("long.png")), longWords, 100);
    CHECK_FALSE(QImage(q(dir.file("long.png"))).isNull());
}

TEST_CASE("failed figure exports throw and leave no file", "[figure]") {
    TempDir dir;
    const FigureContent content = sampleContent(2);
    using Catch::Matchers::Contains;
    const std::string missing = dir.file("no/such/folder/f.png");
    CHECK_THAT(errorOf([&] { infolens::ui::exportFigurePng(q(missing), content, 150); }),
               Contains(missing) && Contains("does not exist"));
    CHECK_THAT(
        errorOf([&] { infolens::ui::exportFigurePdf(q(dir.file("no/such/f.pdf")), content); }),
        Contains("does not exist"));
    CHECK_FALSE(fs::exists(dir.file("no")));

    CHECK_THAT(errorOf([&] { infolens::ui::exportFigurePng(q(dir.file("a.png")), content, 10); }),
               Contains("DPI"));
    FigureContent bad = content;
    bad.colormap = "rainbow";
    CHECK_THAT(errorOf([&] { infolens::ui::exportFigurePdf(q(dir.file("a.pdf")), bad); }),
               Contains("rainbow") && Contains("a.pdf"));
    CHECK_THAT(errorOf([&] { infolens::ui::exportFigurePng(q(dir.file("a.png")), bad, 150); }),
               Contains("rainbow"));
    bad = content;
    bad.base = QImage();
    CHECK_THROWS_AS(infolens::ui::exportFigurePng(q(dir.file("a.png")), bad, 150), infolens::Error);
    bad = content;
    bad.scaleHi = std::nan("");
    CHECK_THROWS_AS(infolens::ui::exportFigurePdf(q(dir.file("a.pdf")), bad), infolens::Error);
    CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("figure exports replace an existing file wholly", "[figure]") {
    TempDir dir;
    const FigureContent content = sampleContent(2);
    for (const char* name : {"f.png", "f.pdf"})
        writeBytes(dir.file(name), std::vector<unsigned char>(3'000'000, 'z'));
    infolens::ui::exportFigurePng(q(dir.file("f.png")), content, 150);
    infolens::ui::exportFigurePdf(q(dir.file("f.pdf")), content);
    const QImage png(q(dir.file("f.png")));
    CHECK_FALSE(png.isNull());
    CHECK(fs::file_size(dir.file("f.png")) < 3'000'000);
    const QByteArray pdf = fileBytes(dir.file("f.pdf"));
    CHECK(pdf.startsWith("%PDF"));
    CHECK(pdf.trimmed().endsWith("%%EOF"));
    CHECK(pdf.count("zzzz") == 0);
    int entries = 0;
    for (const auto& e : fs::directory_iterator(dir.path()))
        entries += e.is_regular_file();
    CHECK(entries == 2);
}

// Issue 16.1: every number in a figure says which form it is, and the legend says what the forms
// mean.
// kill -9 during figure exports (issue 13): the child exports a PNG and a PDF over and over until
// the parent kills it; every file there is then one complete figure, the only temporaries are the
// dead child's, and the next export into the folder removes them. QSaveFile (used before) also
// kept files whole but left "f.png.XXXXXX" temporaries that nothing removed.
TEST_CASE("kill -9 during figure exports leaves whole files and removable temporaries",
          "[figure][crash]") {
    TempDir dir;
    const FigureContent content = sampleContent(8);
    // Each export runs in a child: a process cleans a folder at its first write into it, and a
    // forked child inherits that memory, so the parent itself never writes there.
    const auto exportInChild = [&] {
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            try {
                infolens::ui::exportFigurePng(q(dir.file("f.png")), content, 300);
                infolens::ui::exportFigurePdf(q(dir.file("f.pdf")), content);
            } catch (...) {
                ::_exit(1);
            }
            ::_exit(0);
        }
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    };
    exportInChild();  // the previous version, which each kill must leave whole or replaced
    std::mt19937 rng(29);
    int killsWithTemporaries = 0;
    for (int round = 0; round < 6; ++round) {
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            const auto until = std::chrono::steady_clock::now() + std::chrono::minutes(1);
            while (std::chrono::steady_clock::now() < until) {
                infolens::ui::exportFigurePng(q(dir.file("f.png")), content, 300);
                infolens::ui::exportFigurePdf(q(dir.file("f.pdf")), content);
            }
            ::_exit(0);
        }
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::uniform_int_distribution<int>(50, 800)(rng)));
        REQUIRE(::kill(child, SIGKILL) == 0);
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        REQUIRE(WIFSIGNALED(status));
        CHECK_FALSE(QImage(q(dir.file("f.png"))).isNull());
        const QByteArray pdf = fileBytes(dir.file("f.pdf"));
        CHECK(pdf.startsWith("%PDF"));
        CHECK(pdf.trimmed().endsWith("%%EOF"));
        int temporaries = 0;
        for (const auto& entry : fs::directory_iterator(dir.path())) {
            const std::string name = entry.path().filename().string();
            INFO(name);
            const bool expected =
                name == "f.png" || name == "f.pdf" ||
                (infolens::isAtomicTemporaryName(name) &&
                 name.find("-tmp-" + std::to_string(child) + "-") != std::string::npos);
            CHECK(expected);
            temporaries += infolens::isAtomicTemporaryName(name) ? 1 : 0;
        }
        killsWithTemporaries += temporaries > 0;
    }
    // Whether kills land while a file is written depends on the machine's speed; not required
    // (the files' wholeness is checked after every kill, the cleanup below either way).
    INFO("kills that left a temporary: " << killsWithTemporaries);
    // "The next start": a dead writer's temporary, then one export from a new process.
    const pid_t dead = ::fork();
    REQUIRE(dead >= 0);
    if (dead == 0)
        ::_exit(0);
    REQUIRE(::waitpid(dead, nullptr, 0) == dead);
    writeBytes(dir.file(".f.png.infolens-tmp-" + std::to_string(dead) + "-7"), {1, 2, 3});
    exportInChild();
    for (const auto& entry : fs::directory_iterator(dir.path())) {
        INFO(entry.path().filename().string());
        CHECK_FALSE(infolens::isAtomicTemporaryName(entry.path().filename().string()));
    }
}

TEST_CASE("figure labels name the form of every value", "[figure]") {
    const FigureContent content = sampleContent(3);
    const infolens::ui::FigureText text = infolens::ui::figureText(content);
    CHECK(text.mi.toStdString().find("i_o 12.75") != std::string::npos);
    CHECK(text.mi.contains(QString::fromUtf8("i_s \u22124.50 \u00b1 0.62 bits")));
    CHECK(text.mi.contains("moves the model"));
    CHECK(text.mi.contains("explains the image"));
    REQUIRE(text.labels.size() == 4);
    CHECK(text.labels[0] == "image");
    const QStringList red = text.labels[2].split('\n');
    REQUIRE(red.size() == 3);
    CHECK(red[0] == "red");
    CHECK(red[1] == QString::fromUtf8("i_o 3.12 \u00b1 0.18 bits"));
    CHECK(red[2] == QString::fromUtf8("i_s 2.20 \u00b1 0.36 bits"));
    CHECK(text.legend.contains("i_o (moves the model)"));
    CHECK(text.legend.contains("i_s (explains the image)"));
    CHECK(text.units == "bits per pixel");
}

// Issue 16.4: with a scale per panel there is no one range for a colorbar in bits, so the bar
// reads as a share of each panel's maximum and every panel states its own; placeholder words are
// marked.
TEST_CASE("per-panel scales state each panel's range and placeholders are marked", "[figure]") {
    FigureContent content = sampleContent(3);
    content.panels[1].placeholder = "_";
    const infolens::ui::FigureText shared = infolens::ui::figureText(content);
    CHECK(shared.labels[2].section('\n', 0, 0) == QString::fromUtf8("red \u2192 _"));
    CHECK(shared.labels[1].section('\n', 0, 0) == "a");
    CHECK(shared.legend.contains(QString::fromUtf8("\u2192 _")));
    for (const QString& label : shared.labels)
        CHECK_FALSE(label.contains("max"));
    CHECK(shared.ticks.front() == "0.00");  // bits per pixel on the shared scale
    CHECK(shared.ticks.back() == "0.03");

    content.perPanelScale = true;
    const infolens::ui::FigureText own = infolens::ui::figureText(content);
    REQUIRE(own.labels.size() == 4);
    CHECK(own.labels[1].section('\n', 3, 3) == "max 0.00240 bits/px");
    CHECK(own.labels[2].section('\n', 3, 3) == "max 0.0204 bits/px");
    CHECK(own.labels[3].section('\n', 3, 3) == "max 0.0284 bits/px");
    CHECK(own.ticks.front() == "0%");
    CHECK(own.ticks.back() == "100%");
    CHECK(own.units.contains("each panel"));
    CHECK(own.legend.contains("own colour scale"));
    CHECK(infolens::ui::figureSizePoints(content).height() >
          infolens::ui::figureSizePoints(sampleContent(3)).height());  // the extra label line
    TempDir dir;
    infolens::ui::exportFigurePng(q(dir.file("own.png")), content, 100);
    CHECK_FALSE(QImage(q(dir.file("own.png"))).isNull());

    content.panels[0].mapMax = std::nan("");
    CHECK_THROWS_AS(infolens::ui::figureText(content), infolens::Error);
}

// Not part of the suite: writes the example figure for a person to look at.
//   infolens_figure_tests "[.example]"   (INFOLENS_FIGURE_EXAMPLE=/tmp/figure-example by default)
TEST_CASE("write an example figure", "[.example]") {
    const QByteArray base = qEnvironmentVariableIsEmpty("INFOLENS_FIGURE_EXAMPLE")
                                ? QByteArray("/tmp/figure-example")
                                : qgetenv("INFOLENS_FIGURE_EXAMPLE");
    const FigureContent content = sampleContent();
    infolens::ui::exportFigurePng(QString::fromUtf8(base + ".png"), content, 200);
    infolens::ui::exportFigurePdf(QString::fromUtf8(base + ".pdf"), content);
    // A long prompt and a long word: the title wraps and the labels take two lines.
    FigureContent few = sampleContent(3);
    few.title =
        "a photorealistic red circle floating slightly to the left of an "
        "extraordinarily blue square on a grey background";
    few.panels[1].label = "extraordinarily";
    infolens::ui::exportFigurePng(QString::fromUtf8(base + "-long.png"), few, 200);
    // Per-panel scales with a word in placeholder mode.
    FigureContent own = sampleContent();
    own.perPanelScale = true;
    own.panels[1].placeholder = "_";
    infolens::ui::exportFigurePng(QString::fromUtf8(base + "-per-panel.png"), own, 200);
}

// Issue 16: a paper column (3.5 in) and a full page (7 in) are exactly that wide at any DPI, the
// panels fit inside it, and the legend says which colour scale the panels use.
TEST_CASE("size presets give the width in inches times the DPI", "[figure]") {
    FigureContent content = sampleContent(7);
    const double natural = infolens::ui::figureSizePoints(content).width();
    for (const double inches : {infolens::ui::kPaperColumnInches, infolens::ui::kFullPageInches}) {
        content.widthInches = inches;
        REQUIRE(infolens::ui::figureSizePoints(content).width() == inches * 72.0);
        for (const int dpi : {100, 300}) {
            const QImage image = infolens::ui::renderFigure(content, dpi);
            CHECK(image.width() == static_cast<int>(std::lround(inches * dpi)));
        }
        // Narrower than the natural figure: the same text, in more rows.
        CHECK(infolens::ui::figureSizePoints(content).width() < natural);
    }
    content.widthInches = 0.0;
    content.perPanelScale = false;
    CHECK(infolens::ui::figureText(content).legend.contains("share one colour scale"));
    content.perPanelScale = true;
    for (FigurePanel& panel : content.panels)
        panel.mapMax = 0.5;
    CHECK(infolens::ui::figureText(content).legend.contains("its own colour scale"));
    CHECK_FALSE(infolens::ui::figureText(content).legend.contains("share one colour scale"));
}

TEST_CASE("values are written with their SE, and without a number when there is none yet",
          "[figure]") {
    using infolens::ui::valueWithSe;
    CHECK(valueWithSe(48.31, 1.04) == QString::fromUtf8("48.3 \u00b1 1.0"));
    CHECK(valueWithSe(-0.851, 0.213) == QString::fromUtf8("\u22120.85 \u00b1 0.21"));
    // After one draw the SE is infinite (or NaN): no "± inf" that reads like a measurement.
    CHECK(valueWithSe(133.85, std::numeric_limits<double>::infinity()) ==
          QString::fromUtf8("133.85 \u00b1 ?"));
    CHECK(valueWithSe(1.5, std::nan("")) == QString::fromUtf8("1.50 \u00b1 ?"));
}
