// Integers from untrusted JSON (manifests, configs, sessions) are range-checked before conversion.
#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

#include "infolens/io/JsonNumbers.h"

#include <catch2/catch.hpp>

using infolens::jsonIntegerIn;
using nlohmann::json;

TEST_CASE("jsonIntegerIn accepts integers in range and nothing else", "[unit][json]") {
    CHECK(jsonIntegerIn(json::parse("7"), 1, 10) == 7);
    CHECK(jsonIntegerIn(json::parse("-3"), -5, 5) == -3);
    CHECK(jsonIntegerIn(json::parse("1"), 1, 1) == 1);
    // Out of range either way.
    CHECK_FALSE(jsonIntegerIn(json::parse("0"), 1, 10));
    CHECK_FALSE(jsonIntegerIn(json::parse("11"), 1, 10));
    CHECK_FALSE(jsonIntegerIn(json::parse("-6"), -5, 5));
    // Not integers: get<int> would truncate 2.5 and is undefined on 1e56.
    CHECK_FALSE(jsonIntegerIn(json::parse("2.5"), 0, 10));
    CHECK_FALSE(jsonIntegerIn(json::parse("1e56"), 0, std::numeric_limits<std::int64_t>::max()));
    CHECK_FALSE(jsonIntegerIn(json::parse("\"7\""), 0, 10));
    CHECK_FALSE(jsonIntegerIn(json::parse("true"), 0, 10));
    CHECK_FALSE(jsonIntegerIn(json::parse("null"), 0, 10));
    // 2^40 would wrap to 0 as an int; 2^64 - 1 would read as -1 when taken as signed.
    CHECK_FALSE(jsonIntegerIn(json::parse("1099511627776"), 0, INT32_MAX));
    CHECK_FALSE(jsonIntegerIn(json::parse("18446744073709551615"), -1, 10));
    CHECK_FALSE(jsonIntegerIn(json::parse("18446744073709551615"),
                              std::numeric_limits<std::int64_t>::min(),
                              std::numeric_limits<std::int64_t>::max()));
    CHECK(jsonIntegerIn(json::parse("9223372036854775807"), 0,
                        std::numeric_limits<std::int64_t>::max()) ==
          std::numeric_limits<std::int64_t>::max());
    // An unsigned value against a negative range.
    CHECK_FALSE(jsonIntegerIn(json::parse("3"), -10, -1));
}
