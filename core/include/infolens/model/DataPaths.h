#pragma once

#include <string>
#include <vector>

namespace infolens {

// Where a model family's shipped data may be, in order: $envVariable, the source tree (a build
// that was not installed), <exe>/../share/infolens/<relative>, then the install prefix. Null
// directories are skipped.
std::vector<std::string> installedDataCandidates(const char* envVariable, const char* sourceDir,
                                                 const char* installDir,
                                                 const std::string& relative);

// The first candidate that holds `marker`; throws infolens::Error listing where it looked.
std::string findInstalledData(const std::vector<std::string>& candidates, const std::string& marker,
                              const std::string& what);

}  // namespace infolens
