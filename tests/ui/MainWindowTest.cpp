// The app's main window, offscreen: the sample opens and maps arrive, edits recompute, exports
// round-trip, sessions reopen to the same state, and bad input leaves the state untouched.
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>
#include <QUndoStack>
#include <fstream>

#include "infolens/io/AtomicFile.h"
#include "infolens/io/Npy.h"
#include "infolens/io/SessionFile.h"
#include "infolens/io/Sha256.h"
#include "infolens/models/BuiltinFamilies.h"
#include "infolens/ui/ImageView.h"
#include "infolens/ui/MainWindow.h"
#include "infolens/ui/NoticeBar.h"
#include "infolens/ui/PromptEditor.h"
#include "infolens/ui/StatusPanel.h"
#include "infolens/ui/WordPanel.h"

using infolens::builtinRegistry;
using infolens::ModelStatus;
using infolens::ui::MainWindow;
using infolens::ui::StartOptions;

namespace {

constexpr int kTimeoutMs = 180000;
// The tests below edit this prompt word by word, so they set it rather than take the sample's
// caption, which changes whenever resources/samples is regenerated.
const QString kSamplePrompt = "an image of a purple triangle above a green diamond";

StartOptions fresh() {
    StartOptions o;
    o.restoreLayout = false;
    o.prompt = kSamplePrompt;
    return o;
}

QString sampleCaption() {
    QFile f(QStringLiteral(INFOLENS_SOURCE_DIR "/resources/samples/0002.txt"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll()).trimmed();
}

const QString kSampleImage = QStringLiteral(INFOLENS_SOURCE_DIR "/resources/samples/0002.png");

bool finishedFor(const MainWindow& w, const QString& prompt) {
    const auto r = w.lastResult();
    return r && r->finished && QString::fromStdString(r->prompt) == prompt;
}

bool modelSettled(const MainWindow& w) {
    return w.modelStatus().state != ModelStatus::State::Loading;
}

QAction* actionNamed(const MainWindow& w, const QString& text) {
    for (QAction* a : w.findChildren<QAction*>()) {
        if (a->text() == text)
            return a;
    }
    return nullptr;
}

nlohmann::json readJson(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return nlohmann::json::parse(f.readAll().toStdString());
}

}  // namespace

class MainWindowTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void opensTheSampleAndMapsRefine() {
        StartOptions defaults;
        defaults.restoreLayout = false;
        MainWindow w(builtinRegistry(), defaults);
        w.setInteractive(false);
        QSignalSpy shown(&w, &MainWindow::resultShown);
        const QString caption = sampleCaption();
        QVERIFY(!caption.isEmpty());
        // No prompt given: the sample's own caption, once the model (which names it) is loaded.
        QTRY_VERIFY_WITH_TIMEOUT(modelSettled(w), kTimeoutMs);
        QCOMPARE(w.prompt(), caption);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, caption), kTimeoutMs);
        QVERIFY(shown.count() >= 2);  // progressive results before the final one
        const auto first =
            shown.first().first().value<std::shared_ptr<const infolens::LiveResult>>();
        QVERIFY(!first->finished);
        const int words = static_cast<int>(caption.split(' ', Qt::SkipEmptyParts).size());
        QCOMPARE(w.wordPanel()->rowCount(), words);
        QCOMPARE(static_cast<int>(w.lastResult()->words.size()), words);
        QVERIFY(w.lastResult()->mi.bits > 0.0);
    }

    void editingThePromptRecomputesAndUndoRestores() {
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, kSamplePrompt), kTimeoutMs);
        const QString edited = "a purple triangle above a green diamond";
        w.setPrompt(edited);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, edited), kTimeoutMs);
        QCOMPARE(static_cast<int>(w.lastResult()->words.size()), 7);
        QCOMPARE(w.wordPanel()->rowCount(), 7);
        auto* undo = w.findChild<QUndoStack*>();
        QVERIFY(undo);
        QCOMPARE(undo->count(), 1);
        undo->undo();
        QCOMPARE(w.prompt(), kSamplePrompt);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, kSamplePrompt), kTimeoutMs);
    }

    void wordModesFollowTheirWordsThroughEditsAndUndo() {
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, kSamplePrompt), kTimeoutMs);
        auto* editor = w.findChild<infolens::ui::PromptEditor*>();
        QVERIFY(editor);
        Q_EMIT editor->modeToggled(4);  // "purple" -> placeholder (a right-click on its chip)
        QCOMPARE(w.modes()[4], infolens::WordMode::Placeholder);
        QTRY_VERIFY_WITH_TIMEOUT(
            finishedFor(w, kSamplePrompt) &&
                w.lastResult()->words[4].mode == infolens::WordMode::Placeholder,
            kTimeoutMs);
        QCOMPARE(w.lastResult()->words[4].text, std::string("purple"));

        const QString edited = "an image of a small purple triangle above a green diamond";
        w.setPrompt(edited);
        QCOMPARE(w.modes()[5], infolens::WordMode::Placeholder);  // still on "purple"
        QCOMPARE(w.modes()[4], infolens::WordMode::Omit);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, edited), kTimeoutMs);
        auto* undo = w.findChild<QUndoStack*>();
        undo->undo();
        QCOMPARE(w.prompt(), kSamplePrompt);
        QCOMPARE(w.modes()[4], infolens::WordMode::Placeholder);
        undo->undo();
        QCOMPARE(w.modes()[4], infolens::WordMode::Omit);
        undo->redo();
        QCOMPARE(w.modes()[4], infolens::WordMode::Placeholder);
    }

    void exportsAndSessionsRoundTrip() {
        QTemporaryDir dir;
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        infolens::ui::DisplaySettings d = w.display();
        d.colormap = "magma";
        d.opacity = 0.8;
        d.contour = true;
        d.fadeLowValues = false;
        d.thresholdFraction = 0.3;
        w.setDisplay(d);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, kSamplePrompt), kTimeoutMs);
        const auto result = w.lastResult();

        QVERIFY(w.exportMaps(dir.filePath("maps.npy")));
        const infolens::NpyArray maps =
            infolens::readNpyFloat32(dir.filePath("maps.npy").toStdString());
        QCOMPARE(maps.shape.size(), std::size_t(3));
        QCOMPARE(maps.shape[0], std::int64_t(result->words.size() + 1));
        const std::size_t cells = result->mapWidth * result->mapHeight;
        for (std::size_t i = 0; i < cells; ++i)
            QCOMPARE(maps.values[cells + i], result->words[0].map[i]);
        QVERIFY(w.exportValues(dir.filePath("values.csv")));
        QVERIFY(w.exportValues(dir.filePath("values.json")));
        QVERIFY(w.exportFigure(dir.filePath("figure.png"), 150));
        QVERIFY(w.exportFigure(dir.filePath("figure.pdf"), 0));
        for (const char* name : {"values.csv", "values.json", "figure.png", "figure.pdf"})
            QVERIFY2(QFile(dir.filePath(name)).size() > 100, name);

        QVERIFY(w.saveSession(dir.filePath("s.infolens")));
        MainWindow reopened(builtinRegistry(), [&] {
            StartOptions o = fresh();
            o.prompt.clear();  // everything comes from the session
            o.session = dir.filePath("s.infolens");
            return o;
        }());
        reopened.setInteractive(false);
        QTRY_VERIFY_WITH_TIMEOUT(modelSettled(reopened), kTimeoutMs);
        QCOMPARE(reopened.prompt(), kSamplePrompt);
        QCOMPARE(reopened.display().colormap, QString("magma"));
        QCOMPARE(reopened.display().opacity, 0.8);
        QVERIFY(reopened.display().contour);
        QVERIFY(!reopened.display().fadeLowValues);
        QCOMPARE(reopened.display().thresholdFraction, 0.3);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(reopened, kSamplePrompt), kTimeoutMs);
        // Same model, image, prompt, seed and schedule: the same numbers, bit for bit.
        const auto again = reopened.lastResult();
        QCOMPARE(again->drawsDone, result->drawsDone);
        QCOMPARE(again->mi.bits, result->mi.bits);
        for (std::size_t i = 0; i < result->words.size(); ++i) {
            QCOMPARE(again->words[i].bits, result->words[i].bits);
            QCOMPARE(again->words[i].seBits, result->words[i].seBits);
        }
    }

    void badInputLeavesTheStateUntouched() {
        QTemporaryDir dir;
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, kSamplePrompt), kTimeoutMs);
        const auto before = w.lastResult();
        {
            std::ofstream bad(dir.filePath("bad.png").toStdString());
            bad << "\x89PNG\r\n\x1a\n this is not a png";
        }
        QVERIFY(!w.openImage(dir.filePath("bad.png")));
        QVERIFY(w.lastError().contains("bad.png"));
        QVERIFY(!w.openSession(dir.filePath("missing.infolens")));
        QCOMPARE(w.lastResult(), before);
        QCOMPARE(w.prompt(), kSamplePrompt);

        const QString unwritable = dir.filePath("no/such/dir/maps.npy");
        QVERIFY(!w.exportMaps(unwritable));
        QVERIFY(!w.exportFigure(dir.filePath("no/such/dir/f.png"), 150));
        QVERIFY(!QFile::exists(unwritable));
        QVERIFY(QDir(dir.path()).entryList(QDir::Files).size() == 1);  // only bad.png
    }

    void generateMakesANewImageAndHoverReadsTheMaps() {
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        w.resize(1100, 760);
        w.show();
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, kSamplePrompt), kTimeoutMs);

        // Hover over the centre of the image: value of the selected word and the top three.
        auto* view = w.imageView();
        QSignalSpy hover(view, &infolens::ui::ImageView::hoverText);
        QTest::mouseMove(view, view->imageRect().center().toPoint());
        QTRY_VERIFY(hover.count() > 0);
        const QString text = hover.last().first().toString();
        QVERIFY2(text.contains("bits/px") && text.contains("top:"), qPrintable(text));

        QAction* generate = actionNamed(w, "Generate");
        QVERIFY(generate);
        const QString prompt = "a large red circle";
        w.setPrompt(prompt);
        generate->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(w.windowTitle().contains("generated"), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, prompt), kTimeoutMs);
    }

    void theCpuRendererTakesOverWithoutVulkanAndSaysSo() {
        {
            MainWindow w(builtinRegistry(), fresh());
            QVERIFY2(w.imageView()->usingVulkan(), "lavapipe (mesa-vulkan-drivers) is expected");
        }
        qputenv("INFOLENS_RENDERER", "cpu");
        MainWindow w(builtinRegistry(), fresh());
        qunsetenv("INFOLENS_RENDERER");
        w.setInteractive(false);
        QVERIFY(!w.imageView()->usingVulkan());
        auto* label = w.findChild<QLabel*>("rendererLabel");
        QVERIFY(label);
        QCOMPARE(label->text(), QString("CPU renderer"));
        QVERIFY(w.imageView()->rendererDescription().contains("CPU"));
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, kSamplePrompt), kTimeoutMs);
        QVERIFY(!w.imageView()->renderWord(0, 2).isNull());
    }

    // The model loads on the worker thread: the window is there at once and says so, and what is
    // asked for meanwhile (a prompt edit, a recompute) is computed once the model is ready.
    void theModelLoadsInTheBackgroundAndEditsMadeMeanwhileAreKept() {
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        auto* status = w.statusPanel();
        QVERIFY(status->modelLoading());
        QCOMPARE(w.modelStatus().state, ModelStatus::State::Loading);
        QVERIFY(status->modelLabel()->text().contains("Loading model"));
        QVERIFY(!status->loadingIndicator()->isHidden());
        QCOMPARE(status->loadingIndicator()->maximum(), 0);  // busy, no known end
        // Files are read at once (a bad one is reported now), opened when the model is ready.
        QVERIFY(!w.openImage(QStringLiteral(INFOLENS_SOURCE_DIR "/resources/samples/none.png")));
        QVERIFY(w.lastError().contains("none.png"));
        QVERIFY(w.openImage(kSampleImage));
        const QString edited = "a purple triangle above a green diamond";
        w.setPrompt(edited);
        w.recompute();  // commits the edit; the model is not there yet
        QVERIFY(status->drawsLabel()->text().contains("waiting"));
        QCOMPARE(w.prompt(), edited);

        QTRY_VERIFY_WITH_TIMEOUT(w.modelStatus().state == ModelStatus::State::Ready, kTimeoutMs);
        QVERIFY(!status->modelLoading());
        QVERIFY(status->loadingIndicator()->isHidden());
        QVERIFY2(status->modelLabel()->text().startsWith("Model shapes"),
                 qPrintable(status->modelLabel()->text()));
        QVERIFY(w.windowTitle().contains("0002.png"));
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, edited), kTimeoutMs);
        QCOMPARE(static_cast<int>(w.lastResult()->words.size()), 7);
    }

    // A model that cannot be loaded: the window stays, says why, and every action that needs the
    // model reports the same reason instead of hanging.
    void aFailedModelLoadIsReportedAndActionsSayWhy() {
        QTemporaryDir dir;
        StartOptions o = fresh();
        o.model = dir.filePath("no-such-model");
        MainWindow w(builtinRegistry(), o);
        w.setInteractive(false);
        QSignalSpy unavailable(&w, &MainWindow::modelUnavailable);
        QTRY_VERIFY_WITH_TIMEOUT(modelSettled(w), kTimeoutMs);
        QCOMPARE(w.modelStatus().state, ModelStatus::State::Failed);
        QCOMPARE(unavailable.count(), 1);
        const QString reason = QString::fromStdString(w.modelStatus().message);
        QVERIFY2(reason.contains("could not be loaded"), qPrintable(reason));
        QVERIFY(w.noticeBar()->showsError());
        QVERIFY2(w.noticeBar()->notice().contains("could not be loaded"),
                 qPrintable(w.noticeBar()->notice()));
        QCOMPARE(w.lastError(), reason);
        QCOMPARE(w.statusPanel()->modelLabel()->text(), QString("Model failed to load"));
        QVERIFY(w.statusPanel()->loadingIndicator()->isHidden());

        QVERIFY(!w.openImage(kSampleImage));
        QCOMPARE(w.lastError(), reason);
        QVERIFY(!w.saveSession(dir.filePath("s.infolens")));
        QVERIFY(!w.exportValues(dir.filePath("v.json")));
        w.setPrompt("a red circle");
        w.recompute();
        QTest::qWait(400);  // past the debounce
        QVERIFY(!w.lastResult());
        QAction* generate = actionNamed(w, "Generate");
        QVERIFY(generate);
        generate->trigger();
        QCOMPARE(w.lastError(), reason);
        QVERIFY(QDir(dir.path()).entryList(QDir::Files).isEmpty());
    }

    // The exact Gaussian model has no images: a clear message, never a division by zero.
    void aModelWithoutImagesSaysSoAndDoesNotCrash() {
        StartOptions o = fresh();
        o.model = "gaussian";
        MainWindow w(builtinRegistry(), o);
        w.setInteractive(false);
        QSignalSpy unavailable(&w, &MainWindow::modelUnavailable);
        QTRY_VERIFY_WITH_TIMEOUT(modelSettled(w), kTimeoutMs);
        QCOMPARE(w.modelStatus().state, ModelStatus::State::Ready);
        QCOMPARE(unavailable.count(), 1);
        QVERIFY(w.noticeBar()->showsError());
        QVERIFY2(w.noticeBar()->notice().contains("does not work on images"),
                 qPrintable(w.noticeBar()->notice()));
        QVERIFY(w.lastError().contains("does not work on images"));

        QVERIFY(!w.openImage(kSampleImage));
        QVERIFY2(w.lastError().contains("does not work on images"), qPrintable(w.lastError()));
        w.setPrompt("w0 w1");
        w.recompute();
        QTest::qWait(400);
        QVERIFY(!w.lastResult());
    }

    // sampling.iidSampler in a session is applied to the computation and saved again.
    void sessionsApplyAndSaveTheSampler() {
        QTemporaryDir dir;
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        QTRY_VERIFY_WITH_TIMEOUT(w.lastResult() != nullptr, kTimeoutMs);
        QVERIFY(!w.lastResult()->iidSampler);
        QVERIFY(w.saveSession(dir.filePath("stratified.infolens")));
        nlohmann::json session = readJson(dir.filePath("stratified.infolens"));
        QVERIFY(session["sampling"]["iidSampler"] == false);
        session["sampling"]["iidSampler"] = true;
        infolens::writeFileAtomically(dir.filePath("iid.infolens").toStdString(), session.dump());

        QVERIFY(w.openSession(dir.filePath("iid.infolens")));
        QVERIFY(w.sampling().iidSampler);
        QTRY_VERIFY_WITH_TIMEOUT(w.lastResult() != nullptr && w.lastResult()->iidSampler,
                                 kTimeoutMs);
        QVERIFY(w.saveSession(dir.filePath("again.infolens")));
        QVERIFY(readJson(dir.filePath("again.infolens"))["sampling"]["iidSampler"] == true);
        QVERIFY(infolens::loadSession(dir.filePath("again.infolens").toStdString()).iidSampler);
    }

    // A generated image is kept beside the session, but never over a different existing file.
    void savingAGeneratedImageNeverOverwritesAnotherFile() {
        QTemporaryDir dir;
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        QTRY_VERIFY_WITH_TIMEOUT(modelSettled(w), kTimeoutMs);
        w.setPrompt("a large red circle");
        QAction* generate = actionNamed(w, "Generate");
        QVERIFY(generate);
        generate->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(w.windowTitle().contains("generated"), kTimeoutMs);

        const QByteArray precious = "someone else's picture, not to be overwritten";
        {
            QFile existing(dir.filePath("g-image.png"));
            QVERIFY(existing.open(QIODevice::WriteOnly));
            existing.write(precious);
        }
        QVERIFY(w.saveSession(dir.filePath("g.infolens")));
        QFile kept(dir.filePath("g-image.png"));
        QVERIFY(kept.open(QIODevice::ReadOnly));
        QCOMPARE(kept.readAll(), precious);
        const infolens::SessionState saved =
            infolens::loadSession(dir.filePath("g.infolens").toStdString());
        QCOMPARE(QString::fromStdString(saved.imagePath), dir.filePath("g-image-2.png"));
        QVERIFY(QFile::exists(dir.filePath("g-image-2.png")));
        QCOMPARE(saved.imageSha256, infolens::sha256FileHex(saved.imagePath));
    }

    void closingDuringAComputationIsSafe() {
        for (int i = 0; i < 3; ++i) {
            auto w = std::make_unique<MainWindow>(builtinRegistry(), fresh());
            w->setInteractive(false);
            w->show();
            QTRY_VERIFY_WITH_TIMEOUT(w->lastResult() != nullptr, kTimeoutMs);
            QVERIFY(!w->lastResult()->finished);
            QElapsedTimer timer;
            timer.start();
            w->close();
            w.reset();
            QVERIFY(timer.elapsed() < 10000);
        }
    }
};

QTEST_MAIN(MainWindowTest)
#include "MainWindowTest.moc"
