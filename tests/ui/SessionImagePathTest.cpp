// A session names its image by path; one from someone else can point anywhere (issue 13). An
// image path that climbs out of the session's folder with ".." or is a symbolic link is opened
// only after the user confirms; without a person (non-interactive) it is refused with a notice and
// the open document stays as it was. A plain path beside the session opens without a question.
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "infolens/models/BuiltinFamilies.h"
#include "infolens/ui/MainWindow.h"

using infolens::builtinRegistry;
using infolens::ModelStatus;
using infolens::ui::MainWindow;
using infolens::ui::StartOptions;

namespace {

constexpr int kTimeoutMs = 180000;
const QString kSampleImage = QStringLiteral(INFOLENS_SOURCE_DIR "/resources/samples/0002.png");

StartOptions fresh() {
    StartOptions o;
    o.restoreLayout = false;
    o.prompt = "a purple triangle";
    return o;
}

nlohmann::json readJson(const QString& path) {
    std::ifstream in(path.toStdString());
    return nlohmann::json::parse(in);
}

void writeJson(const QString& path, const nlohmann::json& j) {
    std::ofstream(path.toStdString()) << j.dump(2);
}

}  // namespace

class SessionImagePathTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    void escapingAndLinkedImagesNeedConfirmation() {
        QTemporaryDir dir;
        namespace fs = std::filesystem;
        const fs::path root(dir.path().toStdString());
        fs::create_directories(root / "sessions");
        fs::copy_file(kSampleImage.toStdString(), root / "outside.png");
        fs::copy_file(kSampleImage.toStdString(), root / "sessions" / "beside.png");
        fs::create_symlink(root / "outside.png", root / "sessions" / "link.png");

        MainWindow w(builtinRegistry(), fresh());
        w.setInteractive(false);
        QTRY_VERIFY_WITH_TIMEOUT(w.modelStatus().state != ModelStatus::State::Loading, kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!w.imagePath().isEmpty(), kTimeoutMs);
        const QString base = dir.filePath("sessions/base.infolens");
        QVERIFY(w.saveSession(base));
        nlohmann::json session = readJson(base);
        const auto withImage = [&](const QString& name, const std::string& imagePath) {
            session["image"]["path"] = imagePath;
            writeJson(dir.filePath("sessions/" + name), session);
            return dir.filePath("sessions/" + name);
        };
        const QString escaping = withImage("escaping.infolens", "../outside.png");
        const QString linked = withImage("linked.infolens", "link.png");
        const QString beside = withImage("beside.infolens", "beside.png");

        // Non-interactive (the default asker): refused, with the reason, nothing changed.
        const QString before = w.imagePath();
        QVERIFY(!w.openSession(escaping));
        QCOMPARE(w.imagePath(), before);
        QVERIFY2(w.lastError().contains("outside the session's folder"), qPrintable(w.lastError()));
        QVERIFY(!w.openSession(linked));
        QCOMPARE(w.imagePath(), before);
        QVERIFY2(w.lastError().contains("symbolic link"), qPrintable(w.lastError()));

        // A person says no, then yes.
        QStringList asked;
        bool answer = false;
        w.documents()->setImagePathConfirmer([&](const QString& notice) {
            asked << notice;
            return answer;
        });
        QVERIFY(!w.openSession(escaping));
        QCOMPARE(asked.size(), 1);
        QVERIFY(asked.back().contains("../outside.png"));
        QCOMPARE(w.imagePath(), before);
        answer = true;
        QVERIFY(w.openSession(escaping));
        QCOMPARE(asked.size(), 2);
        QVERIFY(QFileInfo(w.imagePath()).canonicalFilePath() ==
                QFileInfo(dir.filePath("outside.png")).canonicalFilePath());
        QVERIFY(w.openSession(linked));
        QCOMPARE(asked.size(), 3);
        QVERIFY(asked.back().contains("symbolic link"));

        // An image beside the session: no question.
        QVERIFY(w.openSession(beside));
        QCOMPARE(asked.size(), 3);
        QVERIFY(w.imagePath().endsWith("beside.png"));
    }
};

QTEST_MAIN(SessionImagePathTest)
#include "SessionImagePathTest.moc"
