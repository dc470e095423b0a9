#pragma once

#include <cstdint>
#include <optional>

#include <nlohmann/json_fwd.hpp>

namespace infolens {

// The value of `v` when it is a JSON integer within [lo, hi]; nothing otherwise (a float, a
// string, an integer out of range). Every reader of untrusted JSON takes integers through this:
// nlohmann's get<int> on 1e56 is undefined behaviour, on 2^40 wraps, on 2.5 truncates, and an
// unsigned value above INT64_MAX read as signed turns negative.
std::optional<std::int64_t> jsonIntegerIn(const nlohmann::json& v, std::int64_t lo,
                                          std::int64_t hi);

}  // namespace infolens
