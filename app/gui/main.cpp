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
#include <vector>

#include "infolens/Error.h"
#include "infolens/live/ProcessMemory.h"
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

// Qt takes some options for itself before QCommandLineParser sees them: QGuiApplication consumes
// "-session"/"--session" (X11 session management) with its value. The app's own --session is
// therefore taken out of argv here, before any Qt application exists; the rest goes to Qt.
struct PreScan {
    std::vector<char*> qtArgv;  // argv without --session and its value
    QString session;            // --session's value (empty when not given)
    bool sessionMissingValue = false;
    bool helpOrVersion = false;  // answered without a display (QCoreApplication)
};

PreScan preScan(int argc, char** argv) {
    PreScan scan;
    scan.qtArgv.push_back(argv[0]);
    for (int i = 1; i < argc; ++i) {
        const QString arg = QString::fromLocal8Bit(argv[i]);
        if (arg == "--") {  // the rest are positional
            for (; i < argc; ++i)
                scan.qtArgv.push_back(argv[i]);
            break;
        }
        if (arg == "--session" || arg == "-session") {
            if (i + 1 < argc)
                scan.session = QString::fromLocal8Bit(argv[++i]);
            else
                scan.sessionMissingValue = true;
            continue;
        }
        if (arg.startsWith("--session=") || arg.startsWith("-session=")) {
            scan.session = arg.mid(arg.indexOf('=') + 1);
            continue;
        }
        if (arg == "-h" || arg == "--help" || arg == "-?" || arg == "--help-all" || arg == "-v" ||
            arg == "--version")
            scan.helpOrVersion = true;
        scan.qtArgv.push_back(argv[i]);
    }
    scan.qtArgv.push_back(nullptr);
    return scan;
}

struct Options {
    QCommandLineOption model{"model",
                             "Model: 'default', a bundle directory, a Stable Diffusion "
                             ".safetensors file or diffusers folder.",
                             "M", "default"};
    QCommandLineOption device{"device",
                              "Where the model runs: auto (CUDA when available), cpu, "
                              "cuda or cuda:N.",
                              "D", "auto"};
    QCommandLineOption dtype{"dtype",
                             "Model weights and activations: float32, float16 or "
                             "bfloat16.",
                             "T", "float32"};
    QCommandLineOption image{"image", "Image to open (PNG, JPEG, BMP).", "FILE"};
    QCommandLineOption prompt{"prompt", "Prompt to start with.", "TEXT"};
    QCommandLineOption session{QStringList{"open-session", "session"},
                               "Session file (.infolens) to open (a .infolens FILE argument "
                               "does the same).",
                               "FILE"};
    QCommandLineOption screenshot{"screenshot",
                                  "Once the maps converge, save a screenshot of the screen to "
                                  "FILE (plus FILE.json with the view's position) and quit.",
                                  "FILE"};
    QCommandLineOption fresh{"fresh-layout", "Ignore the remembered window layout and settings."};
    QCommandLineOption colormap{
        "colormap", "Colormap: viridis, magma, inferno, cividis, turbo, jet or gray.", "NAME"};
    QCommandLineOption grid{"grid", "Show all words as a grid of small multiples."};
    QCommandLineOption perMap{"per-map-scale",
                              "Draw each map on its own scale instead of one shared scale."};
    QCommandLineOption contour{"contour", "Draw the threshold contour."};
    QCommandLineOption mask{"mask", "Hide the overlay below the threshold."};
    QCommandLineOption exportFigure{"export-figure",
                                    "Once the maps converge, also export the figure to FILE "
                                    "(.png at 300 dpi or .pdf) (with --screenshot).",
                                    "FILE"};
    QCommandLineOption printState{
        "print-state",
        "Once the model is loaded and the start image or session is open, print the state "
        "(prompt, image, session, seeds, errors) as JSON on stdout and quit."};
};

void setUp(QCommandLineParser& parser, const Options& o) {
    parser.setApplicationDescription(
        "InfoLens: live per-word information maps of a text-to-image diffusion model.\n"
        "With no options it opens the bundled sample image and prompt on the default model.\n"
        "FILE: a session (.infolens) or an image to open, as a double-click would.");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOptions({o.model, o.device, o.dtype, o.image, o.prompt, o.session, o.screenshot,
                       o.fresh, o.colormap, o.grid, o.perMap, o.contour, o.mask, o.exportFigure,
                       o.printState});
    parser.addPositionalArgument("FILE", "A session (.infolens) or an image to open.", "[FILE]");
}

void setApplicationNames() {
    QCoreApplication::setOrganizationName("InfoLens");
    QCoreApplication::setApplicationName("InfoLens");
    QCoreApplication::setApplicationVersion(INFOLENS_VERSION);
}

void printState(const infolens::ui::MainWindow& window) {
    const infolens::ui::Sampling& sampling = window.sampling();
    QJsonObject state{
        {"model_state",
         window.modelStatus().state == infolens::ModelStatus::State::Ready
             ? "ready"
             : (window.modelStatus().state == infolens::ModelStatus::State::Failed ? "failed"
                                                                                   : "loading")},
        {"prompt", window.prompt()},
        {"image", window.imagePath()},
        {"session", window.sessionPath()},
        {"estimation_seed", QString::number(sampling.seed)},
        {"generation_seed", QString::number(window.generationSeed())},
        {"sample_cap", sampling.sampleCap},
        {"last_error", window.lastError()},
    };
    std::fputs(QJsonDocument(state).toJson(QJsonDocument::Compact).constData(), stdout);
    std::fputs("\n", stdout);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    infolens::limitMallocArenas();
    PreScan scan = preScan(argc, argv);
    int qtArgc = static_cast<int>(scan.qtArgv.size()) - 1;
    const Options o;
    if (scan.helpOrVersion) {
        // --help and --version need no display: a core application answers and exits.
        QCoreApplication app(qtArgc, scan.qtArgv.data());
        setApplicationNames();
        QCommandLineParser parser;
        setUp(parser, o);
        parser.process(app);
        return 0;
    }
    QApplication app(qtArgc, scan.qtArgv.data());
    setApplicationNames();
    QCommandLineParser parser;
    setUp(parser, o);
    parser.process(app);
    if (scan.sessionMissingValue) {
        std::fprintf(stderr, "infolens: --session needs a FILE\n");
        return 1;
    }

    infolens::ui::StartOptions options;
    options.model = parser.value(o.model);
    options.device = parser.value(o.device);
    options.dtype = parser.value(o.dtype);
    options.image = parser.value(o.image);
    options.prompt = parser.value(o.prompt);
    options.session = parser.isSet(o.session) ? parser.value(o.session) : scan.session;
    const QStringList files = parser.positionalArguments();
    if (files.size() > 1) {
        std::fprintf(stderr, "infolens: one FILE at most (got %d); see --help\n",
                     static_cast<int>(files.size()));
        return 1;
    }
    if (!files.isEmpty()) {
        const QString& file = files.front();
        const bool isSession = file.endsWith(".infolens", Qt::CaseInsensitive);
        QString& slot = isSession ? options.session : options.image;
        if (!slot.isEmpty() && slot != file) {
            std::fprintf(stderr, "infolens: %s given twice (%s and %s)\n",
                         isSession ? "a session" : "an image", qPrintable(slot), qPrintable(file));
            return 1;
        }
        slot = file;
    }
    options.restoreLayout = !parser.isSet(o.fresh);
    const bool scripted = parser.isSet(o.screenshot) || parser.isSet(o.printState);
    options.interactive = !scripted;  // no message box may wait for a click
    std::unique_ptr<infolens::ui::MainWindow> window;
    try {
        window = std::make_unique<infolens::ui::MainWindow>(infolens::builtinRegistry(), options);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "infolens: %s\n", e.what());
        if (!scripted)
            QMessageBox::critical(nullptr, "InfoLens", QString::fromUtf8(e.what()));
        return 1;
    }
    infolens::ui::DisplaySettings display = window->display();
    if (parser.isSet(o.colormap))
        display.colormap = parser.value(o.colormap);
    display.grid = display.grid || parser.isSet(o.grid);
    display.sharedScale = display.sharedScale && !parser.isSet(o.perMap);
    display.contour = display.contour || parser.isSet(o.contour);
    display.maskBelowThreshold = display.maskBelowThreshold || parser.isSet(o.mask);
    window->setDisplay(display);
    if (scripted)
        window->setInteractive(false);
    if (parser.isSet(o.printState)) {
        QObject::connect(window.get(), &infolens::ui::MainWindow::startProcessed, &app, [&window] {
            printState(*window);
            QApplication::exit(0);
        });
    } else if (parser.isSet(o.screenshot)) {
        scheduleScreenshot(*window, parser.value(o.screenshot), parser.value(o.exportFigure));
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
