#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace infolens {

// Writes the whole file or nothing: data goes to a temporary file beside the target, is flushed,
// then renamed over it. A failure removes the temporary and throws infolens::Error. A process
// killed meanwhile leaves the previous file intact and its temporary behind, named
// ".<name>.infolens-tmp-<pid>-<random>"; the first write of a process into a folder removes such
// leftovers first (removeStaleTemporaries).
void writeFileAtomically(const std::string& path, std::string_view bytes);

// Temporaries older than this are removed even when their pid is alive (pids are reused).
inline constexpr int kStaleTemporaryHours = 24;

// Removes the temporaries writeFileAtomically left in `directory` when their writer died (its pid
// is gone) or, whatever the pid, when older than kStaleTemporaryHours. Files of living writers,
// this process included, are kept. Never throws; returns how many were removed. The pid test
// assumes the writer ran on this machine (a folder shared between machines is cleaned by age
// only when its pid happens to be alive here).
int removeStaleTemporaries(const std::string& directory);

// True when `fileName` (no folder) is a temporary of writeFileAtomically.
bool isAtomicTemporaryName(const std::string& fileName);

// Default cap for readFileBytes: every file InfoLens reads whole (images, NPY, JSON, configs) is
// far smaller; model weights go through torch::load, not this.
inline constexpr std::uint64_t kMaxReadFileBytes = std::uint64_t(2) << 30;

// Reads a whole regular file of at most maxBytes; throws infolens::Error naming the path when it
// does not exist, is not a regular file (a folder, a FIFO, a device, a socket: these are refused
// before anything blocks on them), is larger than maxBytes (checked before reading) or cannot be
// read. Symlinks to regular files are followed.
std::vector<unsigned char> readFileBytes(const std::string& path,
                                         std::uint64_t maxBytes = kMaxReadFileBytes);

// Empty when `path` (following symlinks) is a regular file; otherwise what it is instead, as a
// phrase for a message: "does not exist", "is a folder", "is a named pipe (FIFO)", "is a device",
// "is a socket".
std::string notRegularFileReason(const std::string& path);

}  // namespace infolens
