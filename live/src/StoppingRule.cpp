#include "infolens/live/StoppingRule.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "infolens/Error.h"

namespace infolens {

StoppingRule::StoppingRule(StoppingSettings settings) : m_settings(settings) {
    if (m_settings.replicas < 1 || m_settings.confirmations < 1)
        throw Error("stopping rule: replicas and confirmations must be at least 1");
    if (m_settings.minDraws < 0)
        throw Error("stopping rule: the minimum number of draws cannot be negative");
    if (!(m_settings.targetRelativeSe >= 0.0) || !(m_settings.absoluteSeFloor >= 0.0))
        throw Error("stopping rule: SE targets must be non-negative");
}

bool StoppingRule::withinTarget(const EstimateView& e) const {
    const double allowed =
        std::max(m_settings.targetRelativeSe * std::abs(e.value), m_settings.absoluteSeFloor);
    return e.se <= allowed;  // false for a NaN or infinite SE
}

bool StoppingRule::observe(int drawsDone, const std::vector<EstimateView>& estimates) {
    if (converged())
        return true;
    if (drawsDone < m_settings.minDraws || drawsDone % m_settings.replicas != 0 ||
        drawsDone <= m_lastChecked || estimates.empty())
        return false;
    m_lastChecked = drawsDone;
    ++m_checks;
    const bool pass = std::all_of(estimates.begin(), estimates.end(),
                                  [&](const EstimateView& e) { return withinTarget(e); });
    m_passes = pass ? m_passes + 1 : 0;
    return converged();
}

PerEstimateStopping::PerEstimateStopping(StoppingSettings settings, std::size_t count)
    : m_rules(count, StoppingRule(settings)) {}

std::vector<std::size_t> PerEstimateStopping::observe(int drawsDone,
                                                      const std::vector<EstimateView>& estimates) {
    if (estimates.size() != m_rules.size())
        throw Error("stopping rule: expected " + std::to_string(m_rules.size()) +
                    " estimates, got " + std::to_string(estimates.size()));
    std::vector<std::size_t> newlyConverged;
    for (std::size_t i = 0; i < m_rules.size(); ++i) {
        if (m_rules[i].converged())
            continue;
        if (m_rules[i].observe(drawsDone, {estimates[i]}))
            newlyConverged.push_back(i);
    }
    return newlyConverged;
}

bool PerEstimateStopping::converged() const {
    return std::all_of(m_rules.begin(), m_rules.end(),
                       [](const StoppingRule& r) { return r.converged(); });
}

}  // namespace infolens
