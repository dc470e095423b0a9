#pragma once

#include <map>
#include <string>
#include <vector>

#include "infolens/model/Denoiser.h"

namespace infolens {

struct BundleFile {
    std::string path;    // relative to the bundle directory
    std::string sha256;  // expected digest
};

// manifest.json of a model bundle: one format for every model family (the family is chosen by
// `kind`, see ModelRegistry).
struct BundleManifest {
    std::string directory;
    std::string format;  // "infolens-bundle"
    int version = 0;
    std::string kind;  // the family's bundle kind
    std::string name;
    int imageWidth = 0, imageHeight = 0, imageChannels = 0;
    std::vector<int64_t> dataShape;  // {C, H, W} of what the denoiser sees
    std::string scheduleType;        // "continuous" or "discrete"
    LogSnrRange logSnrRange;         // trained range (computed for discrete schedules)
    PredictionType prediction = PredictionType::Eps;
    std::map<std::string, BundleFile> files;  // role -> file
    std::string manifestSha256;               // identity of the bundle (covers all file hashes)

    std::string filePath(const std::string& role) const;  // absolute path of a verified file
};

// Reads and validates a bundle directory: every field present and well-formed, every listed file
// present and matching its SHA-256. Any problem throws infolens::Error with a message naming the
// file or field; nothing is loaded from an unverified file.
BundleManifest readBundle(const std::string& directory, bool verifyHashes = true);

// Writes manifest.json for files already in `manifest.directory`, filling in their hashes.
void writeBundleManifest(BundleManifest& manifest);

// Trained log-SNR range of a discrete DDPM schedule: log(abar_t) - log(1 - abar_t) over t.
LogSnrRange discreteScheduleRange(const std::string& betaSchedule, double betaStart, double betaEnd,
                                  int timesteps);

}  // namespace infolens
