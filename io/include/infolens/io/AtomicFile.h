#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace infolens {

// Writes the whole file or nothing: data goes to a temporary file beside the target, is flushed,
// then renamed over it. A failure removes the temporary and throws infolens::Error.
void writeFileAtomically(const std::string& path, std::string_view bytes);

// Reads a whole file; throws infolens::Error naming the path when it cannot be read.
std::vector<unsigned char> readFileBytes(const std::string& path);

}  // namespace infolens
