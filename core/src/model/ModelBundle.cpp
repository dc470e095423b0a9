#include "infolens/model/ModelBundle.h"

#include <climits>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/io/JsonNumbers.h"
#include "infolens/io/Sha256.h"

namespace infolens {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kFormat = "infolens-bundle";
constexpr int kVersion = 1;

[[noreturn]] void fail(const std::string& directory, const std::string& what) {
    throw ModelError("model bundle '" + directory + "': " + what);
}

template <typename T>
T field(const json& object, const char* key, const std::string& where, const std::string& dir) {
    if (!object.contains(key))
        fail(dir, "manifest.json lacks '" + where + key + "'");
    try {
        return object.at(key).get<T>();
    } catch (const json::exception&) {
        fail(dir, "manifest.json field '" + where + key + "' has the wrong type");
    }
}

// An integer field within [lo, hi]; nlohmann's get<int> would truncate 2.5 and wrap 2^40.
int intField(const json& object, const char* key, const std::string& where, const std::string& dir,
             int lo, int hi) {
    if (!object.contains(key))
        fail(dir, "manifest.json lacks '" + where + key + "'");
    const json& value = object.at(key);
    if (!value.is_number_integer())
        fail(dir, "manifest.json field '" + where + key + "' must be an integer");
    const std::optional<std::int64_t> x = jsonIntegerIn(value, lo, hi);
    if (!x) {
        fail(dir, "manifest.json field '" + where + key + "' is " + value.dump() + ", outside " +
                      std::to_string(lo) + ".." + std::to_string(hi));
    }
    return static_cast<int>(*x);
}

// A finite number within [lo, hi].
double numberField(const json& object, const char* key, const std::string& where,
                   const std::string& dir, double lo, double hi) {
    const double x = field<double>(object, key, where, dir);
    if (!(x >= lo && x <= hi)) {
        fail(dir, "manifest.json field '" + where + key + "' is " + json(x).dump() + ", outside " +
                      json(lo).dump() + ".." + json(hi).dump());
    }
    return x;
}

// Why `relative` is not a regular file reached without symbolic links from inside `dir`, or
// empty. A link anywhere on the way could point outside the bundle (or be swapped later), so
// every component is checked, not only the last.
std::string bundleFileProblem(const fs::path& dir, const std::string& relative) {
    fs::path at = dir;
    std::error_code ec;
    for (const auto& part : fs::path(relative)) {
        if (part.empty() || part == ".")
            continue;
        at /= part;
        const fs::file_status st = fs::symlink_status(at, ec);
        if (ec || !fs::exists(st))
            return "is missing";
        if (fs::is_symlink(st))
            return "is reached through a symbolic link ('" + at.string() +
                   "'), which bundles may not contain";
    }
    const std::string reason = notRegularFileReason(at.string());
    return reason.empty() ? std::string() : reason == "does not exist" ? "is missing" : reason;
}

// A relative path that stays inside the bundle: no absolute paths, no "..".
bool isSafeRelative(const std::string& path) {
    const fs::path p(path);
    if (path.empty() || p.is_absolute())
        return false;
    for (const auto& part : p) {
        if (part == "..")
            return false;
    }
    return true;
}

}  // namespace

std::string BundleManifest::filePath(const std::string& role) const {
    const auto found = files.find(role);
    if (found == files.end())
        fail(directory, "manifest lists no '" + role + "' file");
    return (fs::path(directory) / found->second.path).string();
}

std::vector<unsigned char> BundleManifest::readVerifiedFile(const std::string& role,
                                                            std::uint64_t maxBytes) const {
    const auto found = files.find(role);
    if (found == files.end())
        fail(directory, "manifest lists no '" + role + "' file");
    const BundleFile& file = found->second;
    const std::string problem = bundleFileProblem(fs::path(directory), file.path);
    if (!problem.empty())
        fail(directory, "file '" + file.path + "' (" + role + ") " + problem);
    std::vector<unsigned char> bytes;
    try {
        bytes = readFileBytes((fs::path(directory) / file.path).string(), maxBytes);
    } catch (const Error& e) {
        fail(directory, e.what());
    }
    const std::string actual =
        sha256Hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    if (actual != file.sha256) {
        fail(directory, "file '" + file.path +
                            "' does not match its SHA-256 in manifest.json (expected " +
                            file.sha256.substr(0, 12) + "..., found " + actual.substr(0, 12) +
                            "...): it is corrupt, truncated or was modified");
    }
    return bytes;
}

LogSnrRange discreteScheduleRange(const std::string& betaSchedule, double betaStart, double betaEnd,
                                  int timesteps) {
    if (timesteps < 2)
        throw Error("a discrete schedule needs at least 2 timesteps");
    double abar = 1.0;
    LogSnrRange range{std::numeric_limits<double>::infinity(),
                      -std::numeric_limits<double>::infinity()};
    for (int t = 0; t < timesteps; ++t) {
        const double f = static_cast<double>(t) / (timesteps - 1);
        double beta = 0.0;
        if (betaSchedule == "linear") {
            beta = betaStart + f * (betaEnd - betaStart);
        } else if (betaSchedule == "scaled_linear") {
            const double r = std::sqrt(betaStart) + f * (std::sqrt(betaEnd) - std::sqrt(betaStart));
            beta = r * r;
        } else {
            throw Error("unknown beta schedule '" + betaSchedule +
                        "' (expected linear or scaled_linear)");
        }
        abar *= 1.0 - beta;
        const double logSnr = std::log(abar) - std::log1p(-abar);
        range.lo = std::min(range.lo, logSnr);
        range.hi = std::max(range.hi, logSnr);
    }
    return range;
}

BundleManifest readBundle(const std::string& directory, bool verifyHashes) {
    const fs::path dir(directory);
    if (!fs::is_directory(dir))
        fail(directory, "not a directory");
    const fs::path manifestPath = dir / "manifest.json";
    const std::string manifestProblem = bundleFileProblem(dir, "manifest.json");
    if (!manifestProblem.empty())
        fail(directory, "manifest.json " + manifestProblem);
    constexpr std::uint64_t kMaxManifestBytes = std::uint64_t(1) << 20;
    std::vector<unsigned char> bytes;
    try {
        bytes = readFileBytes(manifestPath.string(), kMaxManifestBytes);
    } catch (const Error& e) {
        fail(directory, e.what());
    }
    BundleManifest m = parseBundleManifest(std::string(bytes.begin(), bytes.end()), directory);
    for (const auto& [role, file] : m.files) {
        const fs::path full = dir / file.path;
        const std::string problem = bundleFileProblem(dir, file.path);
        if (!problem.empty())
            fail(directory, "file '" + file.path + "' (" + role + ") " + problem);
        if (verifyHashes) {
            const std::string actual = sha256FileHex(full.string());
            if (actual != file.sha256) {
                fail(directory, "file '" + file.path +
                                    "' does not match its SHA-256 in manifest.json (expected " +
                                    file.sha256.substr(0, 12) + "..., found " +
                                    actual.substr(0, 12) +
                                    "...): it is corrupt, truncated or was modified");
            }
        }
    }
    return m;
}

BundleManifest parseBundleManifest(const std::string& text, const std::string& directory) {
    const fs::path dir(directory);
    json root;
    try {
        root = json::parse(text);
    } catch (const json::exception& e) {
        fail(directory, std::string("manifest.json is not valid JSON (") + e.what() + ")");
    }
    if (!root.is_object())
        fail(directory, "manifest.json is not a JSON object");

    BundleManifest m;
    m.directory = dir.string();
    m.manifestSha256 = sha256Hex(text);
    m.format = field<std::string>(root, "format", "", directory);
    if (m.format != kFormat)
        fail(directory, "format is '" + m.format + "', expected '" + kFormat + "'");
    m.version = intField(root, "version", "", directory, INT_MIN, INT_MAX);
    if (m.version != kVersion) {
        fail(directory, "manifest version " + std::to_string(m.version) +
                            " is not supported (this build reads " + std::to_string(kVersion) +
                            ")");
    }
    m.kind = field<std::string>(root, "kind", "", directory);
    m.name = field<std::string>(root, "name", "", directory);

    const json image = field<json>(root, "image", "", directory);
    m.imageWidth = intField(image, "width", "image.", directory, INT_MIN, INT_MAX);
    m.imageHeight = intField(image, "height", "image.", directory, INT_MIN, INT_MAX);
    m.imageChannels = intField(image, "channels", "image.", directory, INT_MIN, INT_MAX);
    constexpr int kMaxImageSide = 16384;
    if (m.imageWidth < 1 || m.imageWidth > kMaxImageSide || m.imageHeight < 1 ||
        m.imageHeight > kMaxImageSide) {
        fail(directory, "image.width and image.height must be 1.." + std::to_string(kMaxImageSide) +
                            " (got " + std::to_string(m.imageWidth) + "x" +
                            std::to_string(m.imageHeight) + ")");
    }
    if (m.imageChannels != 1 && m.imageChannels != 3 && m.imageChannels != 4)
        fail(directory, "image.channels must be 1, 3 or 4");
    // Element by element: get<std::vector<int64_t>> would convert 1e56 to an integer (UB).
    const json shape = field<json>(root, "data_shape", "", directory);
    if (!shape.is_array() || shape.size() != 3)
        fail(directory, "data_shape must be [C, H, W]");
    constexpr int64_t kMaxDataElements = int64_t{1} << 26;  // 64 M values per image
    int64_t elements = 1;
    for (const json& d : shape) {
        const std::optional<std::int64_t> side = jsonIntegerIn(d, 1, 1 << 16);
        if (!side)
            fail(directory, "data_shape has an impossible size");
        m.dataShape.push_back(*side);
        elements *= m.dataShape.back();  // at most 2^48: no overflow
    }
    if (elements > kMaxDataElements)
        fail(directory, "data_shape has more than 2^26 values per image");

    const json schedule = field<json>(root, "schedule", "", directory);
    m.scheduleType = field<std::string>(schedule, "type", "schedule.", directory);
    if (m.scheduleType == "continuous") {
        m.logSnrRange.lo =
            numberField(schedule, "logsnr_min", "schedule.", directory, -1e308, 1e308);
        m.logSnrRange.hi =
            numberField(schedule, "logsnr_max", "schedule.", directory, -1e308, 1e308);
        constexpr double kMaxAbsLogSnr = 100.0;
        if (!(std::abs(m.logSnrRange.lo) <= kMaxAbsLogSnr &&
              std::abs(m.logSnrRange.hi) <= kMaxAbsLogSnr))
            fail(directory, "schedule log-SNR bounds must lie within [-100, 100]");
    } else if (m.scheduleType == "discrete") {
        const auto betas = field<std::string>(schedule, "beta_schedule", "schedule.", directory);
        // Betas are probabilities; the step count bounds a loop (2^31 steps would hang the load).
        constexpr int kMaxTimesteps = 100000;
        const auto betaStart =
            numberField(schedule, "beta_start", "schedule.", directory, 1e-12, 0.999);
        const auto betaEnd =
            numberField(schedule, "beta_end", "schedule.", directory, 1e-12, 0.999);
        const auto timesteps =
            intField(schedule, "timesteps", "schedule.", directory, 2, kMaxTimesteps);
        try {
            m.logSnrRange = discreteScheduleRange(betas, betaStart, betaEnd, timesteps);
        } catch (const Error& e) {
            fail(directory, e.what());
        }
    } else {
        fail(directory, "schedule.type '" + m.scheduleType + "' is not continuous or discrete");
    }
    if (!(m.logSnrRange.hi > m.logSnrRange.lo))
        fail(directory, "the schedule's log-SNR range is empty");
    const auto prediction = field<std::string>(root, "prediction", "", directory);
    try {
        m.prediction = predictionTypeFromString(prediction);
    } catch (const Error& e) {
        fail(directory, e.what());
    }

    const json files = field<json>(root, "files", "", directory);
    if (!files.is_object() || files.empty())
        fail(directory, "files must be a non-empty object");
    for (const auto& [role, entry] : files.items()) {
        BundleFile file;
        file.path = field<std::string>(entry, "path", "files." + role + ".", directory);
        file.sha256 = field<std::string>(entry, "sha256", "files." + role + ".", directory);
        if (!isSafeRelative(file.path))
            fail(directory, "file '" + file.path + "' escapes the bundle directory");
        m.files.emplace(role, std::move(file));
    }
    return m;
}

void writeBundleManifest(BundleManifest& m) {
    json files = json::object();
    for (auto& [role, file] : m.files) {
        file.sha256 = sha256FileHex((fs::path(m.directory) / file.path).string());
        files[role] = {{"path", file.path}, {"sha256", file.sha256}};
    }
    json schedule = {
        {"type", "continuous"}, {"logsnr_min", m.logSnrRange.lo}, {"logsnr_max", m.logSnrRange.hi}};
    json root = {
        {"format", kFormat},
        {"version", kVersion},
        {"kind", m.kind},
        {"name", m.name},
        {"image",
         {{"width", m.imageWidth}, {"height", m.imageHeight}, {"channels", m.imageChannels}}},
        {"data_shape", m.dataShape},
        {"schedule", schedule},
        {"prediction", toString(m.prediction)},
        {"files", files}};
    const std::string text = root.dump(2) + "\n";
    writeFileAtomically((fs::path(m.directory) / "manifest.json").string(), text);
    m.format = kFormat;
    m.version = kVersion;
    m.scheduleType = "continuous";
    m.manifestSha256 = sha256Hex(text);
}

}  // namespace infolens
