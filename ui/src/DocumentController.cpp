#include "infolens/ui/DocumentController.h"

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QStringList>
#include <optional>

#include "infolens/Error.h"
#include "infolens/io/Sha256.h"
#include "infolens/ui/FileDialogs.h"
#include "infolens/ui/MapSourceSelect.h"
#include "infolens/ui/SettingsStore.h"
#include "infolens/ui/WorkerBridge.h"

namespace infolens::ui {

namespace {

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

void copyField(std::string& to, const QString& from) {
    to = from.toStdString();
}
void copyField(QString& to, const std::string& from) {
    to = QString::fromStdString(from);
}
// The session stores the map source by name; sessionFromJson has already refused unknown names.
void copyField(std::string& to, const MapSource& from) {
    to = mapSourceKey(from).toStdString();
}
void copyField(MapSource& to, const std::string& from) {
    to = mapSourceFromKey(QString::fromStdString(from)).value_or(MapSource::Information);
}
// Interventions: shared, immutable in the app; copied values in the session.
void copyField(std::vector<InterventionOutcome>& to,
               const std::vector<std::shared_ptr<const InterventionOutcome>>& from) {
    to.clear();
    for (const auto& o : from)
        to.push_back(*o);
}
void copyField(std::vector<std::shared_ptr<const InterventionOutcome>>& to,
               const std::vector<InterventionOutcome>& from) {
    to.clear();
    for (const InterventionOutcome& o : from)
        to.push_back(std::make_shared<const InterventionOutcome>(o));
}
template <class T>
void copyField(T& to, const T& from) {
    to = from;
}

// The one list of what a session holds of the document: field(sessionField, stateField) for each.
// Saving copies right to left, opening left to right.
template <class Session, class State, class Field>
void documentFields(Session& s, State& d, Field field) {
    field(s.prompt, d.prompt);
    field(s.modes, d.modes);
    field(s.placeholder, d.placeholder);
    field(s.seed, d.sampling.seed);
    field(s.sampleCap, d.sampling.sampleCap);
    field(s.targetRelativeSe, d.sampling.targetRelativeSe);
    field(s.iidSampler, d.sampling.iidSampler);
    field(s.colormap, d.display.colormap);
    field(s.opacity, d.display.opacity);
    field(s.sharedScale, d.display.sharedScale);
    field(s.maskBelowThreshold, d.display.maskBelowThreshold);
    field(s.contour, d.display.contour);
    field(s.fadeLowValues, d.display.fadeLowValues);
    field(s.thresholdFraction, d.display.thresholdFraction);
    field(s.mapSource, d.display.mapSource);
    field(s.selectedWord, d.selectedWord);
    field(s.interventions, d.interventions);
}

QString sessionFilter() {
    return QObject::tr("InfoLens sessions (*.infolens)");
}

}  // namespace

void storeDocument(const DocumentState& state, SessionState& session) {
    documentFields(session, state, [](auto& s, const auto& d) { copyField(s, d); });
}

DocumentState restoreDocument(const SessionState& session) {
    DocumentState state;
    documentFields(session, state, [](const auto& s, auto& d) { copyField(d, s); });
    return state;
}

// An image or session asked for while the model loads, already read from disk.
struct DocumentController::Pending {
    QString path;
    std::optional<Image> image;
    std::optional<SessionState> session;
};

DocumentController::DocumentController(QWidget* window, WorkerBridge& bridge,
                                       SettingsStore& settings, StateSource current,
                                       QObject* parent)
    : QObject(parent),
      m_window(window),
      m_bridge(bridge),
      m_settings(settings),
      m_current(std::move(current)) {
    connect(&m_bridge, &WorkerBridge::imageGenerated, this, &DocumentController::showGenerated);
    m_askUnsaved = [this](const QString& action) {
        if (!m_interactive)
            return UnsavedChoice::Discard;
        const QMessageBox::StandardButton answer = QMessageBox::question(
            m_window, tr("Unsaved Changes"),
            tr("The session has changes that are not saved. Save them before %1?").arg(action),
            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
        return answer == QMessageBox::Save      ? UnsavedChoice::Save
               : answer == QMessageBox::Discard ? UnsavedChoice::Discard
                                                : UnsavedChoice::Cancel;
    };
    m_confirmImagePath = [this](const QString& notice) {
        if (!m_interactive)
            return false;
        return QMessageBox::question(m_window, tr("Open Image Outside the Session?"),
                                     tr("Careful: %1.\n\nOpen this image?").arg(notice),
                                     QMessageBox::Open | QMessageBox::Cancel,
                                     QMessageBox::Cancel) == QMessageBox::Open;
    };
}

QString DocumentController::snapshot() const {
    if (!m_image)
        return {};
    SessionState s;
    storeDocument(m_current(), s);
    s.selectedWord = -1;  // looking at another word changes nothing worth saving
    s.imagePath = m_imagePath.toStdString();
    s.imageSha256 = m_imageHash.toStdString();
    nlohmann::json json = sessionToJson(s);
    json["generated"] = m_generationSeed ? std::to_string(*m_generationSeed) : std::string();
    // A generated image has no file: its pixels tell one generation from the next.
    if (m_imagePath.isEmpty())
        json["image"] = static_cast<std::uint64_t>(
            std::hash<std::string>{}(std::string(m_image->rgb.begin(), m_image->rgb.end())));
    return QString::fromStdString(json.dump());
}

void DocumentController::markUnmodified() {
    m_savedSnapshot = snapshot();
}

bool DocumentController::isModified() const {
    return m_image && snapshot() != m_savedSnapshot;
}

bool DocumentController::maybeSaveChanges(const QString& action) {
    if (!isModified())
        return true;
    switch (m_askUnsaved(action)) {
        case UnsavedChoice::Discard:
            return true;
        case UnsavedChoice::Cancel:
            return false;
        case UnsavedChoice::Save:
            break;
    }
    const QString path = m_sessionPath.isEmpty() ? askSavePath(tr("Save Session")) : m_sessionPath;
    return !path.isEmpty() && saveSession(path);
}

bool DocumentController::refitToModel() {
    if (!m_original || !m_bridge.modelReady())
        return false;
    std::string fitNote;
    m_image = std::make_shared<const Image>(fitToModel(*m_original, &fitNote));
    Q_EMIT imageChanged(*m_image, m_imagePath,
                        fitNote.empty() ? QString() : tr("Note: %1").arg(q(fitNote)));
    Q_EMIT computeRequested();
    return true;
}

DocumentController::~DocumentController() = default;

void DocumentController::addFileActions(QMenu* file) {
    file->addAction(tr("&Open Image…"), QKeySequence::Open, this, [this] {
        const QString path =
            QFileDialog::getOpenFileName(m_window, tr("Open Image"), m_settings.imageFolder(),
                                         tr("Images (*.png *.jpg *.jpeg *.bmp);;All files (*)"));
        if (!path.isEmpty()) {
            m_settings.setImageFolder(QFileInfo(path).absolutePath());
            openImage(path);
        }
    });
    file->addAction(
        tr("Open &Session…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), this, [this] {
            const QString path = QFileDialog::getOpenFileName(
                m_window, tr("Open Session"), QString(), sessionFilter() + tr(";;All files (*)"));
            if (!path.isEmpty())
                openSession(path);
        });
    m_sampleMenu = file->addMenu(tr("Open Sa&mple"));
    connect(m_sampleMenu, &QMenu::aboutToShow, this, &DocumentController::rebuildSampleMenu);
    rebuildSampleMenu();
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    rebuildRecentMenu();
    file->addSeparator();
    file->addAction(tr("&Save Session"), QKeySequence::Save, this, [this] {
        const QString path =
            m_sessionPath.isEmpty() ? askSavePath(tr("Save Session")) : m_sessionPath;
        if (!path.isEmpty())
            saveSession(path);
    });
    file->addAction(tr("Save Session &As…"), QKeySequence::SaveAs, this, [this] {
        const QString path = askSavePath(tr("Save Session As"));
        if (!path.isEmpty())
            saveSession(path);
    });
}

QString DocumentController::askSavePath(const QString& title) {
    return ui::askSavePath(m_window, m_settings, title, sessionFilter(), "infolens");
}

void DocumentController::checkModelUsable() const {
    const QString reason = m_bridge.unusableReason();
    if (!reason.isEmpty())
        throw Error(reason.toStdString());
}

Image DocumentController::fitToModel(const Image& loaded, std::string* note) const {
    const ModelSummary& model = m_bridge.model();
    return fitImage(loaded, model.imageWidth, model.imageHeight, note);
}

bool DocumentController::openImage(const QString& path) {
    if (!maybeSaveChanges(tr("opening another image")))
        return false;
    return readImage(path);
}

bool DocumentController::readImage(const QString& path) {
    try {
        checkModelUsable();
        Image loaded = loadImage(path.toStdString());
        if (!m_bridge.modelReady()) {
            m_pending.reset(new Pending{path, std::move(loaded), std::nullopt});
            return true;
        }
        showImage(loaded, path);
        return true;
    } catch (const std::exception& e) {
        Q_EMIT failed(tr("Open Image"), q(e.what()));
        return false;
    }
}

QStringList DocumentController::samplePaths() const {
    if (!m_bridge.modelReady() || m_bridge.model().sampleImage.empty())
        return {};
    const QString canonical =
        QFileInfo(q(m_bridge.model().sampleImage)).absoluteDir().canonicalPath();
    if (canonical.isEmpty())  // the folder does not exist
        return {};
    const QDir folder(canonical);
    QStringList paths;
    for (const QString& name : folder.entryList({"*.png"}, QDir::Files, QDir::Name)) {
        if (!name.endsWith("_masks.png"))
            paths << folder.filePath(name);
    }
    return paths;
}

namespace {

QString captionOf(const QString& imagePath) {
    const QFileInfo info(imagePath);
    QFile file(info.absoluteDir().filePath(info.completeBaseName() + ".txt"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll()).simplified();
}

}  // namespace

void DocumentController::rebuildSampleMenu() {
    if (!m_sampleMenu)
        return;
    m_sampleMenu->clear();
    const QStringList paths = samplePaths();
    if (paths.isEmpty()) {
        m_sampleMenu
            ->addAction(m_bridge.modelReady() ? tr("(this model has no samples)")
                                              : tr("(the model is loading)"))
            ->setEnabled(false);
        return;
    }
    for (const QString& path : paths) {
        const QString caption = captionOf(path);
        QString text = QFileInfo(path).completeBaseName();
        if (!caption.isEmpty())
            text += " — " + (caption.size() > 60 ? caption.left(57) + "…" : caption);
        m_sampleMenu->addAction(text, this, [this, path] { openSample(path); })->setToolTip(path);
    }
}

bool DocumentController::openSample(const QString& imagePath) {
    const QString caption = captionOf(imagePath);
    if (!maybeSaveChanges(tr("opening a sample")))
        return false;
    if (!caption.isEmpty() && m_bridge.modelReady() && QFileInfo::exists(imagePath))
        Q_EMIT promptSuggested(caption);
    return readImage(imagePath);
}

bool DocumentController::openSession(const QString& path) {
    if (!maybeSaveChanges(tr("opening another session")))
        return false;
    try {
        checkModelUsable();
        SessionState session = loadSession(path.toStdString());
        if (!m_bridge.modelReady()) {
            m_pending.reset(new Pending{path, std::nullopt, std::move(session)});
            return true;
        }
        showSession(session, path);
        return true;
    } catch (const std::exception& e) {
        Q_EMIT failed(tr("Open Session"), q(e.what()));
        return false;
    }
}

bool DocumentController::openFile(const QString& path) {
    return path.endsWith(".infolens") ? openSession(path) : openImage(path);
}

bool DocumentController::openStart(bool sample) {
    if (!m_pending) {
        const ModelSummary& model = m_bridge.model();
        if (!sample)
            return false;
        if (model.sampleImage.empty()) {  // the family names its sample; some have none
            Q_EMIT notice(tr("This model has no sample image: open one with File ▸ Open Image… "
                             "or drop it on the window."),
                          false);
            return false;
        }
        Q_EMIT sampleChosen(q(model.samplePrompt));
        return readImage(q(model.sampleImage));
    }
    const std::unique_ptr<Pending> pending = std::move(m_pending);
    const bool isImage = pending->image.has_value();
    try {
        checkModelUsable();
        if (isImage)
            showImage(*pending->image, pending->path);
        else
            showSession(*pending->session, pending->path);
        return true;
    } catch (const std::exception& e) {
        Q_EMIT failed(isImage ? tr("Open Image") : tr("Open Session"), q(e.what()));
        return false;
    }
}

void DocumentController::dropPending() {
    m_pending.reset();
}

void DocumentController::showImage(const Image& loaded, const QString& path) {
    std::string fitNote;
    const Image fitted = fitToModel(loaded, &fitNote);
    const std::string hash = sha256FileHex(path.toStdString());
    // Everything read: only now replace the current state.
    m_bridge.ignorePendingGeneration();
    Q_EMIT message(QString(), 0);  // no "Generating…" left behind
    const QString absolute = QFileInfo(path).absoluteFilePath();
    m_image = std::make_shared<const Image>(fitted);
    m_original = std::make_shared<const Image>(loaded);
    m_generationSeed.reset();
    m_imagePath = absolute;
    m_imageHash = q(hash);
    m_sessionPath.clear();  // a new image: Save asks where
    Q_EMIT imageChanged(*m_image, absolute,
                        fitNote.empty() ? QString() : tr("Note: %1").arg(q(fitNote)));
    addRecent(absolute);
    Q_EMIT computeRequested();
    markUnmodified();  // a document as opened has nothing to save
}

void DocumentController::showSession(const SessionState& s, const QString& path) {
    const ModelSummary& model = m_bridge.model();
    QStringList warnings;
    if (!s.modelHash.empty() && s.modelHash != model.hash) {
        warnings << tr("the session was saved with model %1 (%2…) but %3 (%4…) is loaded; "
                       "values will differ")
                        .arg(q(s.modelName), q(s.modelHash.substr(0, 12)), q(model.name),
                             q(model.hash.substr(0, 12)));
    }
    if (s.imagePath.empty())
        throw Error("the session has no image");
    // Nothing is read from a path that escapes the session's folder or is a link unless a person
    // agreed (issue 13); refusing leaves the current document as it was.
    if ((s.imagePathEscapes || s.imagePathIsSymlink) && !m_confirmImagePath(q(s.imagePathNotice))) {
        throw Error(s.imagePathNotice +
                    "; the session was not opened (open the image itself, "
                    "or move it beside the session)");
    }
    const Image loaded = loadImage(s.imagePath);
    const std::string hash = sha256FileHex(s.imagePath);
    if (!s.imageSha256.empty() && hash != s.imageSha256)
        warnings << tr("the image file changed since the session was saved");
    std::string fitNote;
    const Image fitted = fitToModel(loaded, &fitNote);
    // Everything read: only now replace the current state.
    m_bridge.ignorePendingGeneration();
    Q_EMIT message(QString(), 0);
    m_image = std::make_shared<const Image>(fitted);
    m_original = std::make_shared<const Image>(loaded);
    m_generationSeed.reset();
    m_imagePath = q(s.imagePath);
    m_imageHash = q(hash);
    Q_EMIT imageChanged(*m_image, m_imagePath, QString());
    m_sessionPath = QFileInfo(path).absoluteFilePath();
    addRecent(m_sessionPath);
    Q_EMIT restored(restoreDocument(s));
    markUnmodified();
    if (!warnings.isEmpty())
        Q_EMIT notice(tr("Session opened, but ") + warnings.join("; ") + ".", true);
    else if (!fitNote.empty())
        Q_EMIT notice(tr("Note: %1").arg(q(fitNote)), false);
}

bool DocumentController::saveSession(const QString& path) {
    try {
        checkModelUsable();
        if (!m_bridge.modelReady())
            throw Error("the model is still loading");
        if (!m_image)
            throw Error("open an image first");
        const ModelSummary& model = m_bridge.model();
        SessionState s;
        storeDocument(m_current(), s);
        s.modelSpec = m_bridge.modelSpec().toStdString();
        s.modelName = model.name;
        s.modelHash = model.hash;
        std::string imagePath = m_imagePath.toStdString();
        std::string imageHash = m_imageHash.toStdString();
        std::string writtenImage;  // removed again if the session cannot be saved
        if (imagePath.empty()) {
            // A generated image has no file yet: keep it beside the session.
            const SessionImageFile stored = storeSessionImage(path.toStdString(), *m_image);
            imagePath = stored.path;
            imageHash = stored.sha256;
            if (stored.written)
                writtenImage = stored.path;
        }
        s.imagePath = imagePath;
        s.imageSha256 = imageHash;
        s.imageWidth = m_image->width;
        s.imageHeight = m_image->height;
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
        markUnmodified();
        Q_EMIT message(tr("Session saved to %1").arg(path), 5000);
        return true;
    } catch (const std::exception& e) {
        Q_EMIT failed(tr("Save Session"), q(e.what()));
        return false;
    }
}

void DocumentController::generateImage(const QString& prompt, std::uint64_t seed) {
    try {
        checkModelUsable();
    } catch (const std::exception& e) {
        Q_EMIT failed(tr("Generate"), q(e.what()));
        return;
    }
    const PromptAnalysis analysis = m_bridge.analyze(prompt);
    if (!analysis.problem.empty()) {
        Q_EMIT failed(tr("Generate"), q(analysis.problem));
        return;
    }
    Q_EMIT message(tr("Generating…"), 0);
    m_bridge.generate(prompt, seed);
}

void DocumentController::showGenerated(std::shared_ptr<const GenerateResult> r) {
    if (!r->error.empty()) {
        Q_EMIT message(QString(), 0);
        Q_EMIT failed(tr("Generate"), q(r->error));
        Q_EMIT computeRequested();  // the maps of the current image were interrupted
        return;
    }
    m_sessionPath.clear();  // a new image: Save asks where
    Q_EMIT message(QString(), 0);
    m_image = std::make_shared<const Image>(r->image);
    m_original = m_image;
    m_generationSeed = r->seed;
    m_imagePath.clear();
    m_imageHash.clear();
    Q_EMIT imageChanged(*m_image, QString(),
                        tr("Generated from \"%1\" with image seed %2 in %3 ms.")
                            .arg(q(r->prompt))
                            .arg(r->seed)
                            .arg(r->elapsedMs, 0, 'f', 0));
    Q_EMIT computeRequested();
}

void DocumentController::addRecent(const QString& path) {
    m_settings.addRecentFile(path);
    rebuildRecentMenu();
}

void DocumentController::rebuildRecentMenu() {
    if (!m_recentMenu)
        return;
    m_recentMenu->clear();
    const QStringList recent = m_settings.recentFiles();
    for (const QString& path : recent) {
        m_recentMenu->addAction(QFileInfo(path).fileName(), this, [this, path] { openFile(path); })
            ->setToolTip(path);
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
}

}  // namespace infolens::ui
