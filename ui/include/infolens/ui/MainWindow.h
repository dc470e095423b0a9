#pragma once

#include <QMainWindow>
#include <QMenu>
#include <QString>
#include <memory>
#include <vector>

#include "infolens/io/ImageIO.h"
#include "infolens/live/LiveWorker.h"
#include "infolens/ui/DisplaySettings.h"
#include "infolens/ui/DocumentController.h"
#include "infolens/ui/ExportActions.h"
#include "infolens/ui/MetaTypes.h"
#include "infolens/ui/PromptController.h"
#include "infolens/ui/WorkerBridge.h"

namespace infolens {
class ModelRegistry;
}

namespace infolens::ui {

class DisplayToolbar;

class ImageView;
class InterventionController;
class InterventionPanel;
class InterventionStore;
class NoiseChart;
class NoticeBar;
class ImageFitNotice;
class PromptEditor;
class SettingsStore;
class StatusPanel;
class WordPanel;

struct StartOptions {
    QString model = "default";
    QString device = "auto";  // auto, cpu, cuda, cuda:N
    QString dtype = "float32";
    QString image;    // empty: the model's sample (unless a session is given)
    QString prompt;   // empty: the sample's caption
    QString session;  // a session file to open instead
    bool restoreLayout = true;
    bool interactive = true;  // false: failures go to the status bar, never a message box
};

// The main window: wiring of the prompt (PromptController), the open document
// (DocumentController), exports (ExportActions), the display toolbar, the status panel and the
// settings over the worker bridge, plus the views that show results.
//
// The model loads on the worker thread while the window is already up ("Loading model …" in the
// status bar). What is asked for meanwhile (the start image or session, prompt edits) is kept and
// computed once it is ready. When it fails to load, or cannot work on images, the window stays
// open, says so in its notice bar (and a message box when interactive), and every action that
// needs the model reports that reason.
class MainWindow : public QMainWindow {
    Q_OBJECT
  public:
    // The registry (the model families of this build) must outlive the window.
    MainWindow(const ModelRegistry& registry, const StartOptions& options,
               QWidget* parent = nullptr);
    ~MainWindow() override;

    // Scriptable entry points (menus call these; tests and --screenshot use them too). Each
    // returns false and shows a message, leaving the state untouched, on failure. While the model
    // loads, openImage and openSession read the file and open it once the model is ready.
    bool openImage(const QString& path) { return m_documents->openImage(path); }
    // A bundled sample with its caption as the prompt (File ▸ Open Sample).
    bool openSample(const QString& path) { return m_documents->openSample(path); }
    bool openSession(const QString& path) { return m_documents->openSession(path); }
    bool saveSession(const QString& path) { return m_documents->saveSession(path); }
    // .pdf, else PNG, by suffix (the menu items write their own format whatever the name)
    bool exportFigure(const QString& path, int dpi) { return m_exports->exportFigure(path, dpi); }
    bool exportMaps(const QString& path) { return m_exports->exportMaps(path); }  // .npy
    // .json, else CSV, by suffix
    bool exportValues(const QString& path) { return m_exports->exportValues(path); }
    // The interventions table: .json, else CSV, by suffix.
    bool exportInterventionsTable(const QString& path);
    // The intervention figure (original | edited | change | predicted per intervention): .pdf,
    // else PNG at `dpi`.
    bool exportInterventionFigure(const QString& path, int dpi);
    // The estimation settings (Edit ▸ Estimation Settings); recomputes when they changed.
    void setSampling(const Sampling& sampling);
    // As if typed (debounced, undoable).
    void setPrompt(const QString& prompt) { m_prompt->setPrompt(prompt); }
    void selectWord(int word);
    void setDisplay(const DisplaySettings& display);
    void recompute();
    void setInteractive(bool interactive) {
        m_interactive = interactive;
        m_documents->setInteractive(interactive);
    }
    // File ▸ Open Model: loads another model in the background (a spec as --model takes it: a
    // .safetensors file, a diffusers or bundle folder, a built-in name). The prompt and the image
    // stay; the image is fitted to the new model's size (with a notice) and recomputed. A model
    // that fails to load is reported like one given at start. Remembered in Recent Models.
    void openModel(const QString& spec);

    std::shared_ptr<const LiveResult> lastResult() const { return m_result; }
    QString prompt() const { return m_prompt->prompt(); }
    const DisplaySettings& display() const { return m_display; }
    ImageView* imageView() const { return m_view; }
    WordPanel* wordPanel() const { return m_words; }
    PromptController* promptController() const { return m_prompt; }
    StatusPanel* statusPanel() const { return m_status; }
    const std::vector<WordMode>& modes() const { return m_prompt->modes(); }
    std::uint64_t estimationSeed() const { return m_sampling.seed; }
    std::uint64_t generationSeed() const;
    const Sampling& sampling() const { return m_sampling; }
    QString imagePath() const { return m_documents->imagePath(); }
    QString sessionPath() const { return m_documents->sessionPath(); }
    DisplayToolbar* displayToolbar() const { return m_toolbar; }
    ExportActions* exportActions() const { return m_exports; }
    DocumentController* documents() const { return m_documents; }
    const ModelStatus& modelStatus() const { return m_bridge->modelStatus(); }
    QString lastError() const { return m_lastError; }
    NoticeBar* noticeBar() const { return m_notice; }
    // The warning that the prompt does not fit the image (PromptFit.h); hidden when it fits.
    NoticeBar* fitNoticeBar() const { return m_fitNotice; }
    // Prompt interventions: what was computed (undoable), the dock that shows it, the actions.
    InterventionStore* interventions() const { return m_interventions; }
    InterventionPanel* interventionPanel() const { return m_interventionPanel; }
    InterventionController* interventionActions() const { return m_interventionActions; }
    // A word's context menu (its chip or its row): switch omission/placeholder, Remove, Swap
    // with…; the caller owns (and usually execs) it.
    QMenu* buildWordMenu(int word, QWidget* parent);
    // The warning that the image is unlike the model's training images (ImageFit.h).
    ImageFitNotice* imageFitNotice() const { return m_imageFitNotice; }

  Q_SIGNALS:
    void resultShown(std::shared_ptr<const infolens::LiveResult> result);
    // The model failed to load or cannot work on images: no maps will come. `reason` is shown.
    void modelUnavailable(const QString& reason);
    // The model finished loading (or failed) and what was asked for at start (image, session or
    // the sample) has been opened or reported: the state is the one the user starts from.
    void startProcessed();

  protected:
    void closeEvent(QCloseEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

  private:
    void buildMenus();
    void fitToolBars();
    void rebuildRecentModels();
    void onModelStatus(const ModelStatus& status);
    void modelUnusable(const QString& reason);
    void applyDocument(const DocumentState& state);
    void clearMaps();  // nothing stale stays on screen when there is nothing to compute
    void showResult(std::shared_ptr<const LiveResult> result);
    void showPromptFit(const LiveResult& result);
    void editSampling();
    void setImage(const Image& image, const QString& path, const QString& notice);
    void showMessage(const QString& text, int timeoutMs);
    void fail(const QString& title, const QString& message);
    void buildInterventions();
    void updateInterventionContext();
    void restoreInterventions(
        const std::vector<std::shared_ptr<const InterventionOutcome>>& saved);

    std::unique_ptr<SettingsStore> m_settings;
    std::unique_ptr<WorkerBridge> m_bridge;
    ImageView* m_view;
    PromptEditor* m_editor;
    WordPanel* m_words;
    NoiseChart* m_chart;
    NoticeBar* m_notice;
    NoticeBar* m_fitNotice;
    ImageFitNotice* m_imageFitNotice;
    DisplayToolbar* m_toolbar;
    StatusPanel* m_status;
    PromptController* m_prompt;
    DocumentController* m_documents;
    ExportActions* m_exports;
    InterventionStore* m_interventions = nullptr;
    InterventionPanel* m_interventionPanel = nullptr;
    InterventionController* m_interventionActions = nullptr;

    bool m_startWithSample = false;  // no image or session given: the model's sample
    bool m_switchingModel = false;   // File ▸ Open Model: refit the image once it is ready
    QMenu* m_recentModels = nullptr;
    Sampling m_sampling;
    int m_selectedWord = -1;
    DisplaySettings m_display;
    std::shared_ptr<const LiveResult> m_result;
    bool m_interactive = true;
    QString m_lastError;
};

}  // namespace infolens::ui
