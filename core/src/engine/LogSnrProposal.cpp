#include "infolens/engine/LogSnrProposal.h"

#include <cmath>

#include "infolens/Error.h"

namespace infolens {

namespace {
double sigmoid(double x) {
    return 1.0 / (1.0 + std::exp(-x));
}
}  // namespace

LogSnrProposal::LogSnrProposal(double loc, double scale, double clip)
    : m_loc(loc), m_scale(scale), m_clip(clip), m_uLo(sigmoid(-clip)), m_uHi(sigmoid(clip)) {
    if (!(scale > 0.0) || !(clip > 0.0) || !std::isfinite(loc)) {
        throw Error("log-SNR proposal needs a finite location and positive scale and clip");
    }
}

const char* toString(ProposalKind kind) {
    return kind == ProposalKind::Uniform ? "uniform" : "logistic";
}

ProposalKind proposalKindFromString(const std::string& name) {
    if (name == "logistic")
        return ProposalKind::Logistic;
    if (name == "uniform")
        return ProposalKind::Uniform;
    throw Error("unknown log-SNR proposal '" + name + "' (expected logistic or uniform)");
}

LogSnrProposal LogSnrProposal::fitToRange(double lo, double hi, double clip) {
    if (!(hi > lo))
        throw Error("trained log-SNR range is empty");
    return LogSnrProposal(0.5 * (lo + hi), (hi - lo) / (2.0 * clip), clip);
}

LogSnrProposal LogSnrProposal::fitToRange(ProposalKind kind, double lo, double hi, double clip) {
    LogSnrProposal proposal = fitToRange(lo, hi, clip);
    proposal.m_kind = kind;
    return proposal;
}

double LogSnrProposal::logSnrFromUnit(double u01) const {
    if (m_kind == ProposalKind::Uniform)
        return lower() + (upper() - lower()) * u01;
    const double u = m_uLo + (m_uHi - m_uLo) * u01;
    return m_loc + m_scale * std::log(u / (1.0 - u));
}

double LogSnrProposal::weight(double logSnr) const {
    if (m_kind == ProposalKind::Uniform)
        return upper() - lower();
    const double v = (logSnr - m_loc) / m_scale;
    return m_scale * std::tanh(0.5 * m_clip) / (sigmoid(v) * sigmoid(-v));
}

double LogSnrProposal::density(double logSnr) const {
    return 1.0 / weight(logSnr);
}

}  // namespace infolens
