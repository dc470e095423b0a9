#pragma once

#include <cstdint>
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

    // The file's bytes, read once and checked against its SHA-256 in the manifest: the bytes
    // returned are the bytes hashed, so a file swapped after readBundle cannot slip through.
    // Families parse configs, vocabularies and parameters from this buffer. Throws ModelError on a
    // mismatch, a file that is not a regular file inside the bundle, or one over maxBytes.
    std::vector<unsigned char> readVerifiedFile(const std::string& role,
                                                std::uint64_t maxBytes = std::uint64_t(1)
                                                                         << 30) const;
};

// Reads and validates a bundle directory: every field present and well-formed, numbers in range,
// every listed file a regular file inside the bundle (no component of its path a symbolic link, no
// "..", not absolute) and matching its SHA-256. Any problem throws infolens::Error with a message
// naming the file or field; nothing is loaded from an unverified file.
BundleManifest readBundle(const std::string& directory, bool verifyHashes = true);

// The manifest's fields from its text, validated as readBundle does, without touching the file
// system (the listed files are not checked): readBundle's first half, and the fuzzers' entry.
BundleManifest parseBundleManifest(const std::string& manifestText, const std::string& directory);

// Writes manifest.json for files already in `manifest.directory`, filling in their hashes.
void writeBundleManifest(BundleManifest& manifest);

// Trained log-SNR range of a discrete DDPM schedule: log(abar_t) - log(1 - abar_t) over t.
LogSnrRange discreteScheduleRange(const std::string& betaSchedule, double betaStart, double betaEnd,
                                  int timesteps);

}  // namespace infolens
