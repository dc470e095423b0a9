// infolens: the desktop app. Opens the bundled sample with the default model unless told
// otherwise, and starts computing at once.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageBox>
#include <QScreen>
#include <QTimer>
#include <cstdio>

#include "infolens/Error.h"
#include "infolens/models/BuiltinFamilies.h"
#include "infolens/ui/ImageView.h"
#include "infolens/ui/MainWindow.h"

namespace {

// For the window test and documentation: once the maps have converged, grab the whole screen
// (the X server's framebuffer, not the widget's own painting), write it with a sidecar JSON that
// says where the image view is, and quit.
void scheduleScreenshot(infolens::ui::MainWindow& window, const QString& path,
                        const QString& figure) {
    QObject::connect(
        &window, &infolens::ui::MainWindow::resultShown, &window,
        [&window, path, figure](std::shared_ptr<const infolens::LiveResult> result) {
            if (!result->finished)
                return;
            if (!figure.isEmpty() && !window.exportFigure(figure, 300))
                std::fprintf(stderr, "figure export failed: %s\n", qPrintable(window.lastError()));
            QTimer::singleShot(500, &window, [&window, path] {
                QScreen* screen = QGuiApplication::primaryScreen();
                const QPixmap shot = screen->grabWindow(0);
                const bool ok = shot.save(path, "PNG");
                infolens::ui::ImageView* view = window.imageView();
                const QRect r(view->mapToGlobal(QPoint(0, 0)), view->size());
                const QRectF image = view->imageRect().translated(view->mapToGlobal(QPoint(0, 0)));
                QFile sidecar(path + ".json");
                if (sidecar.open(QIODevice::WriteOnly)) {
                    sidecar.write(QJsonDocument(QJsonObject{{"view_x", r.x()},
                                                            {"view_y", r.y()},
                                                            {"view_width", r.width()},
                                                            {"view_height", r.height()},
                                                            {"image_x", image.x()},
                                                            {"image_y", image.y()},
                                                            {"image_width", image.width()},
                                                            {"image_height", image.height()},
                                                            {"device_pixel_ratio",
                                                             view->devicePixelRatioF()}})
                                      .toJson());
                }
                std::fprintf(stderr, "%s %s\n", ok ? "screenshot written to" : "could not write",
                             qPrintable(path));
                QApplication::exit(ok ? 0 : 1);
            });
        });
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName("InfoLens");
    QApplication::setApplicationName("InfoLens");
    QApplication::setApplicationVersion(INFOLENS_VERSION);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        "InfoLens: live per-word information maps of a text-to-image diffusion model.\n"
        "With no options it opens the bundled sample image and prompt on the default model.");
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption model("model", "Model: 'default' or a bundle directory.", "M", "default");
    QCommandLineOption image("image", "Image to open (PNG, JPEG, BMP).", "FILE");
    QCommandLineOption prompt("prompt", "Prompt to start with.", "TEXT");
    QCommandLineOption session("session", "Session file (.infolens) to open.", "FILE");
    QCommandLineOption screenshot("screenshot",
                                  "Once the maps converge, save a screenshot of the screen to "
                                  "FILE (plus FILE.json with the view's position) and quit.",
                                  "FILE");
    QCommandLineOption fresh("fresh-layout", "Ignore the remembered window layout and settings.");
    QCommandLineOption colormap(
        "colormap", "Colormap: viridis, magma, inferno, cividis, turbo, jet or gray.", "NAME");
    QCommandLineOption grid("grid", "Show all words as a grid of small multiples.");
    QCommandLineOption contour("contour", "Draw the threshold contour.");
    QCommandLineOption mask("mask", "Hide the overlay below the threshold.");
    QCommandLineOption exportFigure("export-figure",
                                    "Once the maps converge, also export the figure to FILE "
                                    "(.png at 300 dpi or .pdf) (with --screenshot).",
                                    "FILE");
    parser.addOptions({model, image, prompt, session, screenshot, fresh, colormap, grid, contour,
                       mask, exportFigure});
    parser.process(app);

    infolens::ui::StartOptions options;
    options.model = parser.value(model);
    options.image = parser.value(image);
    options.prompt = parser.value(prompt);
    options.session = parser.value(session);
    options.restoreLayout = !parser.isSet(fresh);
    std::unique_ptr<infolens::ui::MainWindow> window;
    try {
        window = std::make_unique<infolens::ui::MainWindow>(infolens::builtinRegistry(), options);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "infolens: %s\n", e.what());
        if (!parser.isSet(screenshot))
            QMessageBox::critical(nullptr, "InfoLens", QString::fromUtf8(e.what()));
        return 1;
    }
    infolens::ui::DisplaySettings display = window->display();
    if (parser.isSet(colormap))
        display.colormap = parser.value(colormap);
    display.grid = display.grid || parser.isSet(grid);
    display.contour = display.contour || parser.isSet(contour);
    display.maskBelowThreshold = display.maskBelowThreshold || parser.isSet(mask);
    window->setDisplay(display);
    if (parser.isSet(screenshot)) {
        window->setInteractive(false);
        scheduleScreenshot(*window, parser.value(screenshot), parser.value(exportFigure));
        // No maps will come: say why and quit instead of waiting for them.
        QObject::connect(window.get(), &infolens::ui::MainWindow::modelUnavailable, &app,
                         [](const QString& reason) {
                             std::fprintf(stderr, "infolens: %s\n", qPrintable(reason));
                             QApplication::exit(1);
                         });
    }
    window->show();
    return app.exec();
}
