#include "infolens/io/JsonNumbers.h"

#include <nlohmann/json.hpp>

namespace infolens {

std::optional<std::int64_t> jsonIntegerIn(const nlohmann::json& v, std::int64_t lo,
                                          std::int64_t hi) {
    if (v.is_number_unsigned()) {
        const std::uint64_t u = v.get<std::uint64_t>();
        if (hi < 0 || u > static_cast<std::uint64_t>(hi))
            return std::nullopt;
        const auto s = static_cast<std::int64_t>(u);
        return s >= lo ? std::optional<std::int64_t>(s) : std::nullopt;
    }
    if (!v.is_number_integer())
        return std::nullopt;
    const std::int64_t s = v.get<std::int64_t>();
    return s >= lo && s <= hi ? std::optional<std::int64_t>(s) : std::nullopt;
}

}  // namespace infolens
