#include "infolens/engine/LogSnrProposal.h"
#include "infolens/engine/LogSnrSampler.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

using infolens::LogSnrProposal;
using infolens::LogSnrSampler;
using infolens::SamplerKind;

namespace {
double sigmoid(double x) {
    return 1.0 / (1.0 + std::exp(-x));
}
}  // namespace

TEST_CASE("proposal covers exactly the fitted trained range", "[proposal]") {
    const auto p = LogSnrProposal::fitToRange(-5.36, 7.07, 3.0);
    CHECK(p.lower() == Approx(-5.36));
    CHECK(p.upper() == Approx(7.07));
    CHECK(p.logSnrFromUnit(0.0) == Approx(-5.36));
    CHECK(p.logSnrFromUnit(1.0 - 1e-16) == Approx(7.07).margin(1e-6));
    for (double u = 0.0; u < 1.0; u += 0.001) {
        const double a = p.logSnrFromUnit(u);
        REQUIRE(a >= p.lower() - 1e-12);
        REQUIRE(a <= p.upper() + 1e-12);
    }
}

TEST_CASE("weight is the inverse density, which integrates to one", "[proposal]") {
    const auto p = LogSnrProposal::fitToRange(-6.0, 10.0, 3.0);
    const int n = 200000;
    const double h = (p.upper() - p.lower()) / n;
    double total = 0.0;
    for (int i = 0; i < n; ++i)
        total += p.density(p.lower() + (i + 0.5) * h) * h;
    CHECK(total == Approx(1.0).epsilon(1e-6));
}

TEST_CASE("the proposal integrates a function proportional to its density exactly", "[proposal]") {
    // f(a) = sig(v) sig(-v) / s has integral tanh(k/2) over the truncated range, and w(a) f(a) is
    // that constant at every draw, so any number of samples gives the exact value.
    const auto p = LogSnrProposal::fitToRange(-3.0, 9.0, 3.0);
    const LogSnrSampler sampler(SamplerKind::Iid, 42, 1);
    for (int i = 0; i < 50; ++i) {
        const double a = p.logSnrFromUnit(sampler.unit(i));
        const double v = (a - p.loc()) / p.scale();
        const double f = sigmoid(v) * sigmoid(-v) / p.scale();
        REQUIRE(p.weight(a) * f == Approx(std::tanh(1.5)).epsilon(1e-12));
    }
}

TEST_CASE("stratified sampling integrates a smooth function far better than iid", "[proposal]") {
    // Integral of sig(a) over [lo, hi] = softplus(hi) - softplus(lo).
    const auto p = LogSnrProposal::fitToRange(-4.0, 6.0, 3.0);
    const double exact = std::log1p(std::exp(6.0)) - std::log1p(std::exp(-4.0));
    auto error = [&](SamplerKind kind, std::uint64_t seed) {
        const LogSnrSampler sampler(kind, seed, 4);
        double sum = 0.0;
        const int n = 256;
        for (int i = 0; i < n; ++i) {
            const double a = p.logSnrFromUnit(sampler.unit(i));
            sum += p.weight(a) * sigmoid(a);
        }
        return std::abs(sum / n - exact);
    };
    double iid = 0.0, strat = 0.0;
    for (std::uint64_t s = 0; s < 20; ++s) {
        iid += error(SamplerKind::Iid, s);
        strat += error(SamplerKind::Stratified, s);
    }
    CHECK(strat < 0.2 * iid);
    CHECK(strat / 20 < 1e-2 * exact);
}

TEST_CASE("stratified points of every replica are evenly spread at every prefix", "[sampler]") {
    const LogSnrSampler sampler(SamplerKind::Stratified, 7, 3);
    for (int n : {5, 13, 34, 100}) {
        for (int r = 0; r < 3; ++r) {
            std::vector<double> u;
            for (int j = 0; j < n; ++j)
                u.push_back(sampler.unit(j * 3 + r));
            std::sort(u.begin(), u.end());
            double maxGap = u.front() + 1.0 - u.back();
            for (std::size_t i = 1; i < u.size(); ++i)
                maxGap = std::max(maxGap, u[i] - u[i - 1]);
            // A Kronecker sequence with the golden ratio has gaps within a factor ~2.6 of 1/n.
            REQUIRE(maxGap < 3.0 / n);
        }
    }
}

TEST_CASE("samplers are deterministic per seed and differ across seeds", "[sampler]") {
    for (SamplerKind kind : {SamplerKind::Iid, SamplerKind::Stratified}) {
        const LogSnrSampler a(kind, 1, 4), b(kind, 1, 4), c(kind, 2, 4);
        int differ = 0;
        for (int i = 0; i < 16; ++i) {
            REQUIRE(a.unit(i) == b.unit(i));
            REQUIRE(a.unit(i) >= 0.0);
            REQUIRE(a.unit(i) < 1.0);
            differ += a.unit(i) != c.unit(i);
        }
        CHECK(differ == 16);
    }
    CHECK_THROWS(infolens::samplerKindFromString("sobol"));
}
