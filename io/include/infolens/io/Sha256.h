#pragma once

#include <string>
#include <string_view>

namespace infolens {

// Lower-case hex SHA-256 digests; files are streamed so large weights need no extra memory.
std::string sha256Hex(std::string_view bytes);
std::string sha256FileHex(const std::string& path);

}  // namespace infolens
