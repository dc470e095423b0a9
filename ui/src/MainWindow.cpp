#include "infolens/ui/MainWindow.h"

#include <QAction>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QStatusBar>
#include <QVBoxLayout>
#include <algorithm>
#include <memory>
#include <utility>

#include "infolens/render/Colormap.h"
#include "infolens/ui/DisplayToolbar.h"
#include "infolens/ui/ExportActions.h"
#include "infolens/ui/FileDialogs.h"
#include "infolens/ui/ImageView.h"
#include "infolens/ui/InterventionController.h"
#include "infolens/ui/InterventionExport.h"
#include "infolens/ui/InterventionPanel.h"
#include "infolens/ui/InterventionStore.h"
#include "infolens/ui/ModelDialogs.h"
#include "infolens/ui/NoiseChart.h"
#include "infolens/ui/NoticeBar.h"
#include "infolens/ui/PromptController.h"
#include "infolens/ui/PromptEditor.h"
#include "infolens/ui/ImageFit.h"
#include "infolens/ui/PromptFit.h"
#include "infolens/ui/SamplingDialog.h"
#include "infolens/ui/SettingsStore.h"
#include "infolens/ui/ShortcutsDialog.h"
#include "infolens/ui/StatusPanel.h"
#include "infolens/ui/WordPanel.h"
#include "infolens/ui/WorkerBridge.h"

namespace infolens::ui {

namespace {

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

QString sentence(QString text) {
    if (!text.isEmpty())
        text[0] = text[0].toUpper();
    return text.endsWith('.') ? text : text + '.';
}

}  // namespace

MainWindow::MainWindow(const ModelRegistry& registry, const StartOptions& options, QWidget* parent)
    : QMainWindow(parent),
      m_settings(std::make_unique<SettingsStore>()),
      m_interactive(options.interactive) {
    setWindowTitle("InfoLens");
    setAcceptDrops(true);
    m_bridge = std::make_unique<WorkerBridge>(
        registry, options.model,
        ModelPlacementChoice{options.device.toStdString(), options.dtype.toStdString()});

    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    m_editor = new PromptEditor(central);
    m_notice = new NoticeBar(central);
    m_imageFitNotice = new ImageFitNotice(central);
    m_fitNotice = new NoticeBar(central);
    m_fitNotice->setObjectName("fitNotice");
    m_fitNotice->setToolTip(tr("Shown when the prompt's i_s < %1 × its i_o beyond %2 standard "
                               "errors, or i_s is below zero beyond %2 standard errors.\n\n")
                                .arg(kFitShare)
                                .arg(kFitSigmas) +
                            orthogonalFormExplanation() + "\n\n" + standardFormExplanation());
    m_view = new ImageView(central);
    m_view->setObjectName("imageView");
    layout->addWidget(m_editor);
    layout->addWidget(m_notice);
    layout->addWidget(m_fitNotice);
    layout->addWidget(m_imageFitNotice);
    layout->addWidget(m_view, 1);
    setCentralWidget(central);

    auto addDock = [this](const QString& title, const char* name, QWidget* widget,
                          Qt::DockWidgetArea area) {
        auto* dock = new QDockWidget(title, this);
        dock->setObjectName(name);
        dock->setWidget(widget);
        addDockWidget(area, dock);
    };
    m_words = new WordPanel(this);
    m_words->setThumbnailMaker([this](int word) { return m_view->renderWord(word, 1); });
    addDock(tr("Words"), "wordsDock", m_words, Qt::RightDockWidgetArea);
    m_chart = new NoiseChart(this);
    addDock(tr("Noise levels"), "noiseDock", m_chart, Qt::BottomDockWidgetArea);
    m_toolbar = new DisplayToolbar(this);
    addToolBar(m_toolbar);
    addToolBar(m_toolbar->generateToolBar());
    m_status = new StatusPanel(statusBar());

    m_prompt = new PromptController(
        m_editor, [this](const QString& prompt) { return m_bridge->analyze(prompt); }, this);
    m_documents = new DocumentController(
        this, *m_bridge, *m_settings,
        [this] {
            m_prompt->flush();  // save the text as shown
            DocumentState state{m_prompt->prompt(), m_prompt->modes(), m_prompt->placeholder(),
                                 m_sampling,         m_display,         m_selectedWord};
            if (m_interventions)
                state.interventions = m_interventions->outcomes();
            return state;
        },
        this);
    m_exports = new ExportActions(
        this, *m_settings,
        [this] {
            return ExportSource{m_result,
                                m_view,
                                m_display,
                                m_selectedWord,
                                m_bridge->model(),
                                m_documents->imagePath(),
                                m_documents->imageHash(),
                                m_documents->generationSeed()};
        },
        this);
    m_documents->setInteractive(m_interactive);
    buildInterventions();
    buildMenus();

    connect(m_prompt, &PromptController::changed, this, &MainWindow::recompute);
    connect(m_prompt, &PromptController::modesReset, this,
            [this](const QString& text) { m_notice->showNotice(text, false); });
    connect(m_prompt, &PromptController::wordsChanged, this, [this](int count) {
        if (m_selectedWord >= count)
            m_selectedWord = -1;
        m_editor->setSelectedWord(m_selectedWord);
    });
    connect(m_editor, &PromptEditor::wordClicked, this, &MainWindow::selectWord);
    connect(m_editor, &PromptEditor::wordMenuRequested, this, [this](int word, QPoint at) {
        std::unique_ptr<QMenu> menu(buildWordMenu(word, this));
        menu->exec(at);
    });
    connect(m_words, &WordPanel::wordMenuRequested, this, [this](int word, QPoint at) {
        std::unique_ptr<QMenu> menu(buildWordMenu(word, this));
        menu->exec(at);
    });
    connect(m_words, &WordPanel::wordClicked, this, &MainWindow::selectWord);
    connect(m_toolbar, &DisplayToolbar::displayChanged, this, &MainWindow::setDisplay);
    // The toolbar's image seed drives Generate only; the estimation seed (m_sampling) is not
    // touched by it, so generating or changing it never changes how values are estimated.
    connect(m_toolbar, &DisplayToolbar::generateRequested, this, [this] {
        // Typing still in the debounce window is committed first, so its recompute cannot land
        // after the generation starts.
        m_prompt->flush();
        m_documents->generateImage(m_prompt->prompt(), m_toolbar->generationSeed());
    });
    connect(m_documents, &DocumentController::imageChanged, this, &MainWindow::setImage);
    connect(m_documents, &DocumentController::restored, this, &MainWindow::applyDocument);
    connect(m_documents, &DocumentController::sampleChosen, this, [this](const QString& caption) {
        if (m_prompt->prompt().isEmpty())  // typed while the model loaded: kept
            m_prompt->reset(caption, {}, m_prompt->placeholder());
    });
    connect(m_documents, &DocumentController::promptSuggested, this,
            [this](const QString& caption) { m_prompt->setPrompt(caption); });
    connect(m_documents, &DocumentController::notice, m_notice, &NoticeBar::showNotice);
    connect(m_documents, &DocumentController::computeRequested, this, &MainWindow::recompute);
    connect(m_documents, &DocumentController::message, this, &MainWindow::showMessage);
    connect(m_documents, &DocumentController::failed, this, &MainWindow::fail);
    connect(m_exports, &ExportActions::message, this, &MainWindow::showMessage);
    connect(m_exports, &ExportActions::failed, this, &MainWindow::fail);
    connect(m_bridge.get(), &WorkerBridge::modelStatusChanged, this, &MainWindow::onModelStatus);
    connect(m_bridge.get(), &WorkerBridge::resultArrived, this, &MainWindow::showResult);
    connect(m_view, &ImageView::hoverText, this,
            [this](const QString& text) { showMessage(text, 0); });
    connect(m_view, &ImageView::rendererFellBack, this, [this](const QString& reason) {
        m_status->showRendererFellBack();
        m_notice->showNotice(
            tr("The Vulkan renderer failed (%1); the CPU renderer took over.").arg(reason), true);
    });

    if (options.restoreLayout) {
        restoreGeometry(m_settings->windowGeometry());
        restoreState(m_settings->windowState());
        m_display = m_settings->display(m_display);
    }
    if (!m_settings->hasWindowGeometry() || !options.restoreLayout) {
        resize(1180, 780);
        // Room for the words panel's two value columns.
        if (auto* words = findChild<QDockWidget*>("wordsDock"))
            resizeDocks({words}, {470}, Qt::Horizontal);
    }
    setDisplay(m_display);
    m_status->showModelLoading(options.model);
    m_status->showRenderer(m_view->usingVulkan(), m_view->rendererDescription());
    if (!m_view->usingVulkan())
        statusBar()->showMessage(m_view->rendererDescription(), 10000);

    // Asked for now; opened once the model is ready (onModelStatus).
    m_prompt->reset(options.prompt, {}, "_");
    if (!options.session.isEmpty())
        openSession(options.session);
    else if (!options.image.isEmpty())
        openImage(options.image);
    else
        m_startWithSample = true;
}

MainWindow::~MainWindow() {
    // The controllers refer to the bridge and the settings, which go before the child objects.
    delete m_exports;
    delete m_documents;
    delete m_prompt;
}

// The display toolbar and the Generate toolbar share a row when the window is wide enough, else
// Generate gets a second row: Seed and Generate stay on screen at any width (1024 px included).
void MainWindow::fitToolBars() {
    QToolBar* generate = m_toolbar->generateToolBar();
    if (toolBarArea(generate) != Qt::TopToolBarArea || toolBarArea(m_toolbar) != Qt::TopToolBarArea)
        return;
    const int needed = m_toolbar->sizeHint().width() + generate->sizeHint().width() + 16;
    const bool split = width() < needed;
    if (split == toolBarBreak(generate))
        return;
    if (split)
        insertToolBarBreak(generate);
    else
        removeToolBarBreak(generate);
}

void MainWindow::resizeEvent(QResizeEvent* event) {
    QMainWindow::resizeEvent(event);
    fitToolBars();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (!m_documents->maybeSaveChanges(tr("quitting"))) {
        event->ignore();
        return;
    }
    m_settings->setWindow(saveGeometry(), saveState());
    m_settings->setDisplay(m_display);
    m_bridge->cancel();
    event->accept();
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    m_documents->addFileActions(file);
    file->addSeparator();
    file->addAction(tr("Open &Model…"), QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_O), this, [this] {
        const QString spec = askModelPath(this, QString(), false);
        if (!spec.isEmpty())
            openModel(spec);
    });
    file->addAction(tr("Open Model &Folder…"), this, [this] {
        const QString spec = askModelPath(this, QString(), true);
        if (!spec.isEmpty())
            openModel(spec);
    });
    m_recentModels = file->addMenu(tr("Recent Mo&dels"));
    connect(m_recentModels, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentModels);
    rebuildRecentModels();
    file->addSeparator();
    QMenu* exportMenu = file->addMenu(tr("&Export"));
    m_exports->addTo(exportMenu);
    exportMenu->addSeparator();
    exportMenu->addAction(tr("Interventions &Table…"), this, [this] {
        const QString path = askSavePath(this, *m_settings, tr("Export Interventions Table"),
                                         tr("CSV (*.csv);;JSON (*.json)"), "csv");
        if (!path.isEmpty())
            exportInterventionsTable(path);
    });
    exportMenu->addAction(tr("&Intervention Figure…"), this, [this] {
        const QString path = askSavePath(this, *m_settings, tr("Export Intervention Figure"),
                                         tr("PNG (*.png);;PDF (*.pdf)"), "png");
        if (!path.isEmpty())
            exportInterventionFigure(path, 300);
    });
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    m_prompt->addUndoActions(edit);
    edit->addSeparator();
    edit->addAction(tr("&Generate Image from Prompt"), QKeySequence(Qt::CTRL | Qt::Key_G),
                    m_toolbar, &DisplayToolbar::generateRequested);
    edit->addAction(tr("Estimation &Settings…"), this, &MainWindow::editSampling);
    edit->addAction(tr("Re&compute"), QKeySequence(Qt::Key_F5), this, [this] {
        const QString reason = m_bridge->unusableReason();
        if (!reason.isEmpty())
            fail(tr("Recompute"), reason);
        recompute();
    });
    edit->addAction(tr("&Stop"), QKeySequence(Qt::Key_Escape), this, [this] {
        m_bridge->cancel();
        m_interventionActions->cancel();
        m_status->hideProgress();
        statusBar()->showMessage(tr("Stopped."), 3000);
    });

    edit->actions().last()->setToolTip(tr("Stops the maps and the interventions"));
    m_interventionActions->addTo(menuBar()->addMenu(tr("&Interventions")));

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(m_toolbar->gridAction());
    view->addAction(tr("&Reset Zoom"), QKeySequence(Qt::CTRL | Qt::Key_0), m_view,
                    &ImageView::resetView);
    view->addSeparator();
    for (QDockWidget* dock : findChildren<QDockWidget*>())
        view->addAction(dock->toggleViewAction());

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard Shortcuts"), QKeySequence(Qt::CTRL | Qt::Key_Slash), this,
                    [this] {
                        ShortcutsDialog dialog(menuBar(), this);
                        dialog.exec();
                    });
    help->addAction(tr("&Model Card"), this, [this] {
        if (m_bridge->modelReady())
            showModelCard(this, m_bridge->model());
        else
            fail(tr("Model Card"), q(m_bridge->modelStatus().message));
    });
    help->addAction(tr("&About InfoLens"), this, [this] {
        showAbout(this, m_bridge->modelStatus(), m_view->rendererDescription());
    });
}

void MainWindow::openModel(const QString& spec) {
    m_prompt->flush();
    m_settings->addRecentModel(spec);
    m_switchingModel = true;
    m_notice->hide();
    clearMaps();
    m_bridge->loadModel(spec);  // reports Loading at once (onModelStatus)
    m_prompt->reanalyze();      // no words until the new model is ready
}

void MainWindow::rebuildRecentModels() {
    m_recentModels->clear();
    const QStringList recent = m_settings->recentModels();
    for (const QString& spec : recent) {
        QString text = spec;
        if (text.size() > 70)
            text = QString::fromUtf8("\u2026") + text.right(69);
        m_recentModels->addAction(text, this, [this, spec] { openModel(spec); })->setToolTip(spec);
    }
    m_recentModels->setEnabled(!recent.isEmpty());
}

void MainWindow::onModelStatus(const ModelStatus& status) {
    if (status.state == ModelStatus::State::Loading) {
        m_status->showModelLoading(m_bridge->modelSpec());
        m_status->showWaitingForModel();
        return;
    }
    m_prompt->reanalyze();  // the words, or why there are none
    if (status.state == ModelStatus::State::Failed) {
        m_switchingModel = false;
        m_status->showModelFailed(q(status.message));
        modelUnusable(q(status.message));
        Q_EMIT startProcessed();
        return;
    }
    const ModelSummary& model = status.summary;
    m_status->showModelReady(model);
    m_imageFitNotice->setModel(model);
    m_settings->addRecentModel(m_bridge->modelSpec());
    const QString reason = m_bridge->unusableReason();
    if (!reason.isEmpty()) {
        modelUnusable(reason + tr(": InfoLens maps what an image model knows about an image's "
                                  "pixels (try --model default)"));
        Q_EMIT startProcessed();
        return;
    }
    const bool switched = std::exchange(m_switchingModel, false);
    if (switched && m_documents->hasImage()) {
        m_documents->refitToModel();  // the image at the new model's size, then its maps
    } else if (!m_documents->openStart(m_startWithSample || switched)) {
        recompute();  // what was asked for while the model loaded
    }
    Q_EMIT startProcessed();
}

std::uint64_t MainWindow::generationSeed() const {
    return m_toolbar->generationSeed();
}

void MainWindow::setSampling(const Sampling& sampling) {
    const bool changed = sampling.seed != m_sampling.seed ||
                         sampling.sampleCap != m_sampling.sampleCap ||
                         sampling.targetRelativeSe != m_sampling.targetRelativeSe ||
                         sampling.iidSampler != m_sampling.iidSampler;
    m_sampling = sampling;
    if (changed)
        recompute();
}

void MainWindow::editSampling() {
    SamplingDialog dialog(this);
    dialog.setSampling(m_sampling);
    if (dialog.exec() == QDialog::Accepted)
        setSampling(dialog.sampling());
}

void MainWindow::modelUnusable(const QString& reason) {
    m_documents->dropPending();
    m_bridge->cancel();
    clearMaps();
    m_notice->showNotice(sentence(reason), true);
    fail(tr("Model"), reason);
    Q_EMIT modelUnavailable(reason);
}

void MainWindow::setDisplay(const DisplaySettings& display) {
    m_display = display;
    const std::vector<std::string>& names = colormapNames();
    if (std::find(names.begin(), names.end(), m_display.colormap.toStdString()) == names.end()) {
        m_notice->showNotice(tr("Unknown colormap \"%1\"; using viridis.").arg(m_display.colormap),
                             true);
        m_display.colormap = "viridis";
    }
    m_toolbar->setDisplay(m_display);
    m_view->setDisplay(m_display);
    m_interventionPanel->setColormap(m_display.colormap);
    m_words->refreshThumbnails();
}

void MainWindow::applyDocument(const DocumentState& state) {
    m_sampling = state.sampling;  // the estimation seed; the toolbar's image seed stays
    DisplaySettings display = state.display;
    display.grid = m_display.grid;  // not part of a session
    setDisplay(display);
    m_selectedWord = state.selectedWord;
    m_prompt->reset(state.prompt, state.modes, state.placeholder);  // recomputes
    restoreInterventions(state.interventions);
}

void MainWindow::setImage(const Image& image, const QString& path, const QString& notice) {
    m_result.reset();
    updateInterventionContext();
    m_view->setImage(image);
    m_words->setResult(nullptr);
    m_chart->setResult(nullptr);
    m_fitNotice->showNotice(QString());
    m_imageFitNotice->clear();
    m_notice->showNotice(notice);
    setWindowTitle(path.isEmpty() ? tr("InfoLens — generated image")
                                  : tr("InfoLens — %1").arg(QFileInfo(path).fileName()));
}

void MainWindow::selectWord(int word) {
    m_selectedWord = word;
    m_editor->setSelectedWord(word);
    m_words->setSelectedWord(word);
    m_view->setSelectedWord(word);
    m_chart->setSelectedWord(word);
    if (m_result && word >= 0 && word < static_cast<int>(m_result->words.size()))
        m_status->showWordValue(m_result->words[word]);
}

void MainWindow::clearMaps() {
    m_result.reset();
    m_fitNotice->showNotice(QString());
    m_imageFitNotice->clear();
    m_view->setResult(nullptr);
    m_words->setResult(nullptr);
    m_chart->setResult(nullptr);
    m_status->showNoMaps();
}

void MainWindow::recompute() {
    if (m_prompt->commitPendingEdit())
        return;  // comes back here through PromptController::changed
    updateInterventionContext();
    if (m_bridge->modelStatus().state == ModelStatus::State::Loading) {
        m_status->showWaitingForModel();  // onModelStatus computes once the model is ready
        return;
    }
    const PromptAnalysis analysis = m_bridge->analyze(m_prompt->prompt());
    const std::shared_ptr<const Image> image = m_documents->image();
    if (!image || !analysis.problem.empty() || !m_bridge->unusableReason().isEmpty()) {
        m_bridge->cancelMaps();  // a generation asked for meanwhile must still arrive
        clearMaps();
        return;
    }
    LiveRequest request;
    request.prompt = m_prompt->prompt().toStdString();
    request.image = image;
    request.modes = m_prompt->modes();
    request.placeholder = m_prompt->placeholder().toStdString();
    request.sampleCap = m_sampling.sampleCap;
    request.targetRelativeSe = m_sampling.targetRelativeSe;
    request.seed = m_sampling.seed;
    request.iidSampler = m_sampling.iidSampler;
    m_bridge->submit(std::move(request));
    m_status->showComputing(m_sampling.sampleCap);
}

void MainWindow::showResult(std::shared_ptr<const LiveResult> result) {
    if (!result->error.empty()) {
        m_notice->showNotice(q(result->error), true);
        clearMaps();
        return;
    }
    if (m_notice->showsError())
        m_notice->hide();
    m_result = result;
    if (m_selectedWord < 0 || m_selectedWord >= static_cast<int>(result->words.size())) {
        // Start on the word that carries the most information about the image.
        int best = -1;
        for (int i = 0; i < static_cast<int>(result->words.size()); ++i) {
            if (best < 0 || result->words[i].bits > result->words[best].bits)
                best = i;
        }
        m_selectedWord = best;
    }
    m_toolbar->setAttentionAvailable(result->attentionAvailable);
    m_view->setResult(result);
    m_words->setResult(result);
    m_chart->setResult(result);
    selectWord(m_selectedWord);
    m_status->showResult(*result);
    showPromptFit(*result);
    m_imageFitNotice->showResult(*result);
    Q_EMIT resultShown(result);
}

// The warning is decided on finished results only (converged or at the cap), where the standard
// errors are trustworthy, so it does not flicker while the values refine; a result for another
// prompt or image takes an earlier warning down.
void MainWindow::showPromptFit(const LiveResult& result) {
    if (!result.finished) {
        if (m_fitNotice->property("prompt").toString() != q(result.prompt))
            m_fitNotice->showNotice(QString());
        return;
    }
    const PromptFit fit = assessPromptFit(result.mi);
    m_fitNotice->setProperty("prompt", q(result.prompt));
    m_fitNotice->showNotice(fit.message, true);
}

void MainWindow::showMessage(const QString& text, int timeoutMs) {
    if (text.isEmpty())
        statusBar()->clearMessage();
    else
        statusBar()->showMessage(text, timeoutMs);
}

void MainWindow::fail(const QString& title, const QString& message) {
    m_lastError = message;
    if (m_interactive)
        QMessageBox::warning(this, title, message);
    else
        statusBar()->showMessage(title + ": " + message, 10000);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.front().isLocalFile())
        return;
    m_documents->openFile(urls.front().toLocalFile());
    event->acceptProposedAction();
}

}  // namespace infolens::ui

namespace infolens::ui {

void MainWindow::buildInterventions() {
    m_interventions = new InterventionStore(m_prompt->undoStack(), this);
    m_interventionPanel = new InterventionPanel(m_interventions, this);
    auto* dock = new QDockWidget(tr("Interventions"), this);
    dock->setObjectName("interventionsDock");
    dock->setWidget(m_interventionPanel);
    addDockWidget(Qt::BottomDockWidgetArea, dock);
    // The noise chart stays the visible tab; an intervention raises its own dock when it arrives.
    if (auto* noise = findChild<QDockWidget*>("noiseDock")) {
        tabifyDockWidget(noise, dock);
        noise->raise();
    }
    m_interventionActions = new InterventionController(
        this, m_interventions, m_interventionPanel,
        [this] {
            m_prompt->flush();
            InterventionSource source;
            source.image = m_documents->image();
            source.prompt = m_prompt->prompt();
            source.modes = m_prompt->modes();
            source.placeholder = m_prompt->placeholder();
            source.seed = m_sampling.seed;
            source.samples = std::min(m_sampling.sampleCap, 64);
            source.selectedWord = m_selectedWord;
            const PromptAnalysis analysis = m_bridge->analyze(source.prompt);
            for (const PromptWord& w : analysis.words)
                source.words.push_back(w.text);
            source.problem = m_bridge->unusableReason();
            if (source.problem.isEmpty())
                source.problem = q(analysis.problem);
            return source;
        },
        [this](std::vector<InterventionRequest> requests) {
            return m_bridge->intervene(std::move(requests));
        },
        [this] { m_bridge->cancelInterventions(); }, this);
    connect(m_bridge.get(), &WorkerBridge::interventionArrived, m_interventionActions,
            &InterventionController::receive);
    connect(m_bridge.get(), &WorkerBridge::interventionProgress, m_interventionActions,
            &InterventionController::receiveProgress);
    // A finished intervention is shown: its dock comes to the front.
    connect(m_interventions, &InterventionStore::selectionChanged, this, [dock](int index) {
        if (index >= 0)
            dock->raise();
    });
}

// Interventions made for another prompt, image or model stay, marked stale.
void MainWindow::updateInterventionContext() {
    InterventionContext context;
    context.prompt = m_prompt->prompt().toStdString();
    context.image = m_documents->image().get();
    context.modelHash = m_bridge->modelReady() ? m_bridge->model().hash : std::string();
    const InterventionContext& now = m_interventions->context();
    if (context.prompt != now.prompt || context.image != now.image ||
        context.modelHash != now.modelHash)
        m_interventions->setContext(context);
}

// A session's interventions are shown again without recomputing only when they were computed
// with the loaded model (same hash); the others are dropped with a notice. They belong to the
// session's image, which is the open one now.
void MainWindow::restoreInterventions(
    const std::vector<std::shared_ptr<const InterventionOutcome>>& saved) {
    const std::string hash = m_bridge->modelReady() ? m_bridge->model().hash : std::string();
    std::vector<std::shared_ptr<const InterventionOutcome>> kept;
    for (const auto& o : saved) {
        if (o->modelHash != hash)
            continue;
        auto copy = std::make_shared<InterventionOutcome>(*o);
        copy->request.image = m_documents->image();
        kept.push_back(std::move(copy));
    }
    const std::size_t dropped = saved.size() - kept.size();
    updateInterventionContext();
    m_interventions->reset(std::move(kept));
    if (dropped > 0)
        m_notice->showNotice(tr("%n intervention(s) of the session were computed with another "
                                "model and are not shown (run them again with this model).",
                                nullptr, static_cast<int>(dropped)),
                             false);
}

QMenu* MainWindow::buildWordMenu(int word, QWidget* parent) {
    auto* menu = new QMenu(parent);
    const bool placeholder = word >= 0 && word < static_cast<int>(m_prompt->modes().size()) &&
                             m_prompt->modes()[static_cast<std::size_t>(word)] ==
                                 WordMode::Placeholder;
    menu->addAction(placeholder ? tr("Compute with the Word &Omitted")
                                : tr("Compute with the &Placeholder \u201c%1\u201d")
                                      .arg(m_prompt->placeholder()),
                    this, [this, word] { m_prompt->toggleMode(word); })
        ->setObjectName("toggleModeAction");
    menu->addSeparator();
    m_interventionActions->addWordActions(menu, word);
    return menu;
}

bool MainWindow::exportInterventionFigure(const QString& path, int dpi) {
    try {
        const QString footer = tr("%1 \u00b7 model %2 \u00b7 maps: each on its own scale (0 to "
                                  "its maximum) \u00b7 CMI in bits, i_o \u00b1 SE")
                                   .arg(QString("InfoLens"), q(m_bridge->model().name));
        const InterventionFigureContent content =
            interventionFigureContent(*m_interventions, m_display.colormap, footer);
        if (path.endsWith(".pdf", Qt::CaseInsensitive))
            exportInterventionFigurePdf(path, content);
        else
            exportInterventionFigurePng(path, content, dpi > 0 ? dpi : 300);
        showMessage(tr("Figure written to %1").arg(path), 5000);
        return true;
    } catch (const std::exception& e) {
        fail(tr("Export Intervention Figure"), q(e.what()));
        return false;
    }
}

bool MainWindow::exportInterventionsTable(const QString& path) {
    try {
        if (path.endsWith(".json", Qt::CaseInsensitive))
            writeInterventionsJson(path, *m_interventions, m_bridge->model().name);
        else
            writeInterventionsCsv(path, *m_interventions);
        showMessage(tr("Interventions written to %1").arg(path), 5000);
        return true;
    } catch (const std::exception& e) {
        fail(tr("Export Interventions"), q(e.what()));
        return false;
    }
}

}  // namespace infolens::ui
