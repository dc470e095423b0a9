#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "infolens/io/ImageIO.h"
#include "infolens/io/SessionFile.h"
#include "infolens/live/LiveWorker.h"
#include "infolens/ui/DisplaySettings.h"

class QAction;
class QMenu;
class QWidget;

namespace infolens::ui {

class SettingsStore;
class WorkerBridge;

// How the maps are estimated (what LiveRequest takes besides prompt, modes and image).
struct Sampling {
    // The estimation seed (the estimator's noise and log-SNR draws; a session's sampling.seed).
    // Generating an image has a seed of its own (the toolbar's), which never changes this one.
    std::uint64_t seed = 0;
    int sampleCap = 128;
    double targetRelativeSe = 0.05;
    bool iidSampler = false;  // default: stratified
};

// What a session restores besides the model and the image.
struct DocumentState {
    QString prompt;
    std::vector<WordMode> modes;
    QString placeholder = "_";
    Sampling sampling;
    DisplaySettings display;
    int selectedWord = -1;
    // The prompt interventions shown (in a session with the maps and images; the app drops those
    // of another model on open).
    std::vector<std::shared_ptr<const InterventionOutcome>> interventions;
};

// The one conversion between DocumentState and a session's fields, used by both save and open
// (one field list in DocumentController.cpp, so a field cannot be saved and not restored). The
// display's grid mode is not part of a session (restoreDocument leaves it off).
void storeDocument(const DocumentState& state, SessionState& session);
DocumentState restoreDocument(const SessionState& session);

// The answer to "save the changes first?".
enum class UnsavedChoice { Save, Discard, Cancel };

// The open document: the image (opened, generated, or from a session) and its session file. Opens
// images and sessions, saves sessions, generates images; owns the File menu's open/save entries
// and the recent files. Each entry point returns false, reports through failed() and leaves the
// state untouched on failure.
//
// While the model loads, an image or session asked for is read (so a bad file is reported at
// once) and opened when the model is ready (openStart); after a failed load every entry point
// reports the load error.
class DocumentController : public QObject {
    Q_OBJECT
  public:
    using StateSource = std::function<DocumentState()>;
    // Asks whether to save unsaved changes before `action` ("quitting", "opening another
    // image"). The default is a message box when interactive and Discard otherwise (scripts and
    // tests never block); tests replace it.
    using UnsavedAsker = std::function<UnsavedChoice(const QString& action)>;

    // `current` gives the state to save (prompt, modes, sampling, display, selection).
    DocumentController(QWidget* window, WorkerBridge& bridge, SettingsStore& settings,
                       StateSource current, QObject* parent = nullptr);
    ~DocumentController() override;

    // File menu: Open Image, Open Sample (the model's bundled samples, once it is loaded), Open
    // Session, Open Recent, Save Session, Save Session As.
    void addFileActions(QMenu* file);

    // The document changed since it was opened or last saved: another image (generated, opened),
    // the prompt, a word's mode, the estimation settings or a display setting a session keeps.
    // Selecting another word is not a change; undoing back to the saved state is none either.
    bool isModified() const;
    // Unsaved changes: asks (see UnsavedAsker) and saves when told to. True when `action` may go
    // ahead (nothing to save, saved, or discarded); false when cancelled or the save failed.
    bool maybeSaveChanges(const QString& action);
    void setUnsavedAsker(UnsavedAsker asker) { m_askUnsaved = std::move(asker); }
    void setInteractive(bool interactive) { m_interactive = interactive; }
    // Asks whether to open a session's image whose stored path leaves the session's folder with
    // ".." or is a symbolic link (`notice` says which and where it leads). A session from someone
    // else can name any file, so the default is a message box when interactive and No otherwise
    // (the session is then refused with that notice); tests replace it.
    using ImagePathConfirmer = std::function<bool(const QString& notice)>;
    void setImagePathConfirmer(ImagePathConfirmer confirm) {
        m_confirmImagePath = std::move(confirm);
    }

    // The model changed: the current image (the file as opened, or as generated) is fitted to the
    // new model's size again, with a notice when it was cropped or resized, and recomputed. False
    // when there is no image.
    bool refitToModel();

    // Each asks about unsaved changes first (maybeSaveChanges).
    bool openImage(const QString& path);
    // A bundled sample: the image, with its caption (the .txt beside it, when there is one) as
    // the prompt (through promptSuggested, before the image opens).
    bool openSample(const QString& imagePath);
    // The model's bundled samples: the PNGs (not *_masks.png) in the folder of its sample image,
    // sorted; empty while it loads or when it has none.
    QStringList samplePaths() const;
    bool openSession(const QString& path);
    bool openFile(const QString& path);  // a session (.infolens) or an image
    bool saveSession(const QString& path);
    void generateImage(const QString& prompt, std::uint64_t seed);

    // The model is ready: opens what was asked for while it loaded or, when nothing was and
    // `sample` is set, the model's sample (its caption goes out through sampleChosen first; a
    // model without a sample gets a hint in the notice bar). True when something opened (its maps
    // are then requested); false when nothing did or it failed (reported through failed()).
    bool openStart(bool sample);
    // The model failed or cannot be used: forgets what was asked for while it loaded.
    void dropPending();

    bool hasImage() const { return m_image != nullptr; }
    std::shared_ptr<const Image> image() const { return m_image; }  // at the model's size
    const QString& imagePath() const { return m_imagePath; }        // empty when generated
    const QString& imageHash() const { return m_imageHash; }
    const QString& sessionPath() const { return m_sessionPath; }
    // The seed the current image was generated with; nullopt for an opened image.
    std::optional<std::uint64_t> generationSeed() const { return m_generationSeed; }

  Q_SIGNALS:
    // A new image is shown (`path` empty for a generated one); `notice` is for the notice bar.
    void imageChanged(const infolens::Image& image, const QString& path, const QString& notice);
    // A session opened: apply `state` (this recomputes).
    void restored(const infolens::ui::DocumentState& state);
    // The model's sample is about to open; `caption` is its prompt.
    void sampleChosen(const QString& caption);
    // A sample chosen from File ▸ Open Sample is about to open: show `caption` as the prompt.
    void promptSuggested(const QString& caption);
    void notice(const QString& text, bool error);
    // The maps must be computed again (a new image, or a generation failed midway).
    void computeRequested();
    void message(const QString& text, int timeoutMs);
    void failed(const QString& title, const QString& message);

  private:
    struct Pending;
    void checkModelUsable() const;        // throws when the model failed or works without images
    bool readImage(const QString& path);  // openImage without asking about unsaved changes
    QString snapshot() const;             // what isModified compares
    void markUnmodified();
    Image fitToModel(const Image& loaded, std::string* note) const;
    void showImage(const Image& loaded, const QString& path);
    void showSession(const SessionState& session, const QString& path);
    void showGenerated(std::shared_ptr<const GenerateResult> result);
    void addRecent(const QString& path);
    void rebuildRecentMenu();
    QString askSavePath(const QString& title);

    QWidget* m_window;
    WorkerBridge& m_bridge;
    SettingsStore& m_settings;
    StateSource m_current;
    void rebuildSampleMenu();

    QMenu* m_recentMenu = nullptr;
    QMenu* m_sampleMenu = nullptr;
    std::optional<std::uint64_t> m_generationSeed;
    std::unique_ptr<Pending> m_pending;
    std::shared_ptr<const Image> m_image;
    std::shared_ptr<const Image> m_original;  // before fitting to the model (refitToModel)
    QString m_savedSnapshot;
    UnsavedAsker m_askUnsaved;
    ImagePathConfirmer m_confirmImagePath;
    bool m_interactive = true;
    QString m_imagePath;
    QString m_imageHash;
    QString m_sessionPath;
};

}  // namespace infolens::ui
