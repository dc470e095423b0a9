// The app's main window, offscreen: the sample opens and maps arrive, edits recompute, exports
// round-trip, sessions reopen to the same state, and bad input leaves the state untouched.
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QSet>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTreeWidget>
#include <QUndoStack>
#include <fstream>
#include <map>

#include <QHeaderView>
#include <QMenuBar>
#include <QToolBar>
#include <QWheelEvent>
#include "infolens/io/AtomicFile.h"
#include "infolens/io/Npy.h"
#include "infolens/io/SessionFile.h"
#include "infolens/io/Sha256.h"
#include "infolens/models/BuiltinFamilies.h"
#include "infolens/ui/DisplayToolbar.h"
#include "infolens/ui/ExportActions.h"
#include "infolens/ui/FigureExporter.h"
#include "infolens/ui/ImageView.h"
#include "infolens/ui/MainWindow.h"
#include "infolens/ui/NoiseChart.h"
#include "infolens/ui/NoticeBar.h"
#include "infolens/ui/PromptEditor.h"
#include "infolens/ui/ShortcutsDialog.h"
#include "infolens/ui/StatusPanel.h"
#include "infolens/ui/ValueText.h"
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

    // Issue 16.1: a prompt that does not describe the image gets a large i_o; both forms are
    // shown for the prompt and every word, and the notice bar warns when i_s is far below i_o.
    // Sample 0002 with "a red circle": i_o about 185 bits, i_s about -135; with its own caption
    // i_o 48, i_s 82 (no warning).
    void bothFormsAreShownAndAPromptThatDoesNotFitIsFlagged() {
        StartOptions o = fresh();
        o.image = kSampleImage;
        o.prompt = "a red circle";
        MainWindow w(builtinRegistry(), o);
        w.setInteractive(false);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, "a red circle"), kTimeoutMs);
        const auto wrong = w.lastResult();
        QVERIFY2(
            wrong->mi.standardBits < 0.5 * wrong->mi.bits,
            qPrintable(QString("i_o %1, i_s %2").arg(wrong->mi.bits).arg(wrong->mi.standardBits)));
        infolens::ui::NoticeBar* fit = w.fitNoticeBar();
        QVERIFY(!fit->isHidden());
        QVERIFY(fit->showsError());
        QVERIFY2(fit->notice().contains("does not fit the image for this model"),
                 qPrintable(fit->notice()));

        // The words panel: one column per form, named by what it means, explained in tooltips.
        QTreeWidget* tree = w.wordPanel()->tree();
        using infolens::ui::WordPanel;
        QCOMPARE(tree->columnCount(), int(WordPanel::kColumnCount));
        QTreeWidgetItem* header = tree->headerItem();
        QCOMPARE(header->text(WordPanel::kOrthogonalColumn), QString("Moves the model\n(i_o)"));
        QCOMPARE(header->text(WordPanel::kStandardColumn), QString("Explains the image\n(i_s)"));
        QVERIFY(header->toolTip(WordPanel::kOrthogonalColumn)
                    .contains("never negative", Qt::CaseInsensitive));
        QVERIFY(header->toolTip(WordPanel::kStandardColumn).contains("log p(image"));
        // "red": both values on its row, i_s as computed (negative here).
        QTreeWidgetItem* red = nullptr;
        for (int row = 0; row < tree->topLevelItemCount(); ++row) {
            if (tree->topLevelItem(row)->text(WordPanel::kWordColumn) == "red")
                red = tree->topLevelItem(row);
        }
        QVERIFY(red);
        const infolens::WordResult& redResult = wrong->words[1];
        QCOMPARE(red->data(WordPanel::kStandardColumn, Qt::UserRole + 1).toDouble(),
                 redResult.standardBits);
        QCOMPARE(red->text(WordPanel::kStandardColumn),
                 infolens::ui::valueWithSe(redResult.standardBits, redResult.standardSeBits));
        // Sorting by the i_s column orders the rows by i_s.
        tree->sortByColumn(WordPanel::kStandardColumn, Qt::AscendingOrder);
        for (int row = 1; row < tree->topLevelItemCount(); ++row) {
            QVERIFY(tree->topLevelItem(row - 1)
                        ->data(WordPanel::kStandardColumn, Qt::UserRole + 1)
                        .toDouble() <= tree->topLevelItem(row)
                                           ->data(WordPanel::kStandardColumn, Qt::UserRole + 1)
                                           .toDouble());
        }
        // The prompt's line gives both forms.
        const QString promptLine = w.wordPanel()->promptLabel()->text();
        QVERIFY2(promptLine.contains("i_o") && promptLine.contains("i_s"), qPrintable(promptLine));

        // The true caption fits: no warning.
        const QString caption = sampleCaption();
        w.setPrompt(caption);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, caption), kTimeoutMs);
        QVERIFY2(fit->isHidden(), qPrintable(fit->notice()));
        QVERIFY(w.lastResult()->mi.standardBits > 0.5 * w.lastResult()->mi.bits);
    }

    // Issue 16.3: symbols outside the vocabulary are words of their own, flagged like unknown
    // words, instead of silently changing the values.
    void unknownSymbolsAreChipsFlaggedLikeUnknownWords() {
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, kSamplePrompt), kTimeoutMs);
        const QString prompt = "a purple triangle; above a green diamond!";
        w.setPrompt(prompt);
        auto* editor = w.findChild<infolens::ui::PromptEditor*>();
        QVERIFY(editor);
        // The chips shown now (those of the previous words wait for deletion, hidden).
        std::map<int, QToolButton*> shown;
        for (auto* chip : editor->findChildren<QToolButton*>()) {
            if (chip->objectName().startsWith("chip") && !chip->isHidden())
                shown[chip->objectName().mid(4).toInt()] = chip;
        }
        QStringList chips;
        for (const auto& [index, chip] : shown)
            chips << chip->text();
        QCOMPARE(chips, (QStringList{"a", "purple", "triangle", ";", "above", "a", "green",
                                     "diamond", "!"}));
        QToolButton* semicolon = shown[3];
        QVERIFY2(semicolon->toolTip().contains("[UNK]"), qPrintable(semicolon->toolTip()));
        QVERIFY(semicolon->styleSheet().contains("#c0392b"));
        QLabel* problem = nullptr;
        for (QLabel* label : editor->findChildren<QLabel*>()) {
            if (label->text().contains("[UNK]"))
                problem = label;
        }
        QVERIFY(problem);
        QVERIFY2(problem->text().contains("\";\"") && problem->text().contains("\"!\""),
                 qPrintable(problem->text()));
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, prompt), kTimeoutMs);
        const auto result = w.lastResult();
        QCOMPARE(static_cast<int>(result->words.size()), 9);
        QCOMPARE(result->words[3].text, std::string(";"));
        QVERIFY(result->words[3].unknown);
        QVERIFY(!result->words[3].span.isWord);
        QCOMPARE(w.wordPanel()->rowCount(), 9);
    }

    // Issue 16.4 (grid): with per-map scales each panel states its own range and the colorbar
    // says it gives shares; a word in placeholder mode is marked.
    void theGridWithPerMapScalesStatesEachPanelsRange() {
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, kSamplePrompt), kTimeoutMs);
        auto* editor = w.findChild<infolens::ui::PromptEditor*>();
        Q_EMIT editor->modeToggled(4);  // "purple" -> placeholder
        QTRY_VERIFY_WITH_TIMEOUT(
            finishedFor(w, kSamplePrompt) &&
                w.lastResult()->words[4].mode == infolens::WordMode::Placeholder,
            kTimeoutMs);
        infolens::ui::DisplaySettings d = w.display();
        d.grid = true;
        d.sharedScale = true;
        w.setDisplay(d);
        QVERIFY(!w.imageView()->gridLabels().join(' ').contains("max"));
        QVERIFY(w.imageView()->colorbarUnits().contains("bits/px"));
        d.sharedScale = false;
        w.setDisplay(d);
        const QStringList labels = w.imageView()->gridLabels();
        QCOMPARE(labels.size(), static_cast<int>(w.lastResult()->words.size()));
        QSet<QString> maxima;
        for (const QString& label : labels) {
            QVERIFY2(label.contains("max ") && label.contains("bits/px"), qPrintable(label));
            maxima.insert(label.section("max ", 1));
        }
        QVERIFY(maxima.size() > 1);  // the panels' own ranges, not one
        QVERIFY2(labels[4].startsWith(QString::fromUtf8("purple \u2192 _")), qPrintable(labels[4]));
        QVERIFY(w.imageView()->colorbarUnits().contains("share"));
    }

    // Issue 16.5: each export menu item writes its own format; the extension is added when the
    // typed name lacks it.
    void exportMenuItemsWriteTheirOwnFormat() {
        QTemporaryDir dir;
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, kSamplePrompt), kTimeoutMs);
        QString typed;
        w.exportActions()->setPathAsker(
            [&](const QString&, const QString&, const QString&) { return dir.filePath(typed); });
        w.exportActions()->setFigureOptionsAsker([](const QStringList&, bool) {
            infolens::ui::FigureOptions o;
            o.dpi = 100;
            return std::optional<infolens::ui::FigureOptions>(o);
        });
        auto trigger = [&](const QString& item, const QString& name) {
            typed = name;
            QAction* action = actionNamed(w, item);
            QVERIFY2(action, qPrintable(item));
            action->trigger();
        };
        auto head = [&](const QString& name) {
            QFile f(dir.filePath(name));
            return f.open(QIODevice::ReadOnly) ? f.read(16) : QByteArray();
        };
        trigger("Values as &CSV…", "values.json");
        QVERIFY(!QFile::exists(dir.filePath("values.json")));
        QVERIFY(head("values.json.csv").startsWith("index,word,"));
        trigger("Values as &CSV…", "plain");
        QVERIFY(head("plain.csv").startsWith("index,word,"));
        trigger("Values as &JSON…", "v.csv");
        QVERIFY(head("v.csv.json").startsWith("{"));
        trigger("Values as &JSON…", "v.JSON");
        QVERIFY(head("v.JSON").startsWith("{"));
        trigger("Figure as &PNG…", "figure.pdf");
        QVERIFY(head("figure.pdf.png").startsWith("\x89PNG"));
        trigger("Figure as P&DF (vector)…", "figure");
        QVERIFY(head("figure.pdf").startsWith("%PDF"));
        trigger("Raw Maps (float32 &NPY)…", "maps");
        QVERIFY(head("maps.npy").startsWith("\x93NUMPY"));
        // The CSV's value columns name their form.
        QFile csv(dir.filePath("plain.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QByteArray header = csv.readLine();
        QVERIFY2(header.contains("i_o_bits") && header.contains("i_s_bits"), header.constData());
    }

    // Issue 16.6: the toolbar's seed drives Generate only; the estimation seed is separate, saved
    // in sessions and in the export provenance, and an old session's seed is the estimation seed.
    void theGenerationSeedNeverChangesTheEstimate() {
        QTemporaryDir dir;
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, kSamplePrompt), kTimeoutMs);
        const auto before = w.lastResult();
        QCOMPARE(before->seed, std::uint64_t(0));
        QSignalSpy shown(&w, &MainWindow::resultShown);
        auto* seedBox = w.findChild<QSpinBox*>("generationSeed");
        QVERIFY(seedBox);
        seedBox->setValue(5);  // as if typed
        QCOMPARE(w.generationSeed(), std::uint64_t(5));
        QCOMPARE(w.estimationSeed(), std::uint64_t(0));
        QTest::qWait(400);
        QCOMPARE(shown.count(), 0);  // nothing recomputed
        QCOMPARE(w.lastResult(), before);

        const QString prompt = "a large red circle";
        w.setPrompt(prompt);
        QAction* generate = actionNamed(w, "Generate");
        QVERIFY(generate);
        generate->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(w.windowTitle().contains("generated"), kTimeoutMs);
        QVERIFY(w.noticeBar()->notice().contains("image seed 5"));
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, prompt), kTimeoutMs);
        QCOMPARE(w.lastResult()->seed, std::uint64_t(0));  // the estimation seed, not 5

        infolens::ui::Sampling sampling = w.sampling();
        sampling.seed = 11;
        w.setSampling(sampling);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, prompt) && w.lastResult()->seed == 11, kTimeoutMs);
        QVERIFY(w.exportValues(dir.filePath("v.json")));
        const nlohmann::json values = readJson(dir.filePath("v.json"));
        QCOMPARE(values["provenance"]["estimation_seed"].get<std::uint64_t>(), std::uint64_t(11));
        QCOMPARE(values["provenance"]["generation_seed"].get<std::uint64_t>(), std::uint64_t(5));
        QVERIFY(!values["provenance"].contains("seed"));
        QVERIFY(w.saveSession(dir.filePath("s.infolens")));
        QCOMPARE(readJson(dir.filePath("s.infolens"))["sampling"]["seed"].get<std::uint64_t>(),
                 std::uint64_t(11));

        // A session saved before the split (its one seed drove both) opens with that seed as the
        // estimation seed; the toolbar's image seed is left alone.
        nlohmann::json old = readJson(dir.filePath("s.infolens"));
        old["sampling"]["seed"] = 3;
        old["image"]["path"] = kSampleImage.toStdString();
        old["image"]["sha256"] = "";
        infolens::writeFileAtomically(dir.filePath("old.infolens").toStdString(), old.dump());
        QVERIFY(w.openSession(dir.filePath("old.infolens")));
        QCOMPARE(w.estimationSeed(), std::uint64_t(3));
        QCOMPARE(w.generationSeed(), std::uint64_t(5));
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, prompt) && w.lastResult()->seed == 3, kTimeoutMs);
    }

    // File > Open Sample lists the bundled samples and opens one with its caption.
    void openSampleLoadsTheImageAndItsCaption() {
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, kSamplePrompt), kTimeoutMs);
        const QStringList samples = w.documents()->samplePaths();
        QVERIFY(samples.size() >= 3);
        QVERIFY(samples.contains(kSampleImage));
        for (const QString& path : samples)
            QVERIFY2(!path.endsWith("_masks.png"), qPrintable(path));
        const QString sample = samples[1];
        QFile captionFile(QString(sample).replace(".png", ".txt"));
        QVERIFY(captionFile.open(QIODevice::ReadOnly));
        const QString caption = QString::fromUtf8(captionFile.readAll()).simplified();
        QVERIFY(w.openSample(sample));
        QCOMPARE(w.prompt(), caption);
        QCOMPARE(w.imagePath(), sample);
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, caption), kTimeoutMs);
        auto* undo = w.findChild<QUndoStack*>();
        undo->undo();  // the caption replaced the prompt as one undoable edit
        QCOMPARE(w.prompt(), kSamplePrompt);
    }

    // Issue 16, the window's habits, on one computation: Seed and Generate on screen at
    // 1024×700; sorting by a value starts with the largest; one number format in the table, the
    // grid and figures; the hover readout follows zoom and Reset Zoom; the noise chart reads the
    // bin under the cursor and its labels never overlap; figures take the chosen words and width.
    void theWindowsHabitsAtSmallSizes() {
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        infolens::ui::Sampling quick = w.sampling();
        quick.sampleCap = 32;
        w.setSampling(quick);
        w.resize(1024, 700);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QToolBar* generateBar = w.displayToolbar()->generateToolBar();
        QWidget* generateButton =
            generateBar->widgetForAction(w.displayToolbar()->generateAction());
        auto* seed = w.findChild<QSpinBox*>("generationSeed");
        QVERIFY(generateButton && seed);
        QTRY_VERIFY(generateButton->isVisible() && seed->isVisible());
        for (QWidget* widget : {generateButton, static_cast<QWidget*>(seed)}) {
            const QRect inWindow(widget->mapTo(&w, QPoint(0, 0)), widget->size());
            QVERIFY2(w.rect().contains(inWindow), qPrintable(widget->objectName()));
        }
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, kSamplePrompt), kTimeoutMs);
        const auto result = w.lastResult();

        // Sorting: a click on "Moves the model" puts the largest value first.
        auto* tree = w.wordPanel()->findChild<QTreeWidget*>("wordTree");
        QVERIFY(tree);
        QHeaderView* header = tree->header();
        const int column = infolens::ui::WordPanel::kOrthogonalColumn;
        QTest::mouseClick(
            header->viewport(), Qt::LeftButton, {},
            QPoint(header->sectionViewportPosition(column) + 5, header->height() / 2));
        QCOMPARE(header->sortIndicatorSection(), column);
        double largest = -1e300;
        for (const auto& word : result->words)
            largest = std::max(largest, word.bits);
        const QString top = tree->topLevelItem(0)->text(column);
        int topIndex = tree->topLevelItem(0)->data(0, Qt::UserRole).toInt();
        QCOMPARE(result->words[topIndex].bits, largest);

        // One format: the table's text is in the grid's label and the figure's label.
        const auto& word = result->words[topIndex];
        const QString formatted = infolens::ui::valueWithSe(word.bits, word.seBits);
        QCOMPARE(top, formatted);
        infolens::ui::DisplaySettings grid = w.display();
        grid.grid = true;
        w.setDisplay(grid);
        QVERIFY2(w.imageView()->gridLabels()[topIndex].contains(formatted),
                 qPrintable(w.imageView()->gridLabels()[topIndex]));
        grid.grid = false;
        w.setDisplay(grid);
        infolens::ui::FigureOptions all;
        const infolens::ui::FigureText figureText = infolens::ui::figureText(
            w.exportActions()->figureContent(all, infolens::ui::FigureFormat::Png));
        QVERIFY2(figureText.labels[1 + topIndex].contains(formatted),
                 qPrintable(figureText.labels[1 + topIndex]));
        // Figures default to each panel its own scale (every word readable); the option shares it.
        QVERIFY(figureText.legend.contains("its own colour scale"));
        all.sharedScale = true;
        QVERIFY(infolens::ui::figureText(
                    w.exportActions()->figureContent(all, infolens::ui::FigureFormat::Png))
                    .legend.contains("share one colour scale"));

        // Hover: zoomed, the cursor reads another pixel; Reset Zoom under the still cursor reads
        // the first one again (before, the readout stayed on the zoomed pixel).
        auto* view = w.imageView();
        const QPoint at = (view->imageRect().center() + QPointF(7, 5)).toPoint();
        QTest::mouseMove(view, at);
        QTRY_VERIFY(!view->hoverReadout().isEmpty());
        const QString before = view->hoverReadout();
        const QPoint other = at + QPoint(30, 30);
        QTest::mouseMove(view, other);
        QWheelEvent wheel(QPointF(other), view->mapToGlobal(QPointF(other)), QPoint(),
                          QPoint(0, 600), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(view, &wheel);  // zoom in around another point
        QTest::mouseMove(view, at);             // back to the first point, zoomed
        QTRY_VERIFY(view->hoverReadout() != before);
        view->resetView();  // Ctrl+0 with the cursor still: the readout follows
        QCOMPARE(view->hoverReadout(), before);

        // The noise chart: a readout on hover, and no two labels overlap at any dock size.
        auto* chart = w.findChild<infolens::ui::NoiseChart*>();
        QVERIFY(chart);
        w.selectWord(topIndex);
        QTest::mouseMove(chart, QPoint(chart->width() / 2, chart->height() / 2));
        QTRY_VERIFY(chart->hoverReadout().contains("log-SNR"));
        QVERIFY2(chart->hoverReadout().contains("draws"), qPrintable(chart->hoverReadout()));
        for (const QSize size : {QSize(300, 110), QSize(480, 160), QSize(1000, 300)}) {
            chart->resize(size);
            const std::vector<QRectF> rects = chart->labelRects();
            QVERIFY(rects.size() >= 7);
            for (std::size_t i = 0; i < rects.size(); ++i) {
                QVERIFY(QRectF(chart->rect()).contains(rects[i]));
                for (std::size_t j = i + 1; j < rects.size(); ++j)
                    QVERIFY2(!rects[i].intersects(rects[j]),
                             qPrintable(QString("labels %1 and %2 overlap at %3x%4")
                                            .arg(i)
                                            .arg(j)
                                            .arg(size.width())
                                            .arg(size.height())));
            }
        }

        // Figures: the chosen words only, in the order given, and the chosen width at the DPI.
        QTemporaryDir dir;
        infolens::ui::FigureOptions paperColumn;
        paperColumn.words = {4, 1};
        paperColumn.widthInches = infolens::ui::kPaperColumnInches;
        paperColumn.dpi = 200;
        const infolens::ui::FigureContent content =
            w.exportActions()->figureContent(paperColumn, infolens::ui::FigureFormat::Png);
        QCOMPARE(static_cast<int>(content.panels.size()), 2);
        QCOMPARE(content.panels[0].label, QString::fromStdString(result->words[4].text));
        QCOMPARE(content.panels[1].label, QString::fromStdString(result->words[1].text));
        const QString png = dir.filePath("column.png");
        QVERIFY(
            w.exportActions()->exportFigureAs(png, infolens::ui::FigureFormat::Png, paperColumn));
        QImage written(png);
        QCOMPARE(written.width(), 700);  // 3.5 in × 200 DPI
        infolens::ui::FigureOptions page;
        page.widthInches = infolens::ui::kFullPageInches;
        page.dpi = 150;
        QVERIFY(w.exportActions()->exportFigureAs(png, infolens::ui::FigureFormat::Png, page));
        QCOMPARE(QImage(png).width(), 1050);  // 7 in × 150 DPI
        // Panels in output pixels: a 1.6 in panel at 150 DPI needs 240 px, i.e. 4× a 64 px image.
        QCOMPARE(w.exportActions()
                     ->figureContent(page, infolens::ui::FigureFormat::Png)
                     .panels[0]
                     .overlay.width(),
                 4 * 64);
    }

    // Issue 16: a word's placeholder mode that cannot follow its word resets with a notice.
    void aResetPlaceholderModeIsAnnounced() {
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        QTRY_VERIFY_WITH_TIMEOUT(modelSettled(w), kTimeoutMs);
        auto* editor = w.findChild<infolens::ui::PromptEditor*>();
        Q_EMIT editor->modeToggled(4);  // "purple"
        w.setPrompt("an image of a triangle above a green diamond");
        w.promptController()->flush();
        QVERIFY2(w.noticeBar()->notice().contains(QString::fromUtf8("\u201cpurple\u201d")),
                 qPrintable(w.noticeBar()->notice()));
        QVERIFY(std::find(w.modes().begin(), w.modes().end(), infolens::WordMode::Placeholder) ==
                w.modes().end());
    }

    // Issue 16: quitting or opening asks about unsaved changes, only when there are any; Help ▸
    // Keyboard Shortcuts lists every action's shortcut, read from the actions.
    void unsavedChangesAreAskedAboutAndShortcutsListed() {
        QTemporaryDir dir;
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        QTRY_VERIFY_WITH_TIMEOUT(modelSettled(w) && w.documents()->hasImage(), kTimeoutMs);
        QStringList asked;
        infolens::ui::UnsavedChoice answer = infolens::ui::UnsavedChoice::Cancel;
        w.documents()->setUnsavedAsker([&](const QString& action) {
            asked << action;
            return answer;
        });
        QVERIFY(!w.documents()->isModified());
        w.selectWord(2);  // looking is not changing
        QVERIFY(!w.documents()->isModified());
        w.setPrompt("a purple triangle");
        w.promptController()->flush();
        QVERIFY(w.documents()->isModified());
        w.show();
        QVERIFY(!w.close());  // Cancel: the window stays
        QCOMPARE(asked, QStringList{"quitting"});
        QVERIFY(w.isVisible());
        QVERIFY(!w.openImage(kSampleImage));  // Cancel: nothing opens
        QCOMPARE(w.prompt(), QString("a purple triangle"));
        QCOMPARE(asked.size(), 2);
        w.promptController()->undo();  // back to the state as opened: nothing to save
        QVERIFY(!w.documents()->isModified());
        w.setPrompt("a green diamond");
        w.promptController()->flush();
        const QString session = dir.filePath("s.infolens");
        QVERIFY(w.saveSession(session));
        QVERIFY(!w.documents()->isModified());
        w.setPrompt("a purple diamond");
        w.promptController()->flush();
        answer = infolens::ui::UnsavedChoice::Save;  // saves to the session, then goes ahead
        QVERIFY(w.openImage(kSampleImage));
        QCOMPARE(asked.size(), 3);
        QCOMPARE(QString::fromStdString(infolens::loadSession(session.toStdString()).prompt),
                 QString("a purple diamond"));
        QVERIFY(!w.documents()->isModified());
        QVERIFY(w.close());  // nothing changed since: not asked
        QCOMPARE(asked.size(), 3);

        // Keyboard shortcuts: every action with a shortcut is listed with its keys.
        const std::vector<infolens::ui::ShortcutRow> rows = infolens::ui::shortcutRows(w.menuBar());
        QVERIFY(actionNamed(w, "&Keyboard Shortcuts"));
        int withShortcut = 0;
        for (QAction* action : w.menuBar()->findChildren<QAction*>()) {
            if (action->shortcut().isEmpty() || action->menu())
                continue;
            ++withShortcut;
            const QString keys = action->shortcut().toString(QKeySequence::NativeText);
            const bool listed = std::any_of(rows.begin(), rows.end(), [&](const auto& row) {
                return row.keys.contains(keys) && action->text().remove('&') == row.action;
            });
            QVERIFY2(listed, qPrintable(action->text()));
        }
        QVERIFY(withShortcut >= 10);
        QVERIFY(static_cast<int>(rows.size()) >= withShortcut);
    }

    // Issue 10, the app: File ▸ Open Model loads a Stable Diffusion checkpoint in the background,
    // the image is fitted to its size with a notice, maps arrive, the status bar names the device
    // and the weights' type, the model is remembered; a bad file is reported and the next model
    // still opens.
    void openModelLoadsStableDiffusionAndReportsABadFile() {
        QTemporaryDir dir;
        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        infolens::ui::Sampling quick = w.sampling();
        quick.sampleCap = 8;
        w.setSampling(quick);
        QTRY_VERIFY_WITH_TIMEOUT(modelSettled(w) && w.documents()->hasImage(), kTimeoutMs);
        const QString spec =
            QStringLiteral("sd:" INFOLENS_SOURCE_DIR
                           "/tests/data/sd/tiny-sd1.safetensors,heads=2,text-heads=2,"
                           "image=32");
        w.openModel(spec);
        QCOMPARE(w.modelStatus().state, ModelStatus::State::Loading);
        QTRY_VERIFY_WITH_TIMEOUT(modelSettled(w), kTimeoutMs);
        QVERIFY2(w.modelStatus().state == ModelStatus::State::Ready,
                 w.modelStatus().message.c_str());
        QCOMPARE(w.documents()->image()->width, 32);  // the 64² sample fitted to the model
        QVERIFY2(w.noticeBar()->notice().contains("Note"), qPrintable(w.noticeBar()->notice()));
        const QString status = w.statusPanel()->modelLabel()->text();
        QVERIFY2(status.contains("cpu") && status.contains("float32"), qPrintable(status));
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, kSamplePrompt), kTimeoutMs);
        QVERIFY(QString::fromStdString(w.lastResult()->prompt) == kSamplePrompt);
        // Figure panels in output pixels: never more than 4× the model's pixels.
        infolens::ui::FigureOptions options;
        const auto content =
            w.exportActions()->figureContent(options, infolens::ui::FigureFormat::Png);
        QVERIFY(content.panels[0].overlay.width() <= 4 * 32);

        const QString bad = dir.filePath("broken.safetensors");
        {
            QFile f(bad);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("not a checkpoint");
        }
        QSignalSpy unavailable(&w, &MainWindow::modelUnavailable);
        w.openModel(bad);
        QTRY_VERIFY_WITH_TIMEOUT(modelSettled(w), kTimeoutMs);
        QCOMPARE(w.modelStatus().state, ModelStatus::State::Failed);
        QCOMPARE(unavailable.count(), 1);
        QVERIFY2(w.lastError().contains("broken.safetensors"), qPrintable(w.lastError()));
        QVERIFY(w.noticeBar()->showsError());
        w.openModel("default");
        QTRY_VERIFY_WITH_TIMEOUT(finishedFor(w, kSamplePrompt), kTimeoutMs);
        QCOMPARE(w.documents()->image()->width, 64);
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
