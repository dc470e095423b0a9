#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

// Whether an image is far outside what the model knows, decided in this one place for the app
// (ui/src/ImageFit.cpp) and the command line (`infolens-cli image-fit`). Header only, with no
// LibTorch and no Qt.
//
// The statistic is the image's negative log-likelihood under the unconditional model (the ""
// condition), in bits per dimension of the data the denoiser works on (latent dimensions for a
// latent model), from the engine's draws (Snapshot::nullBitsPerDim, truncated to the model's
// trained log-SNR range). The reference is the same statistic on held-out scenes of the model's own
// world, computed once per model by `infolens-cli image-fit --write-reference` and stored beside
// the bundle (e.g. resources/models/shapes-v2.image-fit.json), keyed by the model hash.
namespace infolens {

// The image looks unlike the model's training images when its bits/dim exceed the reference's
// 99th percentile by more than kImageFitSigmas of its own standard error.
inline constexpr double kImageFitSigmas = 2.0;
inline constexpr const char* kImageFitKind = "infolens-image-fit-reference";
inline constexpr const char* kImageFitSuffix = ".image-fit.json";

struct ImageFitReference {
    std::string modelName;
    std::string modelHash;
    std::string split;
    std::uint64_t first = 0;
    int n = 0;
    std::uint64_t seed = 0;
    int samples = 0;
    double median = 0.0;  // bits per dimension
    double p99 = 0.0;
    double max = 0.0;
    std::string path;  // the file it was read from
};

// The p-th quantile (0..1) by linear interpolation between order statistics.
inline double imageFitQuantile(std::vector<double> values, double p) {
    if (values.empty())
        return 0.0;
    std::sort(values.begin(), values.end());
    const double pos = p * static_cast<double>(values.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, values.size() - 1);
    return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

inline bool imageFitWarns(double bitsPerDim, double se, const ImageFitReference& reference) {
    return std::isfinite(bitsPerDim) && std::isfinite(se) &&
           bitsPerDim - kImageFitSigmas * se > reference.p99;
}

inline nlohmann::json imageFitReferenceJson(const ImageFitReference& r,
                                            const std::vector<double>& values) {
    return {{"kind", kImageFitKind},
            {"version", 1},
            {"statistic",
             "negative log-likelihood of the image under the unconditional model (\"\" prompt), "
             "bits per data dimension, log-SNR integral truncated to the trained range"},
            {"model", {{"name", r.modelName}, {"hash", r.modelHash}}},
            {"split", r.split},
            {"first", r.first},
            {"n", r.n},
            {"seed", r.seed},
            {"samples", r.samples},
            {"median_bits_per_dim", r.median},
            {"p99_bits_per_dim", r.p99},
            {"max_bits_per_dim", r.max},
            {"rule", "warn when bits_per_dim - 2 SE > p99_bits_per_dim"},
            {"values_bits_per_dim", values}};
}

// Reads a reference file; nullopt when it is missing, unreadable, or not a reference.
inline std::optional<ImageFitReference> readImageFitReference(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        return std::nullopt;
    const nlohmann::json j = nlohmann::json::parse(
        std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), nullptr, false);
    if (!j.is_object() || j.value("kind", "") != kImageFitKind || !j.contains("model") ||
        !j["model"].is_object() || !j.contains("p99_bits_per_dim") ||
        !j["p99_bits_per_dim"].is_number())
        return std::nullopt;
    ImageFitReference r;
    r.modelName = j["model"].value("name", "");
    r.modelHash = j["model"].value("hash", "");
    r.split = j.value("split", "");
    r.first = j.value("first", std::uint64_t{0});
    r.n = j.value("n", 0);
    r.seed = j.value("seed", std::uint64_t{0});
    r.samples = j.value("samples", 0);
    r.median = j.value("median_bits_per_dim", 0.0);
    r.p99 = j["p99_bits_per_dim"].get<double>();
    r.max = j.value("max_bits_per_dim", r.p99);
    r.path = path;
    return r;
}

// The reference for a model: `<modelDirectory>.image-fit.json` beside the bundle, or any
// `*.image-fit.json` in the folder that holds it, whose model hash matches. Beside the bundle
// rather than inside it, so that the bundle's files and hash stay as they are.
inline std::optional<ImageFitReference> findImageFitReference(const std::string& modelDirectory,
                                                              const std::string& modelHash) {
    if (modelDirectory.empty() || modelHash.empty())
        return std::nullopt;
    std::string dir = modelDirectory;
    while (dir.size() > 1 && dir.back() == '/')
        dir.pop_back();
    std::vector<std::string> candidates = {dir + kImageFitSuffix};
    const std::size_t slash = dir.rfind('/');
    const std::string parent = slash == std::string::npos ? "." : dir.substr(0, slash);
    std::error_code ec;
    for (std::filesystem::directory_iterator it(parent, ec), end; !ec && it != end;
         it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() > std::string(kImageFitSuffix).size() &&
            name.compare(name.size() - std::string(kImageFitSuffix).size(), std::string::npos,
                         kImageFitSuffix) == 0)
            candidates.push_back(it->path().string());
    }
    for (const std::string& c : candidates) {
        std::optional<ImageFitReference> r = readImageFitReference(c);
        if (r && r->modelHash == modelHash)
            return r;
    }
    return std::nullopt;
}

}  // namespace infolens
