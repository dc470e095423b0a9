// End to end with the real worker and the default model (issue 12): right-click "purple" of the
// sample's caption, Remove, and the edited image and its maps arrive in the Interventions view;
// the session keeps the intervention (dropped when the model hash differs); undo and redo.
#include <QAction>
#include <QFile>
#include <QLabel>
#include <QMenu>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>
#include <memory>

#include "infolens/models/BuiltinFamilies.h"
#include "infolens/ui/InterventionController.h"
#include "infolens/ui/InterventionDetail.h"
#include "infolens/ui/InterventionPanel.h"
#include "infolens/ui/InterventionStore.h"
#include "infolens/ui/MainWindow.h"
#include "infolens/ui/NoticeBar.h"

using infolens::ModelStatus;
using infolens::ui::MainWindow;
using infolens::ui::StartOptions;

namespace {

constexpr int kTimeoutMs = 120000;

QString sampleCaption() {
    QFile f(QStringLiteral(INFOLENS_SOURCE_DIR "/resources/samples/0002.txt"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll()).trimmed();
}

}  // namespace

class InterventionWindowTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void removingPurpleShowsTheEditedImageAndMaps() {
        // The image sits in the session's folder: a non-interactive window refuses a session whose
        // image lies outside it (issue 13), which is not what this test is about.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString image = dir.filePath("0002.png");
        QVERIFY(
            QFile::copy(QStringLiteral(INFOLENS_SOURCE_DIR "/resources/samples/0002.png"), image));
        StartOptions options;
        options.restoreLayout = false;
        options.image = image;
        options.prompt = sampleCaption();
        MainWindow w(infolens::builtinRegistry(), options);
        w.setInteractive(false);
        w.interventionActions()->setSteps(10);  // small: the test checks the wiring
        infolens::ui::Sampling sampling = w.sampling();
        sampling.sampleCap = 16;
        w.setSampling(sampling);
        QTRY_VERIFY_WITH_TIMEOUT(w.modelStatus().state != ModelStatus::State::Loading, kTimeoutMs);
        QCOMPARE(w.modelStatus().state, ModelStatus::State::Ready);
        QTRY_VERIFY_WITH_TIMEOUT(w.documents()->hasImage(), kTimeoutMs);

        const int purple = options.prompt.split(' ', Qt::SkipEmptyParts).indexOf("purple");
        QVERIFY(purple >= 0);
        std::unique_ptr<QMenu> menu(w.buildWordMenu(purple, &w));
        auto* remove = menu->findChild<QAction*>("removeWordAction");
        QVERIFY(remove);
        remove->trigger();  // what the right-click menu's "Remove" does

        infolens::ui::InterventionStore* store = w.interventions();
        QTRY_VERIFY_WITH_TIMEOUT(store->count() == 1, kTimeoutMs);
        const auto outcome = store->at(0);
        QCOMPARE(outcome->word, std::string("purple"));
        QVERIFY(outcome->editedPrompt.find("purple") == std::string::npos);
        QCOMPARE(outcome->edited.width, 64);
        QVERIFY(!outcome->changeLatent.empty());
        QVERIFY(!outcome->predicted.empty());
        infolens::ui::InterventionDetail* detail = w.interventionPanel()->detail();
        QCOMPARE(detail->outcome(), outcome);
        QVERIFY(!detail->changeLabel()->pixmap().isNull());
        QVERIFY(!detail->predictedLabel()->pixmap().isNull());
        QVERIFY(detail->textLabel()->text().contains("PSNR"));

        // Undo and redo of the added intervention (the window's one undo stack).
        QUndoStack* undo = w.promptController()->undoStack();
        undo->undo();
        QCOMPARE(store->count(), 0);
        undo->redo();
        QCOMPARE(store->count(), 1);

        // The session keeps it; reopened with the same model it shows again, with another
        // model hash it is dropped with a notice.
        const QString path = dir.filePath("s.infolens");
        QVERIFY(w.saveSession(path));
        store->clear();
        QCOMPARE(store->count(), 0);
        QVERIFY(w.openSession(path));
        QTRY_VERIFY_WITH_TIMEOUT(store->count() == 1, kTimeoutMs);
        QCOMPARE(store->at(0)->changeLatent, outcome->changeLatent);
        QCOMPARE(store->at(0)->edited.rgb, outcome->edited.rgb);
        QVERIFY(store->staleReason(0).isEmpty());

        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        auto json = nlohmann::json::parse(f.readAll().toStdString());
        f.close();
        json["interventions"][0]["modelHash"] = "another-model";
        const QString other = dir.filePath("other.infolens");
        QFile o(other);
        QVERIFY(o.open(QIODevice::WriteOnly));
        o.write(QByteArray::fromStdString(json.dump()));
        o.close();
        QVERIFY(w.openSession(other));
        QTRY_VERIFY_WITH_TIMEOUT(
            store->count() == 0 && w.noticeBar()->notice().contains("another model"), kTimeoutMs);
    }
};

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    InterventionWindowTest t;
    return QTest::qExec(&t, argc, argv);
}

#include "InterventionWindowTest.moc"
