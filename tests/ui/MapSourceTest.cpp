// The map source switch (information / attention / combined) and the figure's colour scale, on a
// hand-built result whose information and attention maps peak in opposite corners: the view, a
// word thumbnail and the figure must draw the chosen map, the toolbar must refuse sources the
// model lacks, and figures default to each panel its own scale.
#include <QApplication>
#include <QComboBox>
#include <QStandardItemModel>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>
#include <cmath>

#include "infolens/ui/DisplayToolbar.h"
#include "infolens/ui/ExportActions.h"
#include "infolens/ui/FigureOptionsDialog.h"
#include "infolens/ui/ImageView.h"
#include "infolens/ui/MapSourceSelect.h"
#include "infolens/ui/SettingsStore.h"
#include "infolens/ui/WordPanel.h"

using infolens::ui::DisplaySettings;
using infolens::ui::MapSource;

namespace {

constexpr int kCells = 8;
constexpr int kSide = 32;

// A bump centred on cell (cx, cy), normalised to sum to `total`.
std::vector<float> bump(int cx, int cy, double total) {
    std::vector<float> map(kCells * kCells);
    double sum = 0.0;
    for (int y = 0; y < kCells; ++y) {
        for (int x = 0; x < kCells; ++x) {
            const double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            map[y * kCells + x] = static_cast<float>(std::exp(-d2 / 4.0));
            sum += map[y * kCells + x];
        }
    }
    for (float& v : map)
        v = static_cast<float>(v * total / sum);
    return map;
}

// Word 0: information top-left, attention bottom-right. Word 1: a hundred times less
// information, also top-left (blank on a shared scale).
std::shared_ptr<infolens::LiveResult> makeResult(bool attentionAvailable, bool withAttention) {
    auto r = std::make_shared<infolens::LiveResult>();
    r->prompt = "red circle";
    r->mapWidth = kCells;
    r->mapHeight = kCells;
    r->imagePixelsPerCell = double(kSide * kSide) / (kCells * kCells);
    r->attentionAvailable = attentionAvailable;
    r->finished = true;
    for (int i = 0; i < 2; ++i) {
        infolens::WordResult w;
        w.text = i == 0 ? "red" : "circle";
        w.bits = i == 0 ? 10.0 : 0.1;
        w.seBits = 0.01;
        w.map = bump(1, 1, w.bits / 16.0);
        if (withAttention)
            w.attention = bump(kCells - 2, kCells - 2, 1.0);
        r->words.push_back(w);
    }
    return r;
}

infolens::Image greyImage() {
    infolens::Image image;
    image.width = kSide;
    image.height = kSide;
    image.rgb.assign(kSide * kSide * 3, 40);
    return image;
}

// Brightness of a pixel (viridis: bright = high).
int brightness(const QImage& image, int x, int y) {
    const QRgb c = image.pixel(x, y);
    return qRed(c) + qGreen(c) + qBlue(c);
}

DisplaySettings solid(MapSource source) {
    DisplaySettings d;
    d.opacity = 1.0;
    d.fadeLowValues = false;
    d.mapSource = source;
    return d;
}

}  // namespace

class MapSourceTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    // The view draws the chosen source's map: the bright corner moves with the switch.
    void theViewDrawsTheChosenSource() {
        infolens::ui::ImageView view;
        view.setImage(greyImage());
        view.setResult(makeResult(true, true));
        view.setSelectedWord(0);
        view.setDisplay(solid(MapSource::Information));
        const QImage info = view.renderWord(0, 1);
        QVERIFY(brightness(info, 4, 4) > brightness(info, kSide - 5, kSide - 5) + 100);
        QVERIFY(view.colorbarUnits().contains("i_o"));
        view.setDisplay(solid(MapSource::Attention));
        const QImage attention = view.renderWord(0, 1);
        QVERIFY(brightness(attention, kSide - 5, kSide - 5) > brightness(attention, 4, 4) + 100);
        QVERIFY2(view.colorbarUnits().contains("attention"), qPrintable(view.colorbarUnits()));
        QVERIFY(view.mapNotice().isEmpty());
        // Combined: high only where both are, between the two corners.
        view.setDisplay(solid(MapSource::Combined));
        const QImage combined = view.renderWord(0, 1);
        const int middle = brightness(combined, kSide / 2, kSide / 2);
        QVERIFY(middle > brightness(combined, 2, 2) + 60);
        QVERIFY(middle > brightness(combined, kSide - 3, kSide - 3) + 60);
        QVERIFY(view.colorbarUnits().contains("combined"));
    }

    // The combination rule: geometric mean of the two maps each divided by its own maximum.
    void combinedIsTheGeometricMeanOfNormalisedMaps() {
        const auto r = makeResult(true, true);
        const std::vector<float> c = infolens::ui::sourceMap(*r, 0, MapSource::Combined);
        const auto& w = r->words[0];
        const float infoMax = *std::max_element(w.map.begin(), w.map.end());
        const float attMax = *std::max_element(w.attention.begin(), w.attention.end());
        for (const int i : {0, 9, 27, 36, 63})
            QVERIFY(std::abs(c[i] - std::sqrt(w.map[i] / infoMax * w.attention[i] / attMax)) <
                    1e-6f);
        // Attention in ppm of the word's attention per image pixel.
        const std::vector<float> a = infolens::ui::sourceMap(*r, 0, MapSource::Attention);
        QVERIFY(std::abs(a[5] - w.attention[5] * 1e6f / 16.0f) < 1e-3f * a[5]);
    }

    // Hover reads the chosen source, in its units.
    void hoverNamesTheSource() {
        infolens::ui::ImageView view;
        view.resize(400, 300);
        view.setImage(greyImage());
        view.setResult(makeResult(true, true));
        view.setSelectedWord(0);
        view.setDisplay(solid(MapSource::Attention));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QTest::mouseMove(&view, view.imageRect().center().toPoint());
        QTRY_VERIFY(!view.hoverReadout().isEmpty());
        QVERIFY2(view.hoverReadout().contains("attention ppm/px"), qPrintable(view.hoverReadout()));
        view.setDisplay(solid(MapSource::Information));
        view.refreshHover();
        QVERIFY2(view.hoverReadout().contains("bits/px"), qPrintable(view.hoverReadout()));
    }

    // A word's thumbnail follows the source (WordPanel draws what the view renders).
    void theThumbnailFollowsTheSource() {
        infolens::ui::ImageView view;
        view.setImage(greyImage());
        const auto result = makeResult(true, true);
        view.setResult(result);
        infolens::ui::WordPanel panel;
        panel.setThumbnailMaker([&view](int word) { return view.renderWord(word, 1); });
        auto thumbnail = [&panel] {
            QTreeWidgetItem* item = panel.tree()->topLevelItem(0);
            for (int row = 0; row < panel.tree()->topLevelItemCount(); ++row) {
                if (panel.tree()->topLevelItem(row)->data(0, Qt::UserRole).toInt() == 0)
                    item = panel.tree()->topLevelItem(row);
            }
            return item->icon(infolens::ui::WordPanel::kMapColumn).pixmap(40, 40).toImage();
        };
        view.setDisplay(solid(MapSource::Information));
        panel.setResult(result);
        const QImage info = thumbnail();
        view.setDisplay(solid(MapSource::Attention));
        panel.refreshThumbnails();
        const QImage attention = thumbnail();
        QCOMPARE(info.size(), attention.size());
        const int w = info.width(), h = info.height();
        QVERIFY(brightness(info, 4, 4) > brightness(info, w - 5, h - 5) + 100);
        QVERIFY(brightness(attention, w - 5, h - 5) > brightness(attention, 4, 4) + 100);
    }

    // Without an attention readout the choices are disabled and say why; with one but before
    // the maps arrive, the view says they are not computed yet and draws no map.
    void attentionUnavailableIsExplained() {
        infolens::ui::DisplayToolbar toolbar;
        auto* model = qobject_cast<QStandardItemModel*>(toolbar.mapSourceBox()->model());
        QVERIFY(model);
        toolbar.setAttentionAvailable(false);
        QVERIFY(model->item(0)->isEnabled());
        QVERIFY(!model->item(1)->isEnabled());
        QVERIFY(!model->item(2)->isEnabled());
        QVERIFY(toolbar.mapSourceBox()
                    ->itemData(1, Qt::ToolTipRole)
                    .toString()
                    .contains("no attention readout"));
        toolbar.setAttentionAvailable(true);
        QVERIFY(model->item(1)->isEnabled() && model->item(2)->isEnabled());
        // The choice reaches the display settings.
        DisplaySettings seen;
        connect(&toolbar, &infolens::ui::DisplayToolbar::displayChanged,
                [&seen](const DisplaySettings& d) { seen = d; });
        toolbar.mapSourceBox()->setCurrentIndex(2);
        QVERIFY(seen.mapSource == MapSource::Combined);

        infolens::ui::ImageView view;
        view.setImage(greyImage());
        view.setSelectedWord(0);
        view.setDisplay(solid(MapSource::Attention));
        view.setResult(makeResult(false, false));
        QVERIFY2(view.mapNotice().contains("no attention readout"), qPrintable(view.mapNotice()));
        QCOMPARE(view.renderWord(0, 1), view.renderWord(-1, 1));  // no map drawn
        view.setResult(makeResult(true, false));
        QCOMPARE(view.mapNotice(), QString("attention not computed yet"));
        QCOMPARE(view.renderWord(0, 1), view.renderWord(-1, 1));
        view.setResult(makeResult(true, true));
        QVERIFY(view.mapNotice().isEmpty());
        QVERIFY(view.renderWord(0, 1) != view.renderWord(-1, 1));
    }

    // Figures: each panel its own scale by default, so the weak word is readable; the option
    // gives one shared scale; the figure draws and names the chosen source.
    void figureDefaultsToEachPanelItsOwnScale() {
        QTemporaryDir dir;
        infolens::ui::SettingsStore settings(dir.filePath("s.ini"));
        QWidget window;
        infolens::ui::ImageView view;
        view.setImage(greyImage());
        const auto result = makeResult(true, true);
        view.setResult(result);
        DisplaySettings display = solid(MapSource::Information);
        display.sharedScale = true;  // the view's choice does not decide the figure's
        view.setDisplay(display);
        infolens::ui::ExportActions exports(&window, settings, [&] {
            infolens::ui::ExportSource s;
            s.result = result;
            s.view = &view;
            s.display = view.display();
            s.selectedWord = 0;
            return s;
        });
        infolens::ui::FigureOptions options;
        QVERIFY(!options.sharedScale);
        auto content = exports.figureContent(options, infolens::ui::FigureFormat::Png);
        QVERIFY(content.perPanelScale);
        QVERIFY(infolens::ui::figureText(content).legend.contains("its own colour scale"));
        const QImage weakOwn = content.panels[1].overlay;
        const int s = weakOwn.width() / kSide;
        QVERIFY(brightness(weakOwn, 6 * s, 6 * s) > 450);  // the weak word at full colour
        options.sharedScale = true;
        content = exports.figureContent(options, infolens::ui::FigureFormat::Png);
        QVERIFY(!content.perPanelScale);
        QVERIFY(infolens::ui::figureText(content).legend.contains("share one colour scale"));
        QVERIFY(brightness(content.panels[1].overlay, 6 * s, 6 * s) < 300);  // nearly blank
        // The source: drawn and named.
        display.mapSource = MapSource::Attention;
        view.setDisplay(display);
        content =
            exports.figureContent(infolens::ui::FigureOptions{}, infolens::ui::FigureFormat::Png);
        const QImage attention = content.panels[0].overlay;
        const int last = attention.width() - 1 - 4 * s;
        QVERIFY(brightness(attention, last, last) > brightness(attention, 4 * s, 4 * s) + 100);
        const infolens::ui::FigureText text = infolens::ui::figureText(content);
        QVERIFY2(text.legend.contains("show attention"), qPrintable(text.legend));
        QVERIFY2(text.labels[1].contains("attention ppm/px"), qPrintable(text.labels[1]));
    }

    // The options dialog offers the scale, default each panel its own, and returns the choice.
    void theDialogOffersTheScale() {
        infolens::ui::FigureOptionsDialog dialog({"red", "circle"}, true);
        QVERIFY(!dialog.options().sharedScale);
        auto* scale = dialog.findChild<QComboBox*>("figureScale");
        QVERIFY(scale);
        QVERIFY(scale->currentText().contains("own"));
        scale->setCurrentIndex(1);
        QVERIFY(dialog.options().sharedScale);
        infolens::ui::FigureOptions shared;
        shared.sharedScale = true;
        infolens::ui::FigureOptionsDialog again({"red"}, false);
        again.setOptions(shared);
        QVERIFY(again.options().sharedScale);
    }
};

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    MapSourceTest t;
    return QTest::qExec(&t, argc, argv);
}

#include "MapSourceTest.moc"
