#pragma once

#include <cstddef>
#include <vector>

// When the live worker may call a result converged. No LibTorch: the rule sees only estimates.
namespace infolens {

struct StoppingSettings {
    double targetRelativeSe = 0.05;  // SE at most this share of the value...
    double absoluteSeFloor = 0.0;    // ...or at most this (nats): ~0-valued words still stop
    int minDraws = 32;               // no check before this many draws
    int replicas = 8;                // checks only at multiples of this (equal draws per replica)
    int confirmations = 2;           // consecutive checks that must all pass
};

struct EstimateView {
    double value = 0.0;  // nats
    double se = 0.0;
};

// The honest version of "stop when every SE is within its target". Stopping the first time a
// noisy SE dips under a threshold (optional stopping) selects runs whose SE happens to be low, so:
// - checks happen only where every replica holds the same number of draws (multiples of the
//   replica count), never on a partial round;
// - no check before minDraws (with 8 replicas and 32 draws, each replica mean averages 4 draws);
// - the criterion must hold at `confirmations` consecutive checks (distinct draw counts).
// Feed it every snapshot in order; observe() returns true once the run may stop.
class StoppingRule {
  public:
    explicit StoppingRule(StoppingSettings settings);

    bool observe(int drawsDone, const std::vector<EstimateView>& estimates);
    [[nodiscard]] bool converged() const { return m_passes >= m_settings.confirmations; }
    [[nodiscard]] int checks() const { return m_checks; }
    // Whether one estimate meets the target (used for per-word display too).
    [[nodiscard]] bool withinTarget(const EstimateView& estimate) const;

  private:
    StoppingSettings m_settings;
    int m_lastChecked = 0;
    int m_passes = 0;
    int m_checks = 0;
};

// One StoppingRule per estimate (per word): each stops on its own once it passes the honest rule,
// so the engine can stop paying for it while the others go on. A stopped estimate's SE is that
// of its own draws, which the rule saw pass at two consecutive aligned checks.
class PerEstimateStopping {
  public:
    PerEstimateStopping(StoppingSettings settings, std::size_t count);

    // Returns the indices that converged at this snapshot (each is reported once); estimates that
    // converged earlier are not looked at again (they are frozen).
    std::vector<std::size_t> observe(int drawsDone, const std::vector<EstimateView>& estimates);
    [[nodiscard]] bool converged(std::size_t index) const { return m_rules[index].converged(); }
    [[nodiscard]] bool converged() const;  // every estimate

  private:
    std::vector<StoppingRule> m_rules;
};

}  // namespace infolens
