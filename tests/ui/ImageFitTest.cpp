// The "image unlike the model's training images" warning (issue 16): the rule on made-up
// results, then the window offscreen with a bundled sample (no warning) and a photo-like image
// (warning), against the default model's reference beside its bundle.
#include <QTemporaryDir>
#include <QTest>

#include "PhotoLikeImage.h"
#include "infolens/models/BuiltinFamilies.h"
#include "infolens/ui/ImageFit.h"
#include "infolens/ui/MainWindow.h"

using infolens::ImageFitReference;
using infolens::LiveResult;
using infolens::ModelStatus;
using infolens::ui::assessImageFit;
using infolens::ui::MainWindow;

namespace {

constexpr int kTimeoutMs = 180000;

LiveResult resultWith(double bitsPerDim, double se) {
    LiveResult r;
    r.finished = true;
    r.nullAvailable = true;
    r.nullBitsPerDim = bitsPerDim;
    r.nullBitsPerDimSe = se;
    return r;
}

ImageFitReference reference(double median, double p99) {
    ImageFitReference ref;
    ref.modelHash = "abc";
    ref.median = median;
    ref.p99 = p99;
    ref.n = 100;
    ref.split = "test";
    return ref;
}

bool finished(const MainWindow& w) {
    const auto r = w.lastResult();
    return r && r->finished;
}

}  // namespace

class ImageFitTest : public QObject {
    Q_OBJECT
  private Q_SLOTS:
    // Above the 99th percentile by more than 2 SE warns; within 2 SE of it, or below, does not;
    // without a reference (SD, Gaussian) nothing is said, and the tooltip says why.
    void theRuleIsP99PlusTwoStandardErrors() {
        const ImageFitReference ref = reference(1.0, 2.0);
        QVERIFY(assessImageFit(resultWith(2.5, 0.2), ref).unlike);
        QVERIFY(!assessImageFit(resultWith(2.3, 0.2), ref).unlike);  // 2.3 - 0.4 < 2.0
        QVERIFY(!assessImageFit(resultWith(1.0, 0.01), ref).unlike);
        const infolens::ui::ImageFit fit = assessImageFit(resultWith(2.5, 0.2), ref);
        QVERIFY2(fit.message.contains("looks unlike what this model was trained on"),
                 qPrintable(fit.message));
        QVERIFY(!assessImageFit(resultWith(9.0, 0.1), std::nullopt).unlike);
        LiveResult none = resultWith(9.0, 0.1);
        none.nullAvailable = false;
        QVERIFY(!assessImageFit(none, ref).unlike);
        QVERIFY(infolens::ui::imageFitRuleText(std::nullopt).contains("no image-fit reference"));
        QVERIFY(infolens::ui::imageFitRuleText(ref).contains("99th percentile 2.000"));
    }

    // The default model finds its reference by hash; its own sample does not warn, a photo-like
    // image does, and opening the sample again takes the warning down.
    void aPhotoLikeImageIsFlaggedAndTheSampleIsNot() {
        QTemporaryDir dir;
        const QString photo = dir.filePath("photo.png");
        const infolens::Image image = photoLikeImage(128, 7);
        infolens::writePng(photo.toStdString(), image.width, image.height, 3, image.rgb);

        infolens::ui::StartOptions o;
        o.restoreLayout = false;
        o.image = QStringLiteral(INFOLENS_SOURCE_DIR "/resources/samples/0002.png");
        // An image given by path brings no caption, and an empty prompt computes nothing.
        o.prompt = QStringLiteral("a large purple triangle above a green diamond with a grey "
                                  "background");
        MainWindow w(infolens::builtinRegistry(), o);
        w.setInteractive(false);
        QTRY_VERIFY_WITH_TIMEOUT(finished(w), kTimeoutMs);
        infolens::ui::ImageFitNotice* notice = w.imageFitNotice();
        QVERIFY2(notice->reference().has_value(), qPrintable(notice->toolTip()));
        QCOMPARE(QString::fromStdString(notice->reference()->modelHash),
                 QString::fromStdString(w.modelStatus().summary.hash));
        QVERIFY(w.lastResult()->nullAvailable);
        const double sampleBits = w.lastResult()->nullBitsPerDim;
        QVERIFY2(notice->isHidden(), qPrintable(notice->notice()));
        QVERIFY(notice->toolTip().contains("This image:"));

        QVERIFY(w.openImage(photo));
        QTRY_VERIFY_WITH_TIMEOUT(finished(w) && !notice->isHidden(), kTimeoutMs);
        QVERIFY(notice->showsError());
        QVERIFY2(notice->notice().contains("looks unlike what this model was trained on"),
                 qPrintable(notice->notice()));
        QVERIFY(w.lastResult()->nullBitsPerDim > sampleBits);
        qInfo("sample 0002: %.3f bits/dim; photo-like: %.3f +- %.3f bits/dim; reference p99 %.3f",
              sampleBits, w.lastResult()->nullBitsPerDim, w.lastResult()->nullBitsPerDimSe,
              notice->reference()->p99);

        QVERIFY(w.openImage(QStringLiteral(INFOLENS_SOURCE_DIR "/resources/samples/0004.png")));
        QTRY_VERIFY_WITH_TIMEOUT(finished(w) && notice->isHidden(), kTimeoutMs);
    }
};

QTEST_MAIN(ImageFitTest)
#include "ImageFitTest.moc"
