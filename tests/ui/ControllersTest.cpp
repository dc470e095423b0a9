// The window's controllers on their own, without a model: PromptController's undo/redo of prompt
// and word modes, SettingsStore's key table, and the one session <-> document conversion.
#include <QApplication>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

#include "infolens/ui/DocumentController.h"
#include "infolens/ui/ExportActions.h"
#include "infolens/ui/PromptController.h"
#include "infolens/ui/PromptEditor.h"
#include "infolens/ui/PromptFit.h"
#include "infolens/ui/SamplingDialog.h"
#include "infolens/ui/SettingsStore.h"

using infolens::PromptAnalysis;
using infolens::WordMode;
using infolens::ui::PromptController;
using infolens::ui::PromptEditor;

namespace {

constexpr WordMode O = WordMode::Omit;
constexpr WordMode P = WordMode::Placeholder;

// Words are runs of non-spaces; no model needed.
PromptAnalysis splitWords(const QString& prompt) {
    PromptAnalysis analysis;
    const std::string text = prompt.toStdString();
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ')
            ++i;
        const std::size_t start = i;
        while (i < text.size() && text[i] != ' ')
            ++i;
        if (i > start) {
            infolens::PromptWord word;
            word.text = text.substr(start, i - start);
            word.span = {static_cast<int>(start), static_cast<int>(i), true};
            analysis.words.push_back(word);
        }
    }
    if (analysis.words.empty())
        analysis.problem = "the prompt is empty";
    return analysis;
}

}  // namespace

class PromptControllerTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void modesFollowTheirWordsThroughEditsUndoAndRedo() {
        PromptEditor editor;
        PromptController prompt(&editor, splitWords);
        QSignalSpy changed(&prompt, &PromptController::changed);
        prompt.reset("a red circle", {}, "_");
        QCOMPARE(changed.count(), 1);
        QCOMPARE(prompt.undoStack()->count(), 0);  // a reset is not an undo step
        prompt.toggleMode(1);                      // "red" -> placeholder
        QCOMPARE(prompt.modes(), (std::vector<WordMode>{O, P, O}));
        QCOMPARE(changed.count(), 2);

        prompt.setPrompt("a big red circle");  // typing: words follow at once...
        QCOMPARE(prompt.modes(), (std::vector<WordMode>{O, O, P, O}));
        QCOMPARE(prompt.undoStack()->count(), 1);  // ...the undo step after the pause
        QTRY_COMPARE(prompt.undoStack()->count(), 2);
        QCOMPARE(changed.count(), 3);

        prompt.undo();
        QCOMPARE(prompt.prompt(), QString("a red circle"));
        QCOMPARE(prompt.modes(), (std::vector<WordMode>{O, P, O}));
        prompt.undo();
        QCOMPARE(prompt.modes(), (std::vector<WordMode>{O, O, O}));
        prompt.redo();
        QCOMPARE(prompt.modes(), (std::vector<WordMode>{O, P, O}));
        prompt.redo();
        QCOMPARE(prompt.prompt(), QString("a big red circle"));
        QCOMPARE(prompt.modes(), (std::vector<WordMode>{O, O, P, O}));
        QCOMPARE(changed.count(), 7);
    }

    // Issue 16: retyping the whole prompt letter by letter keeps a word's placeholder mode (the
    // word is briefly gone while it is typed); a word retyped across a pause keeps it by position;
    // a placeholder word that leaves the prompt is reset with a notice, and undo brings it back.
    void aPlaceholderFollowsItsWordWhenThePromptIsRetyped() {
        PromptEditor editor;
        PromptController prompt(&editor, splitWords);
        QSignalSpy reset(&prompt, &PromptController::modesReset);
        prompt.setDebounceMs(60000);  // commits only where the test flushes (a pause)
        prompt.reset("a red circle above a blue square", {}, "_");
        prompt.toggleMode(5);  // "blue"
        QCOMPARE(prompt.modes(), (std::vector<WordMode>{O, O, O, O, O, P, O}));

        const QString retyped = "a blue square below a red circle";
        for (int n = 0; n <= retyped.size(); ++n)
            prompt.setPrompt(retyped.left(n));  // select all, then type, one keystroke each
        QCOMPARE(prompt.modes(), (std::vector<WordMode>{O, P, O, O, O, O, O}));
        prompt.flush();
        QCOMPARE(prompt.prompt(), retyped);
        QCOMPARE(prompt.modes(), (std::vector<WordMode>{O, P, O, O, O, O, O}));
        QCOMPARE(reset.count(), 0);

        // A pause in the middle of retyping "blue": "bl" takes its mode by position...
        prompt.setPrompt("a bl");
        prompt.flush();
        QCOMPARE(prompt.modes(), (std::vector<WordMode>{O, P}));
        prompt.setPrompt("a blue");  // ...and hands it on
        prompt.flush();
        QCOMPARE(prompt.modes(), (std::vector<WordMode>{O, P}));
        QCOMPARE(reset.count(), 0);

        // The word leaves the prompt: its mode is reset, visibly, and undo restores it.
        prompt.setPrompt("a");
        prompt.flush();
        QCOMPARE(prompt.modes(), (std::vector<WordMode>{O}));
        QCOMPARE(reset.count(), 1);
        QVERIFY(reset.first().first().toString().contains(QString::fromUtf8("\u201cblue\u201d")));
        prompt.undo();
        QCOMPARE(prompt.prompt(), QString("a blue"));
        QCOMPARE(prompt.modes(), (std::vector<WordMode>{O, P}));
    }

    // Ctrl+Z in the text field and Edit > Undo are one handler: typing still inside the debounce
    // window is committed first, so undo takes back exactly that typing.
    void undoFromTheEditorCommitsPendingTypingFirst() {
        PromptEditor editor;
        PromptController prompt(&editor, splitWords);
        prompt.setDebounceMs(60000);  // never by itself in this test
        prompt.reset("a red circle", {O, P, O}, "[x]");
        prompt.setPrompt("a red circle left");
        QCOMPARE(prompt.undoStack()->count(), 0);
        Q_EMIT editor.undoRequested();
        QCOMPARE(prompt.undoStack()->count(), 1);
        QCOMPARE(prompt.undoStack()->index(), 0);
        QCOMPARE(prompt.prompt(), QString("a red circle"));
        QCOMPARE(prompt.modes(), (std::vector<WordMode>{O, P, O}));
        Q_EMIT editor.redoRequested();
        QCOMPARE(prompt.prompt(), QString("a red circle left"));
        QCOMPARE(prompt.modes(), (std::vector<WordMode>{O, P, O, O}));
        QCOMPARE(prompt.placeholder(), QString("[x]"));
        // A recompute commits pending typing too, and says so.
        prompt.setPrompt("a red square left");
        QVERIFY(prompt.commitPendingEdit());
        QCOMPARE(prompt.undoStack()->count(), 2);
        QVERIFY(!prompt.commitPendingEdit());
    }
};

class SettingsStoreTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void everyKeyRoundTrips() {
        QTemporaryDir dir;
        const QString ini = dir.filePath("settings.ini");
        infolens::ui::DisplaySettings display;
        display.colormap = "magma";
        display.opacity = 0.25;
        display.sharedScale = false;
        display.contour = true;
        display.fadeLowValues = false;
        display.maskBelowThreshold = true;
        display.thresholdFraction = 0.75;
        display.mapSource = infolens::ui::MapSource::Combined;
        {
            infolens::ui::SettingsStore store(ini);
            QVERIFY(!store.hasWindowGeometry());
            store.setWindow("geometry-bytes", "state-bytes");
            store.setDisplay(display);
            for (int i = 0; i < infolens::ui::SettingsStore::kMaxRecent + 2; ++i)
                store.addRecentFile(QString("/files/%1.png").arg(i));
            store.addRecentFile("/files/3.png");  // moves to the front, no duplicate
            store.setImageFolder("/images");
            store.setExportFolder("/exports");
            store.addRecentModel("sd:/models/a.safetensors,heads=2");
            store.addRecentModel("default");
            QVERIFY(!store.figureSharedScale());  // figures default to each panel its own scale
            store.setFigureSharedScale(true);
            store.sync();
        }
        infolens::ui::SettingsStore store(ini);
        QVERIFY(store.hasWindowGeometry());
        QCOMPARE(store.windowGeometry(), QByteArray("geometry-bytes"));
        QCOMPARE(store.windowState(), QByteArray("state-bytes"));
        const infolens::ui::DisplaySettings read = store.display();
        QCOMPARE(read.colormap, display.colormap);
        QCOMPARE(read.opacity, display.opacity);
        QCOMPARE(read.sharedScale, display.sharedScale);
        QCOMPARE(read.contour, display.contour);
        QCOMPARE(read.fadeLowValues, display.fadeLowValues);
        QCOMPARE(read.maskBelowThreshold, display.maskBelowThreshold);
        QCOMPARE(read.thresholdFraction, display.thresholdFraction);
        QVERIFY(read.mapSource == display.mapSource);
        QVERIFY(store.figureSharedScale());
        const QStringList recent = store.recentFiles();
        QCOMPARE(recent.size(), infolens::ui::SettingsStore::kMaxRecent);
        QCOMPARE(recent.front(), QString("/files/3.png"));
        QCOMPARE(recent.count("/files/3.png"), 1);
        QCOMPARE(store.imageFolder(), QString("/images"));
        QCOMPARE(store.exportFolder(), QString("/exports"));
        QCOMPARE(store.recentModels(),
                 (QStringList{"default", "sd:/models/a.safetensors,heads=2"}));

        // Exactly the listed keys were written: none under another name, none forgotten.
        QStringList written = QSettings(ini, QSettings::IniFormat).allKeys();
        QStringList listed = infolens::ui::SettingsStore::keys();
        written.sort();
        listed.sort();
        QCOMPARE(written, listed);
    }

    void unsetKeysKeepTheDefaults() {
        QTemporaryDir dir;
        infolens::ui::SettingsStore store(dir.filePath("empty.ini"));
        infolens::ui::DisplaySettings defaults;
        defaults.colormap = "turbo";
        defaults.opacity = 0.4;
        const infolens::ui::DisplaySettings read = store.display(defaults);
        QCOMPARE(read.colormap, QString("turbo"));
        QCOMPARE(read.opacity, 0.4);
        QVERIFY(store.recentFiles().isEmpty());
    }
};

class DocumentConversionTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    // Save and open go through one field list: every field of the document survives both ways.
    void everyDocumentFieldSurvivesASession() {
        infolens::ui::DocumentState state;
        state.prompt = "a red circle — ünïcode";
        state.modes = {P, O, P};
        state.placeholder = "[mask]";
        state.sampling.seed = 18446744073709551557ull;
        state.sampling.sampleCap = 512;
        state.sampling.targetRelativeSe = 0.0125;
        state.sampling.iidSampler = true;
        state.display.colormap = "magma";
        state.display.opacity = 0.35;
        state.display.sharedScale = false;
        state.display.maskBelowThreshold = true;
        state.display.contour = true;
        state.display.fadeLowValues = false;
        state.display.thresholdFraction = 0.8;
        state.display.mapSource = infolens::ui::MapSource::Attention;
        state.selectedWord = 2;
        infolens::SessionState session;
        infolens::ui::storeDocument(state, session);
        QVERIFY(session.iidSampler);
        QCOMPARE(session.sampleCap, 512);
        // Through the file format as well.
        const infolens::SessionState parsed =
            infolens::sessionFromJson(infolens::sessionToJson(session), "memory");
        const infolens::ui::DocumentState back = infolens::ui::restoreDocument(parsed);
        QCOMPARE(back.prompt, state.prompt);
        QCOMPARE(back.modes, state.modes);
        QCOMPARE(back.placeholder, state.placeholder);
        QCOMPARE(back.sampling.seed, state.sampling.seed);
        QCOMPARE(back.sampling.sampleCap, state.sampling.sampleCap);
        QCOMPARE(back.sampling.targetRelativeSe, state.sampling.targetRelativeSe);
        QCOMPARE(back.sampling.iidSampler, state.sampling.iidSampler);
        QCOMPARE(back.display.colormap, state.display.colormap);
        QCOMPARE(back.display.opacity, state.display.opacity);
        QCOMPARE(back.display.sharedScale, state.display.sharedScale);
        QCOMPARE(back.display.maskBelowThreshold, state.display.maskBelowThreshold);
        QCOMPARE(back.display.contour, state.display.contour);
        QCOMPARE(back.display.fadeLowValues, state.display.fadeLowValues);
        QCOMPARE(back.display.thresholdFraction, state.display.thresholdFraction);
        QCOMPARE(back.selectedWord, state.selectedWord);
        QVERIFY(back.display.mapSource == infolens::ui::MapSource::Attention);
        state.display.mapSource = infolens::ui::MapSource::Combined;
        infolens::ui::storeDocument(state, session);
        QVERIFY(infolens::ui::restoreDocument(
                    infolens::sessionFromJson(infolens::sessionToJson(session), "memory"))
                    .display.mapSource == infolens::ui::MapSource::Combined);
    }

    // Sessions saved before the map source existed open on information; an unknown source is
    // refused with the field named.
    void theMapSourceDefaultsAndIsValidated() {
        infolens::SessionState session;
        session.mapSource = "attention";
        nlohmann::json j = infolens::sessionToJson(session);
        QCOMPARE(QString::fromStdString(j["view"]["mapSource"].get<std::string>()),
                 QString("attention"));
        j["view"].erase("mapSource");
        QVERIFY(
            infolens::ui::restoreDocument(infolens::sessionFromJson(j, "old")).display.mapSource ==
            infolens::ui::MapSource::Information);
        j["view"]["mapSource"] = "saliency";
        try {
            (void)infolens::sessionFromJson(j, "bad.infolens");
            QFAIL("an unknown map source was accepted");
        } catch (const std::exception& e) {
            QVERIFY2(QString(e.what()).contains("view.mapSource"), e.what());
        }
    }
};

// The rule behind the "does not fit" notice (PromptFit.h), on the headline numbers.
class PromptFitTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void theHeadlineCasesAndTheEdges() {
        auto mi = [](double io, double ioSe, double is, double isSe) {
            infolens::WordResult w;
            w.bits = io;
            w.seBits = ioSe;
            w.standardBits = is;
            w.standardSeBits = isSe;
            return w;
        };
        using infolens::ui::assessPromptFit;
        // Sample 0002 with "a red circle" (measured): flagged, and the message says why.
        const auto wrong = assessPromptFit(mi(185.1, 3.2, -134.9, 8.1));
        QVERIFY(wrong.poor);
        QVERIFY2(wrong.message.contains("does not fit the image for this model"),
                 qPrintable(wrong.message));
        QVERIFY(wrong.message.contains("below zero"));
        // Sample 0002 with its caption (measured): fits.
        QVERIFY(!assessPromptFit(mi(48.3, 1.0, 82.0, 2.3)).poor);
        QVERIFY(assessPromptFit(mi(48.3, 1.0, 82.0, 2.3)).message.isEmpty());
        // Far below half of i_o but positive: flagged.
        const auto low = assessPromptFit(mi(100.0, 1.0, 20.0, 2.0));
        QVERIFY(low.poor);
        QVERIFY(low.message.contains("less than half"));
        // Below half, but within two standard errors of it: not flagged.
        QVERIFY(!assessPromptFit(mi(100.0, 2.0, 45.0, 4.0)).poor);
        // Slightly negative but within noise of zero (a near-empty prompt): not flagged.
        QVERIFY(!assessPromptFit(mi(0.5, 0.1, -0.3, 0.4)).poor);
        // Negative beyond two standard errors: flagged even when i_o is small.
        QVERIFY(assessPromptFit(mi(0.5, 0.1, -3.0, 0.5)).poor);
    }
};

class SmallPartsTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    // The estimation settings dialog shows and returns every field, seeds beyond 2^31 included.
    void theEstimationSettingsDialogRoundTrips() {
        infolens::ui::Sampling in;
        in.seed = 18446744073709551557ull;
        in.sampleCap = 512;
        in.targetRelativeSe = 0.0125;
        in.iidSampler = true;
        infolens::ui::SamplingDialog dialog;
        dialog.setSampling(in);
        const infolens::ui::Sampling out = dialog.sampling();
        QCOMPARE(out.seed, in.seed);
        QCOMPARE(out.sampleCap, in.sampleCap);
        QCOMPARE(out.targetRelativeSe, in.targetRelativeSe);
        QCOMPARE(out.iidSampler, in.iidSampler);
    }

    // An export menu item's extension is added unless the name already ends in it.
    void exportNamesGetTheirMenuItemsExtension() {
        using infolens::ui::withSuffix;
        QCOMPARE(withSuffix("/d/values", "csv"), QString("/d/values.csv"));
        QCOMPARE(withSuffix("/d/values.csv", "csv"), QString("/d/values.csv"));
        QCOMPARE(withSuffix("/d/values.CSV", "csv"), QString("/d/values.CSV"));
        QCOMPARE(withSuffix("/d/values.json", "csv"), QString("/d/values.json.csv"));
        QCOMPARE(withSuffix("", "csv"), QString());
    }
};

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    int failures = 0;
    {
        PromptControllerTest t;
        failures += QTest::qExec(&t, argc, argv);
    }
    {
        SettingsStoreTest t;
        failures += QTest::qExec(&t, argc, argv);
    }
    {
        DocumentConversionTest t;
        failures += QTest::qExec(&t, argc, argv);
    }
    {
        PromptFitTest t;
        failures += QTest::qExec(&t, argc, argv);
    }
    {
        SmallPartsTest t;
        failures += QTest::qExec(&t, argc, argv);
    }
    return failures == 0 ? 0 : 1;
}

#include "ControllersTest.moc"
