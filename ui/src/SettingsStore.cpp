#include "infolens/ui/SettingsStore.h"

#include <QSettings>
#include <QVariant>
#include <iterator>

#include "infolens/ui/MapSourceSelect.h"

namespace infolens::ui {

namespace {

// The key list: the one place a settings name is spelled. Indexed by Key.
enum Key : int {
    kWindowGeometry,
    kWindowState,
    kColormap,
    kOpacity,
    kSharedScale,
    kContour,
    kFade,
    kMask,
    kThreshold,
    kRecent,
    kImageFolder,
    kExportFolder,
    kRecentModels,
    kMapSource,
    kFigureSharedScale,
    kKeyCount
};
constexpr const char* kKeyNames[] = {
    "window/geometry", "window/state",        "display/colormap",
    "display/opacity", "display/sharedScale", "display/contour",
    "display/fade",    "display/mask",        "display/threshold",
    "recent",          "paths/images",        "paths/exports",
    "recentModels",    "display/mapSource",   "figure/sharedScale",
};
static_assert(std::size(kKeyNames) == kKeyCount, "one name per key");

// The remembered display settings: each field with its key, for reading and writing alike.
struct DisplayField {
    Key key;
    QVariant (*get)(const DisplaySettings&);
    void (*set)(DisplaySettings&, const QVariant&);
};
const DisplayField kDisplayFields[] = {
    {kColormap, [](const DisplaySettings& d) -> QVariant { return d.colormap; },
     [](DisplaySettings& d, const QVariant& v) { d.colormap = v.toString(); }},
    {kOpacity, [](const DisplaySettings& d) -> QVariant { return d.opacity; },
     [](DisplaySettings& d, const QVariant& v) { d.opacity = v.toDouble(); }},
    {kSharedScale, [](const DisplaySettings& d) -> QVariant { return d.sharedScale; },
     [](DisplaySettings& d, const QVariant& v) { d.sharedScale = v.toBool(); }},
    {kContour, [](const DisplaySettings& d) -> QVariant { return d.contour; },
     [](DisplaySettings& d, const QVariant& v) { d.contour = v.toBool(); }},
    {kFade, [](const DisplaySettings& d) -> QVariant { return d.fadeLowValues; },
     [](DisplaySettings& d, const QVariant& v) { d.fadeLowValues = v.toBool(); }},
    {kMask, [](const DisplaySettings& d) -> QVariant { return d.maskBelowThreshold; },
     [](DisplaySettings& d, const QVariant& v) { d.maskBelowThreshold = v.toBool(); }},
    {kThreshold, [](const DisplaySettings& d) -> QVariant { return d.thresholdFraction; },
     [](DisplaySettings& d, const QVariant& v) { d.thresholdFraction = v.toDouble(); }},
    // By name; an unknown name (a newer version's source) keeps the default.
    {kMapSource, [](const DisplaySettings& d) -> QVariant { return mapSourceKey(d.mapSource); },
     [](DisplaySettings& d, const QVariant& v) {
         d.mapSource = mapSourceFromKey(v.toString()).value_or(d.mapSource);
     }},
};

}  // namespace

SettingsStore::SettingsStore() : m_settings(std::make_unique<QSettings>()) {}

SettingsStore::SettingsStore(const QString& iniPath)
    : m_settings(std::make_unique<QSettings>(iniPath, QSettings::IniFormat)) {}

SettingsStore::~SettingsStore() = default;

QStringList SettingsStore::keys() {
    QStringList names;
    for (const char* name : kKeyNames)
        names << QString::fromLatin1(name);
    return names;
}

QVariant SettingsStore::value(int key) const {
    return m_settings->value(QString::fromLatin1(kKeyNames[key]));
}

void SettingsStore::setValue(int key, const QVariant& value) {
    m_settings->setValue(QString::fromLatin1(kKeyNames[key]), value);
}

bool SettingsStore::hasWindowGeometry() const {
    return m_settings->contains(QString::fromLatin1(kKeyNames[kWindowGeometry]));
}

QByteArray SettingsStore::windowGeometry() const {
    return value(kWindowGeometry).toByteArray();
}

QByteArray SettingsStore::windowState() const {
    return value(kWindowState).toByteArray();
}

void SettingsStore::setWindow(const QByteArray& geometry, const QByteArray& state) {
    setValue(kWindowGeometry, geometry);
    setValue(kWindowState, state);
}

DisplaySettings SettingsStore::display(const DisplaySettings& defaults) const {
    DisplaySettings d = defaults;
    for (const DisplayField& field : kDisplayFields) {
        const QVariant v = value(field.key);
        if (v.isValid())
            field.set(d, v);
    }
    return d;
}

void SettingsStore::setDisplay(const DisplaySettings& display) {
    for (const DisplayField& field : kDisplayFields)
        setValue(field.key, field.get(display));
}

bool SettingsStore::figureSharedScale() const {
    return value(kFigureSharedScale).toBool();  // never chosen: each panel its own scale
}

void SettingsStore::setFigureSharedScale(bool shared) {
    setValue(kFigureSharedScale, shared);
}

QStringList SettingsStore::recentModels() const {
    return value(kRecentModels).toStringList();
}

void SettingsStore::addRecentModel(const QString& spec) {
    QStringList recent = recentModels();
    recent.removeAll(spec);
    recent.prepend(spec);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    setValue(kRecentModels, recent);
}

QStringList SettingsStore::recentFiles() const {
    return value(kRecent).toStringList();
}

void SettingsStore::addRecentFile(const QString& path) {
    QStringList recent = recentFiles();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    setValue(kRecent, recent);
}

QString SettingsStore::imageFolder() const {
    return value(kImageFolder).toString();
}

void SettingsStore::setImageFolder(const QString& folder) {
    setValue(kImageFolder, folder);
}

QString SettingsStore::exportFolder() const {
    return value(kExportFolder).toString();
}

void SettingsStore::setExportFolder(const QString& folder) {
    setValue(kExportFolder, folder);
}

void SettingsStore::sync() {
    m_settings->sync();
}

}  // namespace infolens::ui
