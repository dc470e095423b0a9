#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "infolens/io/ImageIO.h"
#include "infolens/io/SessionInterventions.h"
#include "infolens/live/LiveResult.h"

// Session files (.infolens, JSON): everything needed to reopen the app where the user left it.
// Results are not stored; reopening recomputes them, which is deterministic for a given seed.
//
// Image paths: in memory, SessionState::imagePath is absolute or relative to the process's working
// directory. saveSession stores it relative to the session file's directory when the image lies in
// that directory or below it, and absolute otherwise, so a folder holding a session and its image
// can be moved or shared as a whole. loadSession resolves a relative stored path against the
// session file's directory and returns an absolute path. sessionToJson and sessionFromJson copy the
// path unchanged; only the file functions rewrite it.
//
// The loader does not open the image: the app compares sha256FileHex(imagePath) with imageSha256
// to tell the user when the image is missing or has changed since the session was saved.
namespace infolens {

inline constexpr const char* kSessionFormat = "infolens-session";
inline constexpr int kSessionVersion = 1;
// sampling.sampleCap must lie in 1..kMaxSessionSampleCap (draws of the estimator; the app's
// default is 128).
inline constexpr int kMaxSessionSampleCap = 4096;
// A session is a few kilobytes; larger files are refused before they are read.
inline constexpr std::uint64_t kMaxSessionBytes = std::uint64_t(16) << 20;

struct SessionState {
    int version = kSessionVersion;
    std::string modelSpec;  // as given to LiveWorker (a directory or a built-in name)
    std::string modelName;
    std::string modelHash;
    std::string imagePath;    // empty when no image is open
    std::string imageSha256;  // lower-case hex of the file's bytes; empty when no image
    int imageWidth = 0;       // the model's input size the image was fitted to
    int imageHeight = 0;
    std::string prompt;
    std::vector<WordMode> modes;  // per word of the prompt
    std::string placeholder = "_";
    std::uint64_t seed = 0;
    int sampleCap = 128;
    double targetRelativeSe = 0.05;
    bool iidSampler = false;
    std::string colormap = "viridis";
    double opacity = 0.6;
    bool sharedScale = true;
    bool maskBelowThreshold = false;
    bool contour = false;
    bool fadeLowValues = true;
    double thresholdFraction = 0.5;  // of the colour scale's maximum
    // Which map is drawn: "information", "attention" or "combined" (the UI's MapSource). Added
    // within version 1: sessions saved before it open on "information".
    std::string mapSource = "information";
    int selectedWord = -1;  // -1: the whole prompt's MI map
    std::string savedBy;    // e.g. "InfoLens 0.1.0"
    std::string savedAt;    // ISO 8601 UTC, e.g. "2024-05-01T12:00:00Z"
    // Optional ("interventions", SessionInterventions.h): the prompt interventions shown when
    // saved, with their maps and images. The app shows them again only when their modelHash is
    // the loaded model's.
    std::vector<InterventionOutcome> interventions;

    // Set by loadSession only (never saved): facts about imagePath the app must put to the user
    // before opening the image. A session from someone else can name any file.
    // - imagePathEscapes: the stored path was relative and climbs out of the session's folder
    //   with ".." (e.g. "../../home/me/.ssh/id_rsa.png"); the app asks before opening it.
    // - imagePathIsSymlink: the image path is a symbolic link (imagePathNotice names its target).
    // imagePathNotice: one sentence for the user describing the above; empty when neither holds.
    bool imagePathEscapes = false;
    bool imagePathIsSymlink = false;
    std::string imagePathNotice;
};

// Every field is required in version 1; fields this version does not know are ignored. A missing
// or wrong-typed field, an out-of-range value, a "format" other than kSessionFormat or a version
// other than kSessionVersion throws infolens::Error naming nameForErrors and the field.
nlohmann::json sessionToJson(const SessionState& state);
SessionState sessionFromJson(const nlohmann::json& json, const std::string& nameForErrors);

// Pretty-printed JSON, written atomically (a failure leaves any previous file untouched).
void saveSession(const std::string& path, const SessionState& state);
// Throws infolens::Error for a missing or unreadable file, a folder, FIFO or device, a file over
// kMaxSessionBytes (checked before reading), invalid JSON (with the parser's message), or any
// problem sessionFromJson reports. An image path naming a folder, FIFO, device or socket is refused
// (FormatError naming both files); a missing image is not an error (the app reports it). See
// SessionState::imagePathEscapes / imagePathIsSymlink for what is reported rather than refused.
SessionState loadSession(const std::string& path);
// loadSession's parsing of bytes already read: JSON (any nlohmann exception becomes FormatError)
// and sessionFromJson. Paths are left as stored.
SessionState parseSession(const std::vector<unsigned char>& bytes,
                          const std::string& nameForErrors);

// Where a session keeps an image that has no file yet (a generated one): a PNG beside the session,
// "<session name>-image.png" (for "dir/cat.infolens": "dir/cat-image.png"). An existing file is
// never replaced: one holding exactly the bytes this image encodes to is reused, otherwise the
// next free name is taken ("-image-2.png", "-image-3.png", ...). Throws infolens::Error when the
// image cannot be encoded or written, or no free name is left.
struct SessionImageFile {
    std::string path;
    std::string sha256;    // of the file's bytes, as SessionState::imageSha256
    bool written = false;  // false: an identical existing file was reused
};
SessionImageFile storeSessionImage(const std::string& sessionPath, const Image& image);

// The current time as ISO 8601 UTC with seconds, for SessionState::savedAt.
std::string utcTimestampNow();

}  // namespace infolens
