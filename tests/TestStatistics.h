#pragma once

// Critical values for statistical test assertions, so that each test can state (and keep) its
// false-alarm rate on fresh seeds instead of passing only on the seeds it was tuned on.
#include <cmath>

namespace testing {

// P(|T| <= t) for Student's t with `dof` degrees of freedom (Simpson's rule on the density).
inline double studentTCentralMass(double t, int dof) {
    const double nu = dof;
    const double logNorm =
        std::lgamma((nu + 1.0) / 2.0) - std::lgamma(nu / 2.0) - 0.5 * std::log(nu * M_PI);
    auto density = [&](double x) {
        return std::exp(logNorm - (nu + 1.0) / 2.0 * std::log1p(x * x / nu));
    };
    constexpr int kIntervals = 4000;  // even
    const double h = t / kIntervals;
    double sum = density(0.0) + density(t);
    for (int i = 1; i < kIntervals; ++i)
        sum += density(i * h) * (i % 2 ? 4.0 : 2.0);
    return 2.0 * sum * h / 3.0;
}

// The t such that P(|T| > t) = alpha (two-sided), by bisection.
inline double studentTCritical(int dof, double alpha) {
    double lo = 0.0, hi = 100.0;
    for (int i = 0; i < 80; ++i) {
        const double mid = 0.5 * (lo + hi);
        (1.0 - studentTCentralMass(mid, dof) > alpha ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
}

// Critical value for `checks` checks in one test case with a family-wise false-alarm rate of
// `familyAlpha` (Bonferroni), each check's SE having `dof` degrees of freedom.
inline double familyCritical(int dof, int checks, double familyAlpha = 0.01) {
    return studentTCritical(dof, familyAlpha / checks);
}

}  // namespace testing
