#include "infolens/ui/MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStatusBar>
#include <QTextBrowser>
#include <QToolBar>
#include <QUndoStack>
#include <QVBoxLayout>
#include <algorithm>
#include <filesystem>

#include "FigureExporter.h"
#include "infolens/render/Colormap.h"
#include "infolens/Error.h"
#include "infolens/io/ResultExport.h"
#include "infolens/io/SessionFile.h"
#include "infolens/io/Sha256.h"
#include "infolens/ui/ImageView.h"
#include "infolens/ui/MapScale.h"
#include "infolens/ui/NoiseChart.h"
#include "infolens/ui/PromptEditor.h"
#include "infolens/ui/WordPanel.h"
#include "infolens/ui/WorkerBridge.h"

namespace infolens::ui {

namespace {

constexpr int kEditDebounceMs = 200;
constexpr int kMaxRecent = 8;
constexpr int kFigureScale = 4;  // figure panels: model pixels enlarged by whole pixels

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

// Undo/redo of a committed prompt edit (a burst of typing, or a word's mode switched).
class PromptCommand : public QUndoCommand {
  public:
    struct State {
        QString prompt;
        std::vector<WordMode> modes;
    };
    PromptCommand(std::function<void(const State&)> apply, State before, State after)
        : m_apply(std::move(apply)), m_before(std::move(before)), m_after(std::move(after)) {
        setText(QObject::tr("Edit Prompt"));
    }
    void undo() override { m_apply(m_before); }
    void redo() override { m_apply(m_after); }

  private:
    std::function<void(const State&)> m_apply;
    State m_before, m_after;
};

// Carries each word's mode to the same word (by text and occurrence) after an edit, so that
// inserting or deleting a word does not move a placeholder onto its neighbour.
std::vector<WordMode> remapModes(const std::vector<std::string>& oldWords,
                                 const std::vector<WordMode>& oldModes,
                                 const std::vector<PromptWord>& newWords) {
    std::vector<WordMode> modes(newWords.size(), WordMode::Omit);
    std::vector<bool> used(oldWords.size(), false);
    for (std::size_t i = 0; i < newWords.size(); ++i) {
        for (std::size_t j = 0; j < oldWords.size() && j < oldModes.size(); ++j) {
            if (!used[j] && oldWords[j] == newWords[i].text) {
                used[j] = true;
                modes[i] = oldModes[j];
                break;
            }
        }
    }
    return modes;
}

}  // namespace

MainWindow::MainWindow(const ModelRegistry& registry, const StartOptions& options,
                       QWidget* parent)
    : QMainWindow(parent), m_modelSpec(options.model) {
    setWindowTitle("InfoLens");
    setAcceptDrops(true);
    m_bridge = std::make_unique<WorkerBridge>(registry, options.model);
    m_undo = new QUndoStack(this);

    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    m_editor = new PromptEditor(central);
    m_notice = new QLabel(central);
    m_notice->setObjectName("notice");
    m_notice->setWordWrap(true);
    m_notice->hide();
    m_view = new ImageView(central);
    m_view->setObjectName("imageView");
    layout->addWidget(m_editor);
    layout->addWidget(m_notice);
    layout->addWidget(m_view, 1);
    setCentralWidget(central);

    m_words = new WordPanel(this);
    m_words->setThumbnailMaker([this](int word) { return m_view->renderWord(word, 1); });
    auto* wordDock = new QDockWidget(tr("Words"), this);
    wordDock->setObjectName("wordsDock");
    wordDock->setWidget(m_words);
    addDockWidget(Qt::RightDockWidgetArea, wordDock);
    m_chart = new NoiseChart(this);
    auto* chartDock = new QDockWidget(tr("Noise levels"), this);
    chartDock->setObjectName("noiseDock");
    chartDock->setWidget(m_chart);
    addDockWidget(Qt::BottomDockWidgetArea, chartDock);

    m_editTimer.setSingleShot(true);
    m_editTimer.setInterval(kEditDebounceMs);
    connect(&m_editTimer, &QTimer::timeout, this, &MainWindow::commitPromptEdit);
    connect(m_editor, &PromptEditor::promptEdited, this, [this](const QString&) {
        refreshWords();
        m_editTimer.start();
    });
    connect(m_editor, &PromptEditor::wordClicked, this, &MainWindow::selectWord);
    connect(m_words, &WordPanel::wordClicked, this, &MainWindow::selectWord);
    connect(m_editor, &PromptEditor::modeToggled, this, [this](int word) {
        flushPendingEdit();
        if (word < 0 || word >= static_cast<int>(m_modes.size()))
            return;
        std::vector<WordMode> modes = m_modes;
        modes[word] = modes[word] == WordMode::Omit ? WordMode::Placeholder : WordMode::Omit;
        m_undo->push(new PromptCommand(
            [this](const PromptCommand::State& st) { applyPrompt(st.prompt, st.modes); },
            {m_committedPrompt, m_modes}, {m_committedPrompt, modes}));
    });
    connect(m_editor, &PromptEditor::undoRequested, this, [this] {
        flushPendingEdit();
        m_undo->undo();
    });
    connect(m_editor, &PromptEditor::redoRequested, this, [this] {
        flushPendingEdit();
        m_undo->redo();
    });
    connect(m_bridge.get(), &WorkerBridge::resultArrived, this, &MainWindow::showResult);
    connect(m_bridge.get(), &WorkerBridge::imageGenerated, this,
            [this](std::shared_ptr<const GenerateResult> r) {
                if (!r->error.empty()) {
                    fail(tr("Generate"), q(r->error));
                    recompute();  // the maps of the current image were interrupted
                    return;
                }
                m_sessionPath.clear();  // a new image: Save asks where
                statusBar()->clearMessage();
                setImage(r->image, QString(),
                         tr("Generated from \"%1\" with seed %2 in %3 ms.")
                             .arg(q(r->prompt))
                             .arg(r->seed)
                             .arg(r->elapsedMs, 0, 'f', 0));
                recompute();
            });
    connect(m_view, &ImageView::hoverText, this, [this](const QString& text) {
        if (text.isEmpty())
            statusBar()->clearMessage();
        else
            statusBar()->showMessage(text);
    });
    connect(m_view, &ImageView::rendererFellBack, this, [this](const QString& reason) {
        m_rendererLabel->setText(tr("CPU renderer"));
        showNotice(tr("The Vulkan renderer failed (%1); the CPU renderer took over.").arg(reason),
                   true);
    });

    buildMenus();
    buildToolbar();
    buildStatusBar();

    QSettings settings;
    if (options.restoreLayout) {
        restoreGeometry(settings.value("window/geometry").toByteArray());
        restoreState(settings.value("window/state").toByteArray());
        m_display.colormap = settings.value("display/colormap", m_display.colormap).toString();
        m_display.opacity = settings.value("display/opacity", m_display.opacity).toDouble();
        m_display.sharedScale =
            settings.value("display/sharedScale", m_display.sharedScale).toBool();
        m_display.contour = settings.value("display/contour", m_display.contour).toBool();
        m_display.fadeLowValues = settings.value("display/fade", m_display.fadeLowValues).toBool();
        m_display.maskBelowThreshold =
            settings.value("display/mask", m_display.maskBelowThreshold).toBool();
        m_display.thresholdFraction =
            settings.value("display/threshold", m_display.thresholdFraction).toDouble();
    }
    if (!settings.contains("window/geometry") || !options.restoreLayout)
        resize(1180, 780);
    setDisplay(m_display);

    const ModelSummary& model = m_bridge->model();
    m_deviceLabel->setText(tr("Model %1 · %2").arg(q(model.name), q(model.device)));
    m_rendererLabel->setText(m_view->usingVulkan() ? tr("Vulkan renderer") : tr("CPU renderer"));
    m_rendererLabel->setToolTip(m_view->rendererDescription());
    if (!m_view->usingVulkan())
        statusBar()->showMessage(m_view->rendererDescription(), 10000);

    if (!options.session.isEmpty()) {
        openSession(options.session);
        return;
    }
    QString image = options.image, prompt = options.prompt;
    if (image.isEmpty()) {
        // The model's family names its sample; models without one open empty.
        image = q(model.sampleImage);
        if (prompt.isEmpty())
            prompt = q(model.samplePrompt);
    }
    m_committedPrompt = prompt;
    m_editor->setPrompt(prompt);
    refreshWords();
    m_committedModes = m_modes;
    if (!image.isEmpty())
        openImage(image);
}

MainWindow::~MainWindow() = default;

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    settings.setValue("display/colormap", m_display.colormap);
    settings.setValue("display/opacity", m_display.opacity);
    settings.setValue("display/sharedScale", m_display.sharedScale);
    settings.setValue("display/contour", m_display.contour);
    settings.setValue("display/fade", m_display.fadeLowValues);
    settings.setValue("display/mask", m_display.maskBelowThreshold);
    settings.setValue("display/threshold", m_display.thresholdFraction);
    m_bridge->cancel();
    event->accept();
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open Image…"), QKeySequence::Open, this, [this] {
        QSettings s;
        const QString path =
            QFileDialog::getOpenFileName(this, tr("Open Image"), s.value("paths/images").toString(),
                                         tr("Images (*.png *.jpg *.jpeg *.bmp);;All files (*)"));
        if (!path.isEmpty()) {
            s.setValue("paths/images", QFileInfo(path).absolutePath());
            openImage(path);
        }
    });
    file->addAction(
        tr("Open &Session…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), this, [this] {
            const QString path =
                QFileDialog::getOpenFileName(this, tr("Open Session"), QString(),
                                             tr("InfoLens sessions (*.infolens);;All files (*)"));
            if (!path.isEmpty())
                openSession(path);
        });
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    rebuildRecentMenu();
    file->addSeparator();
    m_saveSessionAction = file->addAction(tr("&Save Session"), QKeySequence::Save, this, [this] {
        const QString path =
            m_sessionPath.isEmpty()
                ? askSavePath(tr("Save Session"), tr("InfoLens sessions (*.infolens)"), "infolens")
                : m_sessionPath;
        if (!path.isEmpty())
            saveSession(path);
    });
    file->addAction(tr("Save Session &As…"), QKeySequence::SaveAs, this, [this] {
        const QString path =
            askSavePath(tr("Save Session As"), tr("InfoLens sessions (*.infolens)"), "infolens");
        if (!path.isEmpty())
            saveSession(path);
    });
    QMenu* exportMenu = file->addMenu(tr("&Export"));
    exportMenu->addAction(tr("Figure as &PNG…"), QKeySequence(Qt::CTRL | Qt::Key_E), this, [this] {
        bool ok = false;
        const int dpi = QInputDialog::getInt(this, tr("Export Figure"), tr("Resolution (DPI):"),
                                             300, 72, 1200, 1, &ok);
        if (!ok)
            return;
        const QString path = askSavePath(tr("Export Figure"), tr("PNG image (*.png)"), "png");
        if (!path.isEmpty())
            exportFigure(path, dpi);
    });
    exportMenu->addAction(tr("Figure as P&DF (vector)…"), this, [this] {
        const QString path = askSavePath(tr("Export Figure"), tr("PDF document (*.pdf)"), "pdf");
        if (!path.isEmpty())
            exportFigure(path, 0);
    });
    exportMenu->addSeparator();
    exportMenu->addAction(tr("Raw Maps (float32 &NPY)…"), this, [this] {
        const QString path = askSavePath(tr("Export Maps"), tr("NumPy array (*.npy)"), "npy");
        if (!path.isEmpty())
            exportMaps(path);
    });
    exportMenu->addAction(tr("Values as &CSV…"), this, [this] {
        const QString path = askSavePath(tr("Export Values"), tr("CSV (*.csv)"), "csv");
        if (!path.isEmpty())
            exportValues(path);
    });
    exportMenu->addAction(tr("Values as &JSON…"), this, [this] {
        const QString path = askSavePath(tr("Export Values"), tr("JSON (*.json)"), "json");
        if (!path.isEmpty())
            exportValues(path);
    });
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = edit->addAction(tr("&Undo"), QKeySequence::Undo, this, [this] {
        flushPendingEdit();
        m_undo->undo();
    });
    QAction* redo = edit->addAction(tr("&Redo"), QKeySequence::Redo, this, [this] {
        flushPendingEdit();
        m_undo->redo();
    });
    undo->setEnabled(false);
    redo->setEnabled(false);
    connect(m_undo, &QUndoStack::canUndoChanged, undo, &QAction::setEnabled);
    connect(m_undo, &QUndoStack::canRedoChanged, redo, &QAction::setEnabled);
    edit->addSeparator();
    edit->addAction(tr("&Generate Image from Prompt"), QKeySequence(Qt::CTRL | Qt::Key_G), this,
                    &MainWindow::generateImage);
    edit->addAction(tr("Re&compute"), QKeySequence(Qt::Key_F5), this, &MainWindow::recompute);
    edit->addAction(tr("&Stop"), QKeySequence(Qt::Key_Escape), this, [this] {
        m_bridge->cancel();
        m_progress->hide();
        statusBar()->showMessage(tr("Stopped."), 3000);
    });

    QMenu* view = menuBar()->addMenu(tr("&View"));
    m_gridAction = view->addAction(tr("All Words as a &Grid"));
    m_gridAction->setCheckable(true);
    m_gridAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    connect(m_gridAction, &QAction::toggled, this, [this](bool on) {
        DisplaySettings d = m_display;
        d.grid = on;
        setDisplay(d);
    });
    view->addAction(tr("&Reset Zoom"), QKeySequence(Qt::CTRL | Qt::Key_0), m_view,
                    &ImageView::resetView);
    view->addSeparator();
    for (QDockWidget* dock : findChildren<QDockWidget*>())
        view->addAction(dock->toggleViewAction());

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Model Card"), this, &MainWindow::showModelCard);
    help->addAction(tr("&About InfoLens"), this, &MainWindow::showAbout);
}

void MainWindow::buildToolbar() {
    QToolBar* bar = addToolBar(tr("Display"));
    bar->setObjectName("displayToolbar");
    bar->addWidget(new QLabel(tr(" Colormap "), bar));
    m_colormap = new QComboBox(bar);
    for (const std::string& name : colormapNames())
        m_colormap->addItem(q(name));
    bar->addWidget(m_colormap);
    bar->addWidget(new QLabel(tr("  Opacity "), bar));
    m_opacity = new QSlider(Qt::Horizontal, bar);
    m_opacity->setRange(0, 100);
    m_opacity->setFixedWidth(90);
    bar->addWidget(m_opacity);
    m_scaleMode = new QComboBox(bar);
    m_scaleMode->addItems({tr("Shared scale (bits/px)"), tr("Per-map scale")});
    m_scaleMode->setToolTip(
        tr("Shared: one colour scale for all words, so they compare.\n"
           "Per-map: each map stretched to its own maximum."));
    bar->addWidget(m_scaleMode);
    m_fade = new QCheckBox(tr("Fade"), bar);
    m_fade->setToolTip(tr("Let the image show through where the value is low"));
    bar->addWidget(m_fade);
    m_mask = new QCheckBox(tr("Mask"), bar);
    m_mask->setToolTip(tr("Hide the overlay below the threshold"));
    bar->addWidget(m_mask);
    m_contour = new QCheckBox(tr("Contour"), bar);
    m_contour->setToolTip(tr("Draw the threshold's iso-line"));
    bar->addWidget(m_contour);
    m_threshold = new QSlider(Qt::Horizontal, bar);
    m_threshold->setRange(0, 100);
    m_threshold->setFixedWidth(80);
    m_threshold->setToolTip(tr("Threshold, as a share of the scale's maximum"));
    bar->addWidget(m_threshold);
    bar->addAction(m_gridAction);
    bar->addSeparator();
    bar->addWidget(new QLabel(tr(" Seed "), bar));
    m_seedBox = new QSpinBox(bar);
    m_seedBox->setRange(0, 1 << 30);
    m_seedBox->setToolTip(tr("Seed of the estimator's noise and of Generate"));
    bar->addWidget(m_seedBox);
    bar->addAction(tr("Generate"), this, &MainWindow::generateImage)
        ->setToolTip(tr("Generate an image from the prompt with the current model (Ctrl+G)"));

    auto changed = [this] {
        DisplaySettings d = m_display;
        d.colormap = m_colormap->currentText();
        d.opacity = m_opacity->value() / 100.0;
        d.sharedScale = m_scaleMode->currentIndex() == 0;
        d.maskBelowThreshold = m_mask->isChecked();
        d.contour = m_contour->isChecked();
        d.fadeLowValues = m_fade->isChecked();
        d.thresholdFraction = m_threshold->value() / 100.0;
        setDisplay(d);
    };
    connect(m_colormap, &QComboBox::currentIndexChanged, this, changed);
    connect(m_opacity, &QSlider::valueChanged, this, changed);
    connect(m_scaleMode, &QComboBox::currentIndexChanged, this, changed);
    connect(m_mask, &QCheckBox::toggled, this, changed);
    connect(m_contour, &QCheckBox::toggled, this, changed);
    connect(m_fade, &QCheckBox::toggled, this, changed);
    connect(m_threshold, &QSlider::valueChanged, this, changed);
    connect(m_seedBox, &QSpinBox::valueChanged, this, [this](int v) {
        if (static_cast<std::uint64_t>(v) == m_seed)
            return;
        m_seed = static_cast<std::uint64_t>(v);
        recompute();
    });
}

void MainWindow::buildStatusBar() {
    m_deviceLabel = new QLabel(this);
    m_rendererLabel = new QLabel(this);
    m_rendererLabel->setObjectName("rendererLabel");
    m_drawsLabel = new QLabel(this);
    m_drawsLabel->setObjectName("drawsLabel");
    m_rateLabel = new QLabel(this);
    m_seLabel = new QLabel(this);
    m_progress = new QProgressBar(this);
    m_progress->setMaximumWidth(120);
    m_progress->setTextVisible(false);
    m_progress->hide();
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_drawsLabel);
    statusBar()->addPermanentWidget(m_rateLabel);
    statusBar()->addPermanentWidget(m_seLabel);
    statusBar()->addPermanentWidget(m_rendererLabel);
    statusBar()->addPermanentWidget(m_deviceLabel);
}

void MainWindow::syncDisplayControls() {
    const QSignalBlocker b1(m_colormap), b2(m_opacity), b3(m_scaleMode), b4(m_mask), b5(m_contour),
        b6(m_threshold), b7(m_gridAction), b8(m_fade);
    m_colormap->setCurrentText(m_display.colormap);
    m_opacity->setValue(static_cast<int>(m_display.opacity * 100 + 0.5));
    m_scaleMode->setCurrentIndex(m_display.sharedScale ? 0 : 1);
    m_mask->setChecked(m_display.maskBelowThreshold);
    m_contour->setChecked(m_display.contour);
    m_fade->setChecked(m_display.fadeLowValues);
    m_threshold->setValue(static_cast<int>(m_display.thresholdFraction * 100 + 0.5));
    m_gridAction->setChecked(m_display.grid);
}

void MainWindow::setDisplay(const DisplaySettings& display) {
    m_display = display;
    const std::vector<std::string>& names = colormapNames();
    if (std::find(names.begin(), names.end(), m_display.colormap.toStdString()) == names.end()) {
        showNotice(tr("Unknown colormap \"%1\"; using viridis.").arg(m_display.colormap), true);
        m_display.colormap = "viridis";
    }
    syncDisplayControls();
    m_view->setDisplay(m_display);
    m_words->refreshThumbnails();
}

QString MainWindow::prompt() const {
    return m_editor->prompt();
}

void MainWindow::setPrompt(const QString& prompt) {
    m_editor->setPrompt(prompt);
    refreshWords();
    m_editTimer.start();
}

void MainWindow::commitPromptEdit() {
    const QString now = m_editor->prompt();
    if (now == m_committedPrompt) {
        recompute();
        return;
    }
    m_undo->push(new PromptCommand(
        [this](const PromptCommand::State& st) { applyPrompt(st.prompt, st.modes); },
        {m_committedPrompt, m_committedModes}, {now, m_modes}));
}

void MainWindow::flushPendingEdit() {
    if (!m_editTimer.isActive())
        return;
    m_editTimer.stop();
    commitPromptEdit();
}

void MainWindow::applyPrompt(const QString& prompt, const std::vector<WordMode>& modes) {
    m_editTimer.stop();
    m_committedPrompt = prompt;
    m_editor->setPrompt(prompt);
    const PromptAnalysis analysis = m_bridge->analyze(prompt);
    m_modes = modes;
    m_modes.resize(analysis.words.size(), WordMode::Omit);
    m_modeWords.clear();
    for (const PromptWord& w : analysis.words)
        m_modeWords.push_back(w.text);
    m_committedModes = m_modes;
    refreshWords();
    recompute();
}

void MainWindow::refreshWords() {
    const PromptAnalysis analysis = m_bridge->analyze(m_editor->prompt());
    m_modes = remapModes(m_modeWords, m_modes, analysis.words);
    m_modeWords.clear();
    for (const PromptWord& w : analysis.words)
        m_modeWords.push_back(w.text);
    m_editor->setWords(analysis, m_modes, m_placeholder);
    if (m_selectedWord >= static_cast<int>(analysis.words.size()))
        m_selectedWord = -1;
    m_editor->setSelectedWord(m_selectedWord);
}

void MainWindow::selectWord(int word) {
    m_selectedWord = word;
    m_editor->setSelectedWord(word);
    m_words->setSelectedWord(word);
    m_view->setSelectedWord(word);
    m_chart->setSelectedWord(word);
    if (m_result && word >= 0 && word < static_cast<int>(m_result->words.size())) {
        const WordResult& w = m_result->words[word];
        m_seLabel->setText(
            tr("%1: %2 ± %3 bits").arg(q(w.text)).arg(w.bits, 0, 'f', 2).arg(w.seBits, 0, 'f', 2));
    }
}

void MainWindow::clearMaps() {
    m_result.reset();
    m_view->setResult(nullptr);
    m_words->setResult(nullptr);
    m_chart->setResult(nullptr);
    m_progress->hide();
    m_drawsLabel->setText(tr("no maps"));
    m_rateLabel->clear();
    m_seLabel->clear();
}

void MainWindow::recompute() {
    if (m_editTimer.isActive() && m_editor->prompt() != m_committedPrompt) {
        flushPendingEdit();  // comes back here through the undo command
        return;
    }
    m_editTimer.stop();
    const QString prompt = m_editor->prompt();
    const PromptAnalysis analysis = m_bridge->analyze(prompt);
    if (m_image.width == 0 || !analysis.problem.empty()) {
        m_bridge->cancel();
        clearMaps();
        return;
    }
    LiveRequest request;
    request.prompt = prompt.toStdString();
    request.image = m_imageShared;
    request.modes = m_modes;
    request.placeholder = m_placeholder.toStdString();
    request.sampleCap = m_sampleCap;
    request.targetRelativeSe = m_targetRelativeSe;
    request.seed = m_seed;
    m_bridge->requestNow(std::move(request));
    m_progress->setRange(0, m_sampleCap);
    m_progress->setValue(0);
    m_progress->show();
    m_drawsLabel->setText(tr("computing…"));
}

void MainWindow::showResult(std::shared_ptr<const LiveResult> result) {
    if (!result->error.empty()) {
        showNotice(q(result->error), true);
        clearMaps();
        return;
    }
    if (m_notice->property("error").toBool())
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
    m_view->setResult(result);
    m_words->setResult(result);
    m_chart->setResult(result);
    selectWord(m_selectedWord);
    m_progress->setValue(result->drawsDone);
    m_progress->setVisible(!result->finished);
    m_drawsLabel->setText(tr("%1/%2 draws%3")
                              .arg(result->drawsDone)
                              .arg(result->sampleCap)
                              .arg(result->finished
                                       ? (result->converged ? tr(" · converged") : tr(" · at cap"))
                                       : QString()));
    m_rateLabel->setText(tr("%1 evals/s").arg(result->evaluationsPerSecond, 0, 'f', 0));
    Q_EMIT resultShown(result);
}

void MainWindow::showNotice(const QString& text, bool error) {
    m_notice->setText(text);
    m_notice->setProperty("error", error);
    m_notice->setStyleSheet(error ? "background:#fdecea; color:#922; padding:4px;"
                                  : "background:#fff8e1; color:#5d4300; padding:4px;");
    m_notice->setVisible(!text.isEmpty());
}

void MainWindow::fail(const QString& title, const QString& message) {
    m_lastError = message;
    if (m_interactive)
        QMessageBox::warning(this, title, message);
    else
        statusBar()->showMessage(title + ": " + message, 10000);
}

void MainWindow::setImage(const Image& image, const QString& path, const QString& notice) {
    m_image = image;
    m_imageShared = std::make_shared<const Image>(image);
    m_imagePath = path;
    if (path.isEmpty()) {
        m_imageHash.clear();
    }
    m_result.reset();
    m_view->setImage(image);
    m_words->setResult(nullptr);
    m_chart->setResult(nullptr);
    showNotice(notice);
    setWindowTitle(path.isEmpty() ? tr("InfoLens — generated image")
                                  : tr("InfoLens — %1").arg(QFileInfo(path).fileName()));
}

bool MainWindow::openImage(const QString& path) {
    const ModelSummary& model = m_bridge->model();
    try {
        const Image loaded = loadImage(path.toStdString());
        std::string notice;
        const Image fitted = fitImage(loaded, model.imageWidth, model.imageHeight, &notice);
        const std::string hash = sha256FileHex(path.toStdString());
        m_bridge->ignorePendingGeneration();
        setImage(fitted, QFileInfo(path).absoluteFilePath(),
                 notice.empty() ? QString() : tr("Note: %1").arg(q(notice)));
        m_imageHash = q(hash);
        m_sessionPath.clear();  // a new image: Save asks where
        addRecent(QFileInfo(path).absoluteFilePath());
        recompute();
        return true;
    } catch (const std::exception& e) {
        fail(tr("Open Image"), q(e.what()));
        return false;
    }
}

bool MainWindow::openSession(const QString& path) {
    try {
        const SessionState s = loadSession(path.toStdString());
        const ModelSummary& model = m_bridge->model();
        QStringList warnings;
        if (!s.modelHash.empty() && s.modelHash != model.hash) {
            warnings << tr("the session was saved with model %1 (%2…) but %3 (%4…) is loaded; "
                           "values will differ")
                            .arg(q(s.modelName), q(s.modelHash.substr(0, 12)), q(model.name),
                                 q(model.hash.substr(0, 12)));
        }
        if (s.imagePath.empty())
            throw Error("the session has no image");
        const Image loaded = loadImage(s.imagePath);
        const std::string hash = sha256FileHex(s.imagePath);
        if (!s.imageSha256.empty() && hash != s.imageSha256)
            warnings << tr("the image file changed since the session was saved");
        std::string notice;
        const Image fitted = fitImage(loaded, model.imageWidth, model.imageHeight, &notice);
        // Everything loaded: only now replace the current state.
        m_bridge->ignorePendingGeneration();
        setImage(fitted, q(s.imagePath), QString());
        m_imageHash = q(hash);
        m_placeholder = q(s.placeholder);
        m_seed = s.seed;
        m_sampleCap = s.sampleCap;
        m_targetRelativeSe = s.targetRelativeSe;
        {
            const QSignalBlocker block(m_seedBox);
            m_seedBox->setValue(static_cast<int>(s.seed));
        }
        DisplaySettings d = m_display;
        d.colormap = q(s.colormap);
        d.opacity = s.opacity;
        d.sharedScale = s.sharedScale;
        d.maskBelowThreshold = s.maskBelowThreshold;
        d.contour = s.contour;
        d.fadeLowValues = s.fadeLowValues;
        d.thresholdFraction = s.thresholdFraction;
        setDisplay(d);
        m_selectedWord = s.selectedWord;
        m_undo->clear();
        m_editTimer.stop();
        m_sessionPath = QFileInfo(path).absoluteFilePath();
        addRecent(m_sessionPath);
        if (!warnings.isEmpty())
            showNotice(tr("Session opened, but ") + warnings.join("; ") + ".", true);
        else if (!notice.empty())
            showNotice(tr("Note: %1").arg(q(notice)));
        applyPrompt(q(s.prompt), s.modes);
        return true;
    } catch (const std::exception& e) {
        fail(tr("Open Session"), q(e.what()));
        return false;
    }
}

bool MainWindow::saveSession(const QString& path) {
    try {
        if (m_image.width == 0)
            throw Error("open an image first");
        const ModelSummary& model = m_bridge->model();
        SessionState s;
        s.modelSpec = m_modelSpec.toStdString();
        s.modelName = model.name;
        s.modelHash = model.hash;
        std::string imagePath = m_imagePath.toStdString();
        std::string imageHash = m_imageHash.toStdString();
        std::string writtenImage;  // removed again if the session cannot be saved
        if (imagePath.empty()) {
            // A generated image has no file yet: keep it beside the session.
            imagePath = (QFileInfo(path).absolutePath() + "/" + QFileInfo(path).completeBaseName() +
                         "-image.png")
                            .toStdString();
            writePng(imagePath, m_image.width, m_image.height, 3, m_image.rgb);
            writtenImage = imagePath;
            imageHash = sha256FileHex(imagePath);
        }
        s.imagePath = imagePath;
        s.imageSha256 = imageHash;
        s.imageWidth = m_image.width;
        s.imageHeight = m_image.height;
        flushPendingEdit();
        s.prompt = m_editor->prompt().toStdString();
        s.modes = m_modes;
        s.placeholder = m_placeholder.toStdString();
        s.seed = m_seed;
        s.sampleCap = m_sampleCap;
        s.targetRelativeSe = m_targetRelativeSe;
        s.colormap = m_display.colormap.toStdString();
        s.opacity = m_display.opacity;
        s.sharedScale = m_display.sharedScale;
        s.maskBelowThreshold = m_display.maskBelowThreshold;
        s.contour = m_display.contour;
        s.fadeLowValues = m_display.fadeLowValues;
        s.thresholdFraction = m_display.thresholdFraction;
        s.selectedWord = m_selectedWord;
        s.savedBy = std::string("InfoLens ") + INFOLENS_VERSION;
        s.savedAt = utcTimestampNow();
        try {
            infolens::saveSession(path.toStdString(), s);
        } catch (...) {
            if (!writtenImage.empty())
                QFile::remove(q(writtenImage));
            throw;
        }
        m_imagePath = q(imagePath);
        m_imageHash = q(imageHash);
        m_sessionPath = QFileInfo(path).absoluteFilePath();
        addRecent(m_sessionPath);
        statusBar()->showMessage(tr("Session saved to %1").arg(path), 5000);
        return true;
    } catch (const std::exception& e) {
        fail(tr("Save Session"), q(e.what()));
        return false;
    }
}

bool MainWindow::exportFigure(const QString& path, int dpi) {
    try {
        if (!m_result || m_result->words.empty())
            throw Error("there are no maps to export yet");
        FigureContent content;
        content.title = q(m_result->prompt);
        content.base = m_view->renderWord(-1, kFigureScale);
        content.miBits = m_result->mi.bits;
        content.miSeBits = m_result->mi.seBits;
        for (int i = 0; i < static_cast<int>(m_result->words.size()); ++i) {
            const WordResult& w = m_result->words[i];
            FigurePanel panel;
            panel.label = q(w.text);
            panel.overlay = m_view->renderWord(i, kFigureScale);
            panel.bits = w.bits;
            panel.seBits = w.seBits;
            content.panels.push_back(panel);
        }
        const MapScale scale = scaleFor(*m_result, m_selectedWord, m_display);
        content.colormap = m_display.colormap;
        content.scaleLo = scale.lo;
        content.scaleHi = scale.hi;
        content.units = m_display.sharedScale ? tr("bits per pixel")
                                              : tr("bits per pixel (selected word's scale)");
        const ModelSummary& model = m_bridge->model();
        content.footer =
            tr("InfoLens %1 · model %2 (%3…) · seed %4 · %5 sampler · %6 draws%7 · i_o, SE from "
               "%8 replicas")
                .arg(INFOLENS_VERSION, q(model.name), q(model.hash.substr(0, 12)))
                .arg(m_result->seed)
                .arg(m_result->iidSampler ? tr("iid") : tr("stratified"))
                .arg(m_result->drawsDone)
                .arg(m_result->converged
                         ? tr(" (converged)")
                         : (m_result->finished ? tr(" (cap)") : tr(" (unfinished)")))
                .arg(m_result->replicas);
        if (path.endsWith(".pdf", Qt::CaseInsensitive))
            exportFigurePdf(path, content);
        else
            exportFigurePng(path, content, dpi > 0 ? dpi : 300);
        statusBar()->showMessage(tr("Figure written to %1").arg(path), 5000);
        return true;
    } catch (const std::exception& e) {
        fail(tr("Export Figure"), q(e.what()));
        return false;
    }
}

bool MainWindow::exportMaps(const QString& path) {
    try {
        if (!m_result || m_result->words.empty())
            throw Error("there are no maps to export yet");
        writeMapsNpy(path.toStdString(), *m_result);
        statusBar()->showMessage(tr("Maps written to %1").arg(path), 5000);
        return true;
    } catch (const std::exception& e) {
        fail(tr("Export Maps"), q(e.what()));
        return false;
    }
}

bool MainWindow::exportValues(const QString& path) {
    try {
        if (!m_result || m_result->words.empty())
            throw Error("there are no values to export yet");
        if (path.endsWith(".csv", Qt::CaseInsensitive)) {
            writeValuesCsv(path.toStdString(), *m_result);
        } else {
            const ModelSummary& model = m_bridge->model();
            const nlohmann::json provenance = {
                {"model_name", model.name},
                {"model_hash", model.hash},
                {"image_path", m_imagePath.toStdString()},
                {"image_sha256", m_imageHash.toStdString()},
                {"seed", m_result->seed},
                {"sampler", m_result->iidSampler ? "iid" : "stratified"},
                {"replicas", m_result->replicas},
                {"sample_cap", m_result->sampleCap},
                {"target_relative_se", m_result->targetRelativeSe},
                {"finished", m_result->finished},
                {"converged", m_result->converged},
                {"infolens_version", INFOLENS_VERSION}};
            writeValuesJson(path.toStdString(), *m_result, provenance);
        }
        statusBar()->showMessage(tr("Values written to %1").arg(path), 5000);
        return true;
    } catch (const std::exception& e) {
        fail(tr("Export Values"), q(e.what()));
        return false;
    }
}

QString MainWindow::askSavePath(const QString& title, const QString& filter,
                                const QString& suffix) {
    QSettings s;
    QFileDialog dialog(this, title, s.value("paths/exports").toString(), filter);
    dialog.setAcceptMode(QFileDialog::AcceptSave);
    dialog.setDefaultSuffix(suffix);
    if (dialog.exec() != QDialog::Accepted || dialog.selectedFiles().isEmpty())
        return {};
    const QString path = dialog.selectedFiles().front();
    s.setValue("paths/exports", QFileInfo(path).absolutePath());
    return path;
}

void MainWindow::generateImage() {
    const PromptAnalysis analysis = m_bridge->analyze(m_editor->prompt());
    if (!analysis.problem.empty()) {
        fail(tr("Generate"), q(analysis.problem));
        return;
    }
    statusBar()->showMessage(tr("Generating…"));
    m_bridge->generate(m_editor->prompt(), m_seed);
}

void MainWindow::addRecent(const QString& path) {
    QSettings s;
    QStringList recent = s.value("recent").toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    s.setValue("recent", recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    m_recentMenu->clear();
    const QStringList recent = QSettings().value("recent").toStringList();
    for (const QString& path : recent) {
        m_recentMenu
            ->addAction(QFileInfo(path).fileName(), this,
                        [this, path] {
                            if (path.endsWith(".infolens"))
                                openSession(path);
                            else
                                openImage(path);
                        })
            ->setToolTip(path);
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.front().isLocalFile())
        return;
    const QString path = urls.front().toLocalFile();
    if (path.endsWith(".infolens"))
        openSession(path);
    else
        openImage(path);
    event->acceptProposedAction();
}

void MainWindow::showModelCard() {
    const ModelSummary& model = m_bridge->model();
    QFile card(q(model.directory) + "/MODEL_CARD.md");
    QString text = tr("This model has no model card.");
    if (!model.directory.empty() && card.open(QIODevice::ReadOnly))
        text = QString::fromUtf8(card.readAll());
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Model Card — %1").arg(q(model.name)));
    auto* layout = new QVBoxLayout(&dialog);
    auto* browser = new QTextBrowser(&dialog);
    browser->setMarkdown(text);
    layout->addWidget(browser);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, &dialog);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    dialog.resize(760, 640);
    dialog.exec();
}

void MainWindow::showAbout() {
    const ModelSummary& model = m_bridge->model();
    QMessageBox::about(
        this, tr("About InfoLens"),
        tr("<h3>InfoLens %1</h3><p>What a text-to-image diffusion model knows about how the "
           "words of a prompt relate to the pixels of an image: mutual information and each "
           "word's conditional mutual information with pixel maps, estimated from the model's "
           "own denoiser (Interpretable Diffusion via Information Decomposition, ICLR 2024).</p>"
           "<p>Model: %2<br>Hash: %3<br>Compute: %4<br>Renderer: %5</p>")
            .arg(INFOLENS_VERSION, q(model.name), q(model.hash), q(model.device),
                 m_view->rendererDescription().toHtmlEscaped()));
}

}  // namespace infolens::ui
