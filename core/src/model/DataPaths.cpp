#include "infolens/model/DataPaths.h"

#include <cstdlib>
#include <filesystem>

#include "infolens/Error.h"

namespace infolens {

std::vector<std::string> installedDataCandidates(const char* envVariable, const char* sourceDir,
                                                 const char* installDir,
                                                 const std::string& relative) {
    std::vector<std::string> candidates;
    if (const char* env = envVariable ? std::getenv(envVariable) : nullptr)
        candidates.emplace_back(env);
    if (sourceDir)
        candidates.emplace_back(sourceDir);
    std::error_code error;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
    if (!error)
        candidates.push_back((exe.parent_path() / ".." / "share" / "infolens" / relative).string());
    if (installDir)
        candidates.emplace_back(installDir);
    return candidates;
}

std::string findInstalledData(const std::vector<std::string>& candidates, const std::string& marker,
                              const std::string& what) {
    std::string looked;
    for (const std::string& dir : candidates) {
        std::error_code error;
        if (std::filesystem::exists(std::filesystem::path(dir) / marker, error))
            return dir;
        looked += "\n  " + dir;
    }
    throw Error(what + " is not installed; looked in:" + looked);
}

}  // namespace infolens
