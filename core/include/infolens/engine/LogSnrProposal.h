#pragma once

#include <string>

namespace infolens {

// Which density the log-SNRs are drawn from over the trained range [lo, hi]. Both estimate the
// same truncated integral; they differ only in where the draws fall (docs/engine.md, "Proposal").
enum class ProposalKind {
    Logistic,  // the reference's truncated logistic: dense in the middle, thin at both ends
    Uniform,   // flat over [lo, hi]: weight hi - lo everywhere
};
const char* toString(ProposalKind kind);  // "logistic", "uniform"
// Throws infolens::Error naming the accepted values.
ProposalKind proposalKindFromString(const std::string& name);

// Truncated logistic proposal over log-SNR, a = loc + scale * logit(u) with u uniform in
// (sig(-k), sig(k)), so a lies in [loc - k*scale, loc + k*scale]. weight(a) = 1 / q(a), so the
// integral of f over the truncated range is estimated by mean(weight(a) * f(a)).
class LogSnrProposal {
  public:
    static constexpr double kDefaultClip = 3.0;

    LogSnrProposal(double loc, double scale, double clip = kDefaultClip);
    // Fits the proposal to a trained range [lo, hi]: loc = midpoint, scale = (hi - lo) / (2k).
    static LogSnrProposal fitToRange(double lo, double hi, double clip = kDefaultClip);
    // The same range, drawn from `kind` (Uniform ignores clip: its range is [lo, hi]).
    static LogSnrProposal fitToRange(ProposalKind kind, double lo, double hi,
                                     double clip = kDefaultClip);

    // Maps u01 in [0, 1) to a log-SNR inside the truncated range.
    double logSnrFromUnit(double u01) const;
    double weight(double logSnr) const;
    double density(double logSnr) const;

    double loc() const { return m_loc; }
    double scale() const { return m_scale; }
    double clip() const { return m_clip; }
    double lower() const { return m_loc - m_clip * m_scale; }
    double upper() const { return m_loc + m_clip * m_scale; }
    ProposalKind kind() const { return m_kind; }

  private:
    ProposalKind m_kind = ProposalKind::Logistic;
    double m_loc;
    double m_scale;
    double m_clip;
    double m_uLo;
    double m_uHi;
};

}  // namespace infolens
