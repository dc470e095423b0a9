#include "infolens/io/SessionFile.h"

#include <stb_image_write.h>

#include <cmath>
#include <ctime>
#include <filesystem>
#include <limits>
#include <type_traits>

#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/io/JsonNumbers.h"
#include "infolens/io/Sha256.h"

namespace infolens {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Bounds on what a session may hold. A hand-edited or hostile file beyond them is refused with the
// field's name rather than handed to the app (a 2^31 image size, a million word modes).
constexpr int kMaxSessionImageSide = 16384;
constexpr std::size_t kMaxSessionWords = 10000;
constexpr int kMaxSessionSelectedWord = 100000;

const char* modeName(WordMode mode) {
    return mode == WordMode::Placeholder ? "placeholder" : "omit";
}

bool isLowerHex(const std::string& text) {
    for (const char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

// Reads typed fields and names the offending one ("view.opacity") in every error, since a user
// who edited the file by hand needs to know which line to fix.
class FieldReader {
  public:
    explicit FieldReader(const std::string& name) : m_name(name) {}

    [[noreturn]] void fail(const std::string& field, const std::string& why) const {
        throw FormatError("session '" + m_name + "': field \"" + field + "\" " + why);
    }

    const json& get(const json& object, const std::string& prefix, const char* key) const {
        const std::string field = path(prefix, key);
        const auto it = object.find(key);
        if (it == object.end())
            fail(field, "is missing");
        return *it;
    }

    const json& object(const json& parent, const std::string& prefix, const char* key) const {
        const json& value = get(parent, prefix, key);
        if (!value.is_object())
            wrongType(path(prefix, key), "an object", value);
        return value;
    }

    std::string string(const json& parent, const std::string& prefix, const char* key) const {
        const json& value = get(parent, prefix, key);
        if (!value.is_string())
            wrongType(path(prefix, key), "a string", value);
        return value.get<std::string>();
    }

    bool boolean(const json& parent, const std::string& prefix, const char* key) const {
        const json& value = get(parent, prefix, key);
        if (!value.is_boolean())
            wrongType(path(prefix, key), "true or false", value);
        return value.get<bool>();
    }

    int integer(const json& parent, const std::string& prefix, const char* key, int lo,
                int hi) const {
        const std::string field = path(prefix, key);
        const json& value = get(parent, prefix, key);
        if (!value.is_number_integer())
            wrongType(field, "an integer", value);
        const std::optional<std::int64_t> x = jsonIntegerIn(value, lo, hi);
        if (!x) {
            fail(field, "is " + value.dump() + ", outside " + std::to_string(lo) + ".." +
                            std::to_string(hi));
        }
        return static_cast<int>(*x);
    }

    std::uint64_t unsignedInteger(const json& parent, const std::string& prefix,
                                  const char* key) const {
        const json& value = get(parent, prefix, key);
        if (!value.is_number_unsigned())
            wrongType(path(prefix, key), "a non-negative integer", value);
        return value.get<std::uint64_t>();
    }

    double number(const json& parent, const std::string& prefix, const char* key, double lo,
                  double hi) const {
        const std::string field = path(prefix, key);
        const json& value = get(parent, prefix, key);
        if (!value.is_number())
            wrongType(field, "a number", value);
        const double x = value.get<double>();
        if (!(x >= lo && x <= hi))
            fail(field,
                 "is " + value.dump() + ", outside " + json(lo).dump() + ".." + json(hi).dump());
        return x;
    }

  private:
    static std::string path(const std::string& prefix, const char* key) {
        return prefix.empty() ? std::string(key) : prefix + "." + key;
    }

    [[noreturn]] void wrongType(const std::string& field, const char* expected,
                                const json& value) const {
        fail(field, std::string("must be ") + expected + ", not " + value.type_name());
    }

    const std::string& m_name;
};

// Names the target in every failure; writeFileAtomically's own message names its temporary.
template <class Write>
void writeNamed(const std::string& what, const std::string& path, Write&& write) {
    const fs::path folder = fs::absolute(path).parent_path();
    std::error_code ec;
    if (!fs::is_directory(folder, ec))
        throw Error("cannot " + what + " '" + path + "': the folder '" + folder.string() +
                    "' does not exist");
    try {
        write();
    } catch (const Error& e) {
        throw Error("cannot " + what + " '" + path + "': " + e.what());
    }
}

bool fileHasDigest(const std::string& path, const std::string& sha256) {
    try {
        return sha256FileHex(path) == sha256;
    } catch (const Error&) {
        return false;  // unreadable: not ours to reuse
    }
}

// Written in reading order (format and version first) rather than nlohmann's sorted order, since
// people open session files to see what they hold.
template <class Json>
Json sessionJson(const SessionState& s) {
    Json modes = Json::array();
    for (const WordMode mode : s.modes)
        modes.push_back(modeName(mode));
    Json j{
        {"format", kSessionFormat},
        {"version", s.version},
        {"savedBy", s.savedBy},
        {"savedAt", s.savedAt},
        {"model", {{"spec", s.modelSpec}, {"name", s.modelName}, {"hash", s.modelHash}}},
        {"image",
         {{"path", s.imagePath},
          {"sha256", s.imageSha256},
          {"width", s.imageWidth},
          {"height", s.imageHeight}}},
        {"prompt", s.prompt},
        {"words", {{"modes", modes}, {"placeholder", s.placeholder}}},
        {"sampling",
         {{"seed", s.seed},
          {"sampleCap", s.sampleCap},
          {"targetRelativeSe", s.targetRelativeSe},
          {"iidSampler", s.iidSampler}}},
        {"view",
         {{"colormap", s.colormap},
          {"opacity", s.opacity},
          {"sharedScale", s.sharedScale},
          {"maskBelowThreshold", s.maskBelowThreshold},
          {"contour", s.contour},
          {"fadeLowValues", s.fadeLowValues},
          {"thresholdFraction", s.thresholdFraction},
          {"mapSource", s.mapSource},
          {"selectedWord", s.selectedWord}}},
    };
    // Both the file writer (ordered) and sessionToJson go through here, so neither can drop them.
    if (!s.interventions.empty()) {
        Json interventions = Json::array();
        for (const InterventionOutcome& o : s.interventions) {
            if constexpr (std::is_same_v<Json, json>)
                interventions.push_back(interventionToJson(o));
            else
                interventions.push_back(Json::parse(interventionToJson(o).dump()));
        }
        j["interventions"] = std::move(interventions);
    }
    return j;
}

}  // namespace

json sessionToJson(const SessionState& s) {
    return sessionJson<json>(s);
}

SessionState sessionFromJson(const json& j, const std::string& nameForErrors) {
    const FieldReader r(nameForErrors);
    const auto formatIt = j.is_object() ? j.find("format") : j.end();
    if (!j.is_object() || formatIt == j.end() || *formatIt != kSessionFormat) {
        throw FormatError("'" + nameForErrors +
                          "' is not an InfoLens session (it lacks \"format\": \"" + kSessionFormat +
                          "\")");
    }
    const json& version = r.get(j, "", "version");
    if (!version.is_number_integer())
        r.fail("version", std::string("must be an integer, not ") + version.type_name());
    if (version != kSessionVersion) {
        const bool newer = version.is_number_unsigned() &&
                           version.get<std::uint64_t>() > std::uint64_t(kSessionVersion);
        throw FormatError("session '" + nameForErrors + "' has version " + version.dump() +
                          (newer ? ", written by a newer InfoLens;" : ", which is unknown;") +
                          " this build reads version " + std::to_string(kSessionVersion));
    }

    SessionState s;
    s.version = kSessionVersion;
    s.savedBy = r.string(j, "", "savedBy");
    s.savedAt = r.string(j, "", "savedAt");

    const json& model = r.object(j, "", "model");
    s.modelSpec = r.string(model, "model", "spec");
    s.modelName = r.string(model, "model", "name");
    s.modelHash = r.string(model, "model", "hash");

    const json& image = r.object(j, "", "image");
    s.imagePath = r.string(image, "image", "path");
    s.imageSha256 = r.string(image, "image", "sha256");
    if (!s.imageSha256.empty() && (s.imageSha256.size() != 64 || !isLowerHex(s.imageSha256)))
        r.fail("image.sha256", "is not 64 lower-case hex digits");
    s.imageWidth = r.integer(image, "image", "width", 0, kMaxSessionImageSide);
    s.imageHeight = r.integer(image, "image", "height", 0, kMaxSessionImageSide);

    s.prompt = r.string(j, "", "prompt");

    const json& words = r.object(j, "", "words");
    const json& modes = r.get(words, "words", "modes");
    if (!modes.is_array())
        r.fail("words.modes", std::string("must be an array, not ") + modes.type_name());
    if (modes.size() > kMaxSessionWords)
        r.fail("words.modes", "has " + std::to_string(modes.size()) + " entries, more than " +
                                  std::to_string(kMaxSessionWords));
    for (std::size_t i = 0; i < modes.size(); ++i) {
        const std::string field = "words.modes[" + std::to_string(i) + "]";
        if (modes[i] == "omit") {
            s.modes.push_back(WordMode::Omit);
        } else if (modes[i] == "placeholder") {
            s.modes.push_back(WordMode::Placeholder);
        } else {
            r.fail(field, "is " + modes[i].dump() + "; expected \"omit\" or \"placeholder\"");
        }
    }
    s.placeholder = r.string(words, "words", "placeholder");

    const json& sampling = r.object(j, "", "sampling");
    s.seed = r.unsignedInteger(sampling, "sampling", "seed");
    s.sampleCap = r.integer(sampling, "sampling", "sampleCap", 1, kMaxSessionSampleCap);
    s.targetRelativeSe = r.number(sampling, "sampling", "targetRelativeSe", 0.0, 1.0);
    s.iidSampler = r.boolean(sampling, "sampling", "iidSampler");

    const json& view = r.object(j, "", "view");
    s.colormap = r.string(view, "view", "colormap");
    s.opacity = r.number(view, "view", "opacity", 0.0, 1.0);
    s.sharedScale = r.boolean(view, "view", "sharedScale");
    s.maskBelowThreshold = r.boolean(view, "view", "maskBelowThreshold");
    s.contour = r.boolean(view, "view", "contour");
    // Added within version 1: sessions saved before it default to the solid overlay.
    s.fadeLowValues =
        view.contains("fadeLowValues") ? r.boolean(view, "view", "fadeLowValues") : false;
    s.thresholdFraction = r.number(view, "view", "thresholdFraction", 0.0, 1.0);
    // Added within version 1: sessions saved before it show the information maps.
    if (view.contains("mapSource")) {
        s.mapSource = r.string(view, "view", "mapSource");
        if (s.mapSource != "information" && s.mapSource != "attention" && s.mapSource != "combined")
            r.fail("view.mapSource", "is \"" + s.mapSource +
                                         "\"; expected \"information\", \"attention\" or "
                                         "\"combined\"");
    }
    s.selectedWord = r.integer(view, "view", "selectedWord", -1, kMaxSessionSelectedWord);
    // Optional within version 1 (SessionInterventions.h validates each one).
    if (const auto it = j.find("interventions"); it != j.end()) {
        if (!it->is_array())
            r.fail("interventions", std::string("must be an array, not ") + it->type_name());
        if (it->size() > kMaxSessionInterventions)
            r.fail("interventions", "has " + std::to_string(it->size()) + " entries, more than " +
                                        std::to_string(kMaxSessionInterventions));
        for (std::size_t i = 0; i < it->size(); ++i)
            s.interventions.push_back(interventionFromJson(
                (*it)[i], "interventions[" + std::to_string(i) + "]", nameForErrors));
    }
    return s;
}

void saveSession(const std::string& path, const SessionState& state) {
    SessionState stored = state;
    if (!stored.imagePath.empty()) {
        const fs::path image = fs::absolute(stored.imagePath).lexically_normal();
        const fs::path sessionDir = fs::absolute(path).parent_path().lexically_normal();
        // Both sides canonical where they exist, so a symlinked folder does not hide that the
        // image is beside the session.
        std::error_code ec;
        const fs::path realImage = fs::weakly_canonical(image, ec);
        const fs::path realDir = ec ? fs::path() : fs::weakly_canonical(sessionDir, ec);
        const fs::path relative = ec ? fs::path() : realImage.lexically_relative(realDir);
        const bool inside =
            !relative.empty() && *relative.begin() != ".." && relative.is_relative();
        stored.imagePath = inside ? relative.generic_string() : image.string();
    }
    std::string text;
    try {
        text = sessionJson<nlohmann::ordered_json>(stored).dump(2) + "\n";
    } catch (const json::exception& e) {
        // Only invalid UTF-8 in a string (a file name from a foreign file system) can land here.
        throw Error("cannot save session '" + path + "': " + e.what());
    }
    writeNamed("save session", path, [&] { writeFileAtomically(path, text); });
}

namespace {

// Refuses an image path that names something that is not a file (reading a FIFO hangs, a device
// never ends) and reports, without refusing, a path that leaves the session's folder or is a link.
void checkImagePath(const std::string& sessionPath, const std::string& storedPath,
                    SessionState& s) {
    const fs::path stored(storedPath);
    if (stored.is_relative()) {
        const fs::path normal = stored.lexically_normal();
        if (!normal.empty() && *normal.begin() == "..") {
            s.imagePathEscapes = true;
            s.imagePathNotice = "the session's image path '" + storedPath +
                                "' leads outside the session's folder, to '" + s.imagePath + "'";
        }
    }
    std::error_code ec;
    const fs::file_status link = fs::symlink_status(s.imagePath, ec);
    if (!ec && fs::is_symlink(link)) {
        s.imagePathIsSymlink = true;
        const fs::path target = fs::read_symlink(s.imagePath, ec);
        const std::string sentence = "the session's image '" + s.imagePath +
                                     "' is a symbolic link to '" + target.string() + "'";
        s.imagePathNotice += (s.imagePathNotice.empty() ? "" : "; ") + sentence;
    }
    const std::string reason = notRegularFileReason(s.imagePath);
    if (!reason.empty() && reason != "does not exist") {
        throw FormatError("session '" + sessionPath + "': its image '" + s.imagePath + "' " +
                          reason + ", not an image file");
    }
}

}  // namespace

SessionState parseSession(const std::vector<unsigned char>& bytes, const std::string& name) {
    json j;
    try {
        j = json::parse(bytes.begin(), bytes.end());
    } catch (const json::exception& e) {
        // Not only parse_error: a number too large for a double is out_of_range (found by
        // fuzz_session), which used to escape as an internal error.
        throw FormatError("session file '" + name + "' is not valid JSON: " + e.what());
    }
    return sessionFromJson(j, name);
}

SessionState loadSession(const std::string& path) {
    std::error_code ec;
    if (!fs::exists(fs::status(path, ec)))
        throw IoError("session file '" + path + "' does not exist");
    SessionState s = parseSession(readFileBytes(path, kMaxSessionBytes), path);
    if (!s.imagePath.empty()) {
        const std::string stored = s.imagePath;
        if (fs::path(s.imagePath).is_relative()) {
            const fs::path sessionDir = fs::absolute(path).parent_path();
            s.imagePath = (sessionDir / s.imagePath).lexically_normal().string();
        }
        checkImagePath(path, stored, s);
    }
    return s;
}

SessionImageFile storeSessionImage(const std::string& sessionPath, const Image& image) {
    if (image.width <= 0 || image.height <= 0 ||
        image.rgb.size() != static_cast<std::size_t>(image.width) * image.height * 3) {
        throw Error("cannot store the image of session '" + sessionPath +
                    "': the pixel buffer does not match its size");
    }
    std::string encoded;
    const auto append = [](void* context, void* data, int size) {
        static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                                   static_cast<std::size_t>(size));
    };
    if (!stbi_write_png_to_func(append, &encoded, image.width, image.height, 3, image.rgb.data(),
                                image.width * 3)) {
        throw Error("cannot encode the image of session '" + sessionPath + "' as PNG");
    }
    SessionImageFile file;
    file.sha256 = sha256Hex(encoded);
    const fs::path session = fs::absolute(sessionPath);
    const std::string stem = (session.parent_path() / session.stem()).string() + "-image";
    constexpr int kMaxCandidates = 1000;
    for (int n = 1; n <= kMaxCandidates; ++n) {
        file.path = stem + (n == 1 ? std::string() : "-" + std::to_string(n)) + ".png";
        std::error_code ec;
        const fs::file_status status = fs::symlink_status(file.path, ec);
        if (fs::exists(status)) {
            // Reuse only a regular file with exactly these bytes; anything else keeps its name.
            if (fs::is_regular_file(fs::status(file.path, ec)) && !ec &&
                fileHasDigest(file.path, file.sha256)) {
                return file;
            }
            continue;
        }
        writeNamed("save image", file.path, [&] { writeFileAtomically(file.path, encoded); });
        file.written = true;
        return file;
    }
    throw Error("cannot store the image of session '" + sessionPath + "': " + stem + ".png to " +
                stem + "-" + std::to_string(kMaxCandidates) + ".png all exist");
}

std::string utcTimestampNow() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

}  // namespace infolens
