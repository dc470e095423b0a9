// Prompt interventions in the app without a model (issue 12): fake outcomes go through the store,
// the table, the scatter plot, the detail view, the undo stack, the exports and the session
// format; the controller builds the right requests and refuses bad replacements.
#include <QApplication>
#include <QFile>
#include <QLabel>
#include <QProgressBar>
#include <QSignalSpy>
#include <QSlider>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>
#include <cmath>
#include <random>

#include "infolens/Error.h"
#include "infolens/io/SessionFile.h"
#include "infolens/ui/BeforeAfterView.h"
#include "infolens/ui/DocumentController.h"
#include "infolens/ui/InterventionController.h"
#include "infolens/ui/InterventionDetail.h"
#include "infolens/ui/InterventionExport.h"
#include "infolens/ui/InterventionImages.h"
#include "infolens/ui/InterventionPanel.h"
#include "infolens/ui/InterventionScatter.h"
#include "infolens/ui/InterventionStore.h"
#include "infolens/ui/InterventionTable.h"

using namespace infolens;
using namespace infolens::ui;

namespace {

constexpr int kMap = 4;
constexpr int kSide = 8;

Image randomImage(std::mt19937& rng) {
    Image image;
    image.width = kSide;
    image.height = kSide;
    std::uniform_int_distribution<int> byte(0, 255);
    for (int i = 0; i < kSide * kSide * 3; ++i)
        image.rgb.push_back(static_cast<std::uint8_t>(byte(rng)));
    return image;
}

std::vector<float> randomMap(std::mt19937& rng) {
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> map;
    for (int i = 0; i < kMap * kMap; ++i)
        map.push_back(u(rng));
    return map;
}

// An outcome as the worker would deliver it, with the given numbers.
std::shared_ptr<const InterventionOutcome> fakeOutcome(std::shared_ptr<const Image> image,
                                                       std::uint64_t generation, int index,
                                                       int count, const std::string& word,
                                                       double cmi, double change, double r) {
    std::mt19937 rng(static_cast<unsigned>(generation * 100 + index));
    auto o = std::make_shared<InterventionOutcome>();
    o->generation = generation;
    o->index = index;
    o->count = count;
    o->request.image = image;
    o->request.prompt = "a small purple circle";
    o->request.word = index;
    o->word = word;
    o->editedPrompt = "a small circle";
    o->modelHash = "hash-a";
    o->imageHash = "img";
    o->regenerated = randomImage(rng);
    o->edited = randomImage(rng);
    o->roundTripPsnrDb = 31.5;
    o->mapWidth = kMap;
    o->mapHeight = kMap;
    o->changeLatent = randomMap(rng);
    o->predicted = randomMap(rng);
    o->attention = randomMap(rng);
    o->imageWidth = kSide;
    o->imageHeight = kSide;
    o->changePixels = pixelChange(o->edited, o->regenerated);
    o->totalChange = change;
    o->cmiBits = cmi;
    o->cmiSeBits = 0.25;
    o->cmiStandardBits = cmi / 2;
    o->cmiStandardSeBits = 0.5;
    o->pixelRInformation = r;
    o->pixelRAttention = std::nan("");
    o->attentionSum = 0.3;
    return o;
}

struct Fixture {
    QUndoStack undo;
    InterventionStore store{&undo};
    std::shared_ptr<const Image> image;
    Fixture() {
        std::mt19937 rng(7);
        image = std::make_shared<const Image>(randomImage(rng));
        store.setContext({"a small purple circle", image.get(), "hash-a"});
    }
    // Three words of one "Run All Words" call.
    void runAll(std::uint64_t generation = 5) {
        store.add(fakeOutcome(image, generation, 0, 3, "small", 3.0, 10.0, 0.2));
        store.add(fakeOutcome(image, generation, 1, 3, "purple", 12.0, 40.0, 0.6));
        store.add(fakeOutcome(image, generation, 2, 3, "circle", 7.0, 35.0, 0.4));
    }
};

// Pearson r written out independently of the code under test.
double referenceR(const std::vector<double>& x, const std::vector<double>& y) {
    const double n = static_cast<double>(x.size());
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        sx += x[i];
        sy += y[i];
        sxx += x[i] * x[i];
        syy += y[i] * y[i];
        sxy += x[i] * y[i];
    }
    return (n * sxy - sx * sy) / std::sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
}

}  // namespace

class InterventionViewTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void tableFillsSortsAndSelects() {
        Fixture f;
        InterventionPanel panel(&f.store);
        panel.resize(900, 700);
        panel.show();
        f.runAll();
        InterventionTable* table = panel.table();
        QCOMPARE(table->rowCount(), 3);
        QCOMPARE(f.store.selected(), 0);  // the first outcome of a call is shown
        QCOMPARE(panel.detail()->outcome(), f.store.at(0));

        table->sortByColumn(InterventionTable::kCmiColumn, Qt::DescendingOrder);
        QCOMPARE(table->item(0, InterventionTable::kWordColumn)->text(), QString("purple"));
        QCOMPARE(table->item(2, InterventionTable::kWordColumn)->text(), QString("small"));
        table->sortByColumn(InterventionTable::kChangeColumn, Qt::AscendingOrder);
        QCOMPARE(table->item(0, InterventionTable::kWordColumn)->text(), QString("small"));
        QCOMPARE(table->item(1, InterventionTable::kWordColumn)->text(), QString("circle"));

        // Clicking a row shows that intervention.
        const int row = table->rowOf(1);
        const QRect cell = table->visualItemRect(table->item(row, 0));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
        QCOMPARE(f.store.selected(), 1);
        QCOMPARE(panel.detail()->outcome(), f.store.at(1));
        QVERIFY(panel.detail()->textLabel()->text().contains("purple"));
        QVERIFY(!panel.detail()->changeLabel()->pixmap().isNull());
        QVERIFY(!panel.detail()->predictedLabel()->pixmap().isNull());

        // The scatter's r is the Pearson r of the rows' CMI and total change.
        const double expected = referenceR({3.0, 12.0, 7.0}, {10.0, 40.0, 35.0});
        QVERIFY(std::abs(panel.scatter()->imageR() - expected) < 1e-12);
        // Two interventions always correlate perfectly: no r is shown for them.
        QVERIFY(std::isnan(imageLevelR({f.store.at(0).get(), f.store.at(1).get()})));
        // Clicking a point selects it.
        QTest::mouseClick(panel.scatter(), Qt::LeftButton, {},
                          panel.scatter()->pointOf(2).toPoint());
        QCOMPARE(f.store.selected(), 2);
        QCOMPARE(table->currentRow(), table->rowOf(2));
        // The label of the point with the largest CMI and change (top right) stays inside the
        // widget and below the header line (it once ran off the right edge over the r).
        InterventionScatter* scatter = panel.scatter();
        const QFontMetrics fm(scatter->font());
        const QPointF label = scatter->labelPosition(scatter->pointOf(1), "purple", fm);
        QVERIFY(label.x() >= 0);
        QVERIFY(label.x() + fm.horizontalAdvance("purple") <= scatter->width());
        QVERIFY(label.y() - fm.ascent() >= scatter->pointOf(1).y());
    }

    void sliderModeSplitsTheComparison() {
        Fixture f;
        InterventionDetail detail;
        detail.setOutcome(fakeOutcome(f.image, 1, 0, 1, "purple", 1, 1, 0.1), {});
        detail.setSideBySide(false);
        QVERIFY(!detail.comparison()->sideBySide());
        detail.splitSlider()->setValue(25);
        QCOMPARE(detail.comparison()->split(), 0.25);
        detail.setSideBySide(true);
        QVERIFY(detail.comparison()->sideBySide());
    }

    void staleInterventionsAreMarked() {
        Fixture f;
        InterventionPanel panel(&f.store);
        f.runAll();
        QVERIFY(f.store.staleReason(0).isEmpty());
        f.store.setContext({"a big purple circle", f.image.get(), "hash-a"});
        QCOMPARE(f.store.staleReason(0), QString("for an earlier prompt"));
        QVERIFY(panel.table()->item(0, 1)->text().contains("earlier prompt"));
        QVERIFY(panel.detail()->textLabel()->text().contains("Stale"));
        f.store.setContext({"a small purple circle", nullptr, "hash-a"});
        QCOMPARE(f.store.staleReason(0), QString("for an earlier image"));
        f.store.setContext({"a small purple circle", f.image.get(), "hash-b"});
        QCOMPARE(f.store.staleReason(0), QString("for another model"));
    }

    void addingAndClearingAreUndoSteps() {
        Fixture f;
        f.runAll(5);
        QCOMPARE(f.store.count(), 3);
        QCOMPARE(f.undo.count(), 1);  // one run over all words is one step
        f.store.add(fakeOutcome(f.image, 6, 0, 1, "purple", 2, 2, 0.5));
        QCOMPARE(f.undo.count(), 2);
        QCOMPARE(f.store.count(), 4);
        f.store.clear();
        QCOMPARE(f.store.count(), 0);
        f.undo.undo();  // clear undone
        QCOMPARE(f.store.count(), 4);
        f.undo.undo();  // the single one
        QCOMPARE(f.store.count(), 3);
        f.undo.undo();  // the whole run
        QCOMPARE(f.store.count(), 0);
        f.undo.redo();
        QCOMPARE(f.store.count(), 3);
        QCOMPARE(f.store.at(1)->word, std::string("purple"));
        // A failed outcome is not stored and opens no step.
        auto failed = std::make_shared<InterventionOutcome>();
        failed->generation = 9;
        failed->error = "boom";
        f.store.add(failed);
        QCOMPARE(f.store.count(), 3);
        QCOMPARE(f.undo.index(), 1);
    }

    void tableExportsRoundTrip() {
        Fixture f;
        QTemporaryDir dir;
        const QString csv = dir.filePath("t.csv"), json = dir.filePath("t.json");
        QVERIFY_THROWS_EXCEPTION(Error, writeInterventionsCsv(csv, f.store));  // nothing yet
        f.runAll();
        writeInterventionsCsv(csv, f.store);
        writeInterventionsJson(json, f.store, "shapes-v2");
        QFile c(csv);
        QVERIFY(c.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(c.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 4);
        const QStringList header = lines[0].split(',');
        const QStringList purple = lines[2].split(',');
        QCOMPARE(purple[header.indexOf("word")], QString("purple"));
        QCOMPARE(purple[header.indexOf("cmi_bits")].toDouble(), 12.0);
        QCOMPARE(purple[header.indexOf("total_change")].toDouble(), 40.0);
        QCOMPARE(purple[header.indexOf("pixel_r_information")].toDouble(), 0.6);
        QCOMPARE(purple[header.indexOf("pixel_r_attention")], QString());  // NaN: empty
        QFile j(json);
        QVERIFY(j.open(QIODevice::ReadOnly));
        const auto parsed = nlohmann::json::parse(j.readAll().toStdString());
        QCOMPARE(parsed["interventions"].size(), std::size_t(3));
        QCOMPARE(parsed["interventions"][1]["cmi_standard_bits"].get<double>(), 6.0);
        QVERIFY(parsed["interventions"][1]["pixel_r_attention"].is_null());
        QVERIFY(std::abs(parsed["image_r_information"].get<double>() -
                         referenceR({3.0, 12.0, 7.0}, {10.0, 40.0, 35.0})) < 1e-12);

        const InterventionFigureContent figure =
            interventionFigureContent(f.store, "viridis", "footer");
        QCOMPARE(figure.rows.size(), std::size_t(3));
        QVERIFY(!figure.rows[1].change.isNull());
        QCOMPARE(figure.rows[1].edited.size(), QSize(kSide, kSide));
    }

    void sessionsKeepInterventions() {
        Fixture f;
        f.runAll();
        DocumentState state;
        state.prompt = "a small purple circle";
        state.interventions = f.store.outcomes();
        SessionState session;
        storeDocument(state, session);
        const nlohmann::json json = sessionToJson(session);
        const SessionState back = sessionFromJson(json, "test");
        const DocumentState restored = restoreDocument(back);
        QCOMPARE(restored.interventions.size(), std::size_t(3));
        const InterventionOutcome& a = *f.store.at(1);
        const InterventionOutcome& b = *restored.interventions[1];
        QCOMPARE(b.word, a.word);
        QCOMPARE(b.modelHash, a.modelHash);
        QCOMPARE(b.cmiBits, a.cmiBits);
        QVERIFY(std::isnan(b.pixelRAttention));
        QCOMPARE(b.changeLatent, a.changeLatent);
        QCOMPARE(b.predicted, a.predicted);
        QCOMPARE(b.edited.rgb, a.edited.rgb);
        QCOMPARE(b.regenerated.rgb, a.regenerated.rgb);
        QCOMPARE(b.changePixels, a.changePixels);

        // The same through the file (the writer keeps the reading order with its own JSON type;
        // it once dropped the interventions).
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile image(dir.filePath("image.png"));
        QVERIFY(image.open(QIODevice::WriteOnly));
        image.write("not read by loadSession");
        image.close();
        session.imagePath = image.fileName().toStdString();
        const std::string file = dir.filePath("s.infolens").toStdString();
        saveSession(file, session);
        const SessionState fromFile = loadSession(file);
        QCOMPARE(fromFile.interventions.size(), std::size_t(3));
        QCOMPARE(fromFile.interventions[1].changeLatent, a.changeLatent);
        QCOMPARE(fromFile.interventions[1].edited.rgb, a.edited.rgb);

        // Every field is validated: a map of the wrong size names its field.
        nlohmann::json bad = json;
        bad["interventions"][1]["change"].erase(0);
        try {
            sessionFromJson(bad, "bad");
            QFAIL("a short map was accepted");
        } catch (const Error& e) {
            QVERIFY(QString(e.what()).contains("interventions[1].change"));
        }
        bad = json;
        bad["interventions"][0]["editedPng"] = "not base64!";
        QVERIFY_THROWS_EXCEPTION(Error, sessionFromJson(bad, "bad"));
        // A session without interventions still opens (the array is optional).
        bad = json;
        bad.erase("interventions");
        QCOMPARE(sessionFromJson(bad, "old").interventions.size(), std::size_t(0));
    }

    // The default model (64x64 images, 16x16 latent maps) with 10 interventions stays far
    // below the session size limit.
    void tenDefaultSizedInterventionsFitASession() {
        std::mt19937 rng(3);
        SessionState session;
        for (int i = 0; i < 10; ++i) {
            InterventionOutcome o;
            o.request.prompt = "p";
            o.mapWidth = o.mapHeight = 16;
            std::uniform_real_distribution<float> u(0.0f, 1.0f);
            for (int k = 0; k < 256; ++k) {
                o.changeLatent.push_back(u(rng));
                o.predicted.push_back(u(rng));
                o.attention.push_back(u(rng));
            }
            for (Image* image : {&o.edited, &o.regenerated}) {
                image->width = image->height = 64;
                for (int k = 0; k < 64 * 64 * 3; ++k)
                    image->rgb.push_back(static_cast<std::uint8_t>(rng()));
            }
            session.interventions.push_back(o);
        }
        const std::string text = sessionToJson(session).dump(2);
        QVERIFY(text.size() < kMaxSessionBytes / 8);
    }

    void controllerBuildsRequestsAndRefusesBadSwaps() {
        Fixture f;
        InterventionPanel panel(&f.store);
        std::vector<std::vector<InterventionRequest>> calls;
        int cancels = 0;
        InterventionSource source;
        source.image = f.image;
        source.prompt = "a small purple circle";
        source.words = {"a", "small", "purple", "circle"};
        source.modes = {WordMode::Omit, WordMode::Omit, WordMode::Placeholder, WordMode::Omit};
        source.selectedWord = 2;
        InterventionController c(
            nullptr, &f.store, &panel, [&] { return source; },
            [&](std::vector<InterventionRequest> r) {
                calls.push_back(std::move(r));
                return std::uint64_t(calls.size());
            },
            [&] { ++cancels; });
        QVERIFY(c.removeWord(2));
        QCOMPARE(calls.back().size(), std::size_t(1));
        QCOMPARE(calls.back()[0].word, 2);
        QVERIFY(calls.back()[0].mode == WordMode::Placeholder);  // by the word's current mode
        QVERIFY(calls.back()[0].kind == InterventionKind::Remove);
        QVERIFY(!panel.progressBar()->parentWidget()->isHidden());  // the progress row

        QVERIFY(!c.swapWord(2, "   "));
        QVERIFY(!c.swapWord(2, "dark red"));
        QCOMPARE(calls.size(), std::size_t(1));
        c.setReplacementAsker([](const QString&) { return std::optional<QString>("green"); });
        QVERIFY(c.askSwapWord(2));
        QCOMPARE(calls.back()[0].replacement, std::string("green"));
        QVERIFY(calls.back()[0].kind == InterventionKind::Swap);

        QVERIFY(c.runAllWords());
        QCOMPARE(calls.back().size(), std::size_t(4));
        QVERIFY(c.running());
        c.cancel();
        QCOMPARE(cancels, 1);
        QVERIFY(!c.running());
        QVERIFY(panel.progressBar()->parentWidget()->isHidden());

        source.problem = "the model is still loading";
        QVERIFY(!c.removeWord(1));
        QVERIFY(panel.messageLabel()->text().contains("still loading"));
    }
};

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    InterventionViewTest t;
    return QTest::qExec(&t, argc, argv);
}

#include "InterventionsTest.moc"
