#include "infolens/live/StoppingRule.h"

#include "infolens/Error.h"

#include <catch2/catch.hpp>

using infolens::EstimateView;
using infolens::StoppingRule;
using infolens::StoppingSettings;

namespace {

StoppingSettings settings() {
    StoppingSettings s;
    s.targetRelativeSe = 0.05;
    s.absoluteSeFloor = 0.01;
    s.minDraws = 32;
    s.replicas = 8;
    s.confirmations = 2;
    return s;
}

const std::vector<EstimateView> kTight = {{10.0, 0.1}, {2.0, 0.05}};  // both within 5%
const std::vector<EstimateView> kLoose = {{10.0, 0.1}, {2.0, 0.5}};   // the second is 25%

}  // namespace

TEST_CASE("the stopping rule needs the minimum draws and two consecutive passing checks",
          "[stopping]") {
    StoppingRule rule(settings());
    CHECK_FALSE(rule.observe(24, kTight));  // below the minimum: not a check
    CHECK(rule.checks() == 0);
    CHECK_FALSE(rule.observe(32, kTight));  // first pass: not yet confirmed
    CHECK(rule.checks() == 1);
    CHECK(rule.observe(40, kTight));  // confirmed
    CHECK(rule.converged());
}

TEST_CASE("the stopping rule checks only at equal draws per replica", "[stopping]") {
    StoppingRule rule(settings());
    // Progressive snapshots at 35, 37, 38 draws: replicas hold unequal counts, so no check.
    CHECK_FALSE(rule.observe(35, kTight));
    CHECK_FALSE(rule.observe(37, kTight));
    CHECK(rule.checks() == 0);
    CHECK_FALSE(rule.observe(40, kTight));
    CHECK_FALSE(rule.observe(43, kTight));
    CHECK(rule.checks() == 1);
    // The same draw count twice is one check, not a confirmation.
    CHECK_FALSE(rule.observe(40, kTight));
    CHECK(rule.checks() == 1);
    CHECK(rule.observe(48, kTight));
}

TEST_CASE("a failing check resets the confirmation", "[stopping]") {
    StoppingRule rule(settings());
    CHECK_FALSE(rule.observe(32, kTight));
    CHECK_FALSE(rule.observe(40, kLoose));
    CHECK_FALSE(rule.observe(48, kTight));  // one pass again, not two
    CHECK(rule.observe(56, kTight));
}

TEST_CASE("the absolute floor lets ~0-valued estimates stop and NaN never passes", "[stopping]") {
    StoppingRule rule(settings());
    CHECK(rule.withinTarget({0.001, 0.009}));       // 900% relative, but under the floor
    CHECK_FALSE(rule.withinTarget({0.001, 0.02}));  // above the floor
    CHECK_FALSE(rule.withinTarget({5.0, std::numeric_limits<double>::quiet_NaN()}));
    CHECK_FALSE(rule.withinTarget({5.0, std::numeric_limits<double>::infinity()}));
}

TEST_CASE("the stopping rule refuses impossible settings", "[stopping]") {
    StoppingSettings s = settings();
    s.replicas = 0;
    CHECK_THROWS(StoppingRule(s));
    s = settings();
    s.confirmations = 0;
    CHECK_THROWS(StoppingRule(s));
}

TEST_CASE("per-estimate stopping lets each estimate stop on its own", "[stopping]") {
    infolens::PerEstimateStopping rule(settings(), 2);
    CHECK(rule.observe(32, kLoose).empty());  // the first passes once; the second fails
    const auto at40 = rule.observe(40, kLoose);
    REQUIRE(at40.size() == 1);  // the first is confirmed, and reported once
    CHECK(at40.front() == 0);
    CHECK(rule.converged(0));
    CHECK_FALSE(rule.converged(1));
    CHECK_FALSE(rule.converged());
    // A converged estimate is frozen: a later bad value for it is not looked at.
    const std::vector<EstimateView> laterBad = {{10.0, 5.0}, {2.0, 0.05}};
    CHECK(rule.observe(48, laterBad).empty());
    CHECK(rule.converged(0));
    const auto at56 = rule.observe(56, laterBad);
    REQUIRE(at56.size() == 1);
    CHECK(at56.front() == 1);
    CHECK(rule.converged());
    CHECK_THROWS_AS(rule.observe(64, {{1.0, 0.0}}), infolens::Error);
}
