#pragma once

#include <QMainWindow>
#include <QString>
#include <QTimer>
#include <memory>
#include <vector>

#include "infolens/io/ImageIO.h"
#include "infolens/live/LiveWorker.h"
#include "infolens/ui/DisplaySettings.h"
#include "infolens/ui/MetaTypes.h"

class QAction;
class QComboBox;
class QCheckBox;
class QLabel;
class QMenu;
class QProgressBar;
class QSlider;
class QSpinBox;
class QUndoStack;

namespace infolens {
class ModelRegistry;
}

namespace infolens::ui {

class ImageView;
class NoiseChart;
class PromptEditor;
class WordPanel;
class WorkerBridge;

struct StartOptions {
    QString model = "default";
    QString image;    // empty: the bundled sample (unless a session is given)
    QString prompt;   // empty: the sample's caption
    QString session;  // a session file to open instead
    bool restoreLayout = true;
};

class MainWindow : public QMainWindow {
    Q_OBJECT
  public:
    // Throws infolens::Error when the model cannot be loaded.
    // The registry (the model families of this build) must outlive the window.
    MainWindow(const ModelRegistry& registry, const StartOptions& options,
               QWidget* parent = nullptr);
    ~MainWindow() override;

    // Scriptable entry points (menus call these; tests and --screenshot use them too). Each
    // returns false and shows a message, leaving the state untouched, on failure.
    bool openImage(const QString& path);
    bool openSession(const QString& path);
    bool saveSession(const QString& path);
    bool exportFigure(const QString& path, int dpi);  // .png or .pdf by suffix
    bool exportMaps(const QString& path);             // .npy
    bool exportValues(const QString& path);           // .csv or .json by suffix
    void setPrompt(const QString& prompt);            // as if typed (debounced, undoable)
    void selectWord(int word);
    void setDisplay(const DisplaySettings& display);
    void setInteractive(bool interactive) { m_interactive = interactive; }

    std::shared_ptr<const LiveResult> lastResult() const { return m_result; }
    QString prompt() const;
    const DisplaySettings& display() const { return m_display; }
    ImageView* imageView() const { return m_view; }
    WordPanel* wordPanel() const { return m_words; }
    const std::vector<WordMode>& modes() const { return m_modes; }
    std::uint64_t seed() const { return m_seed; }
    QString lastError() const { return m_lastError; }

  Q_SIGNALS:
    void resultShown(std::shared_ptr<const infolens::LiveResult> result);

  protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

  private:
    void buildMenus();
    void buildToolbar();
    void buildStatusBar();
    // Sets text, word modes and chips and recomputes (no undo entry); undo/redo land here.
    void applyPrompt(const QString& prompt, const std::vector<WordMode>& modes);
    void commitPromptEdit();
    void flushPendingEdit();  // commits typing still inside the debounce window
    void clearMaps();         // nothing stale stays on screen when there is nothing to compute
    void refreshWords();
    void recompute();
    void showResult(std::shared_ptr<const LiveResult> result);
    void setImage(const Image& image, const QString& path, const QString& notice);
    void showNotice(const QString& text, bool error = false);
    void fail(const QString& title, const QString& message);
    void addRecent(const QString& path);
    void rebuildRecentMenu();
    void syncDisplayControls();
    void generateImage();
    void showModelCard();
    void showAbout();
    QString exportFilter(const QString& kind) const;
    QString askSavePath(const QString& title, const QString& filter, const QString& suffix);

    std::unique_ptr<WorkerBridge> m_bridge;
    QString m_modelSpec;
    ImageView* m_view;
    PromptEditor* m_editor;
    WordPanel* m_words;
    NoiseChart* m_chart;
    QLabel* m_notice;
    QUndoStack* m_undo;
    QTimer m_editTimer;
    QString m_committedPrompt;

    QComboBox* m_colormap;
    QSlider* m_opacity;
    QComboBox* m_scaleMode;
    QCheckBox* m_mask;
    QCheckBox* m_contour;
    QCheckBox* m_fade;
    QSlider* m_threshold;
    QAction* m_gridAction;
    QSpinBox* m_seedBox;
    QMenu* m_recentMenu;
    QAction* m_saveSessionAction;

    QLabel* m_deviceLabel;
    QLabel* m_rendererLabel;
    QLabel* m_drawsLabel;
    QLabel* m_rateLabel;
    QLabel* m_seLabel;
    QProgressBar* m_progress;

    Image m_image;
    QString m_imagePath;
    QString m_imageHash;
    QString m_sessionPath;
    std::shared_ptr<const Image> m_imageShared;
    std::vector<WordMode> m_modes;
    std::vector<std::string> m_modeWords;  // the words m_modes belong to, to carry them over edits
    std::vector<WordMode> m_committedModes;
    QString m_placeholder = "_";
    std::uint64_t m_seed = 0;
    int m_sampleCap = 128;
    double m_targetRelativeSe = 0.05;
    int m_selectedWord = -1;
    DisplaySettings m_display;
    std::shared_ptr<const LiveResult> m_result;
    bool m_interactive = true;
    QString m_lastError;
};

}  // namespace infolens::ui
