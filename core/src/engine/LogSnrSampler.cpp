#include "infolens/engine/LogSnrSampler.h"

#include <cmath>

#include "infolens/Error.h"

namespace infolens {

namespace {
constexpr double kGoldenConjugate = 0.6180339887498948482;
constexpr std::uint64_t kShiftStream = 0x5ad7e5c1a3b2f00dULL;
}  // namespace

SamplerKind samplerKindFromString(const std::string& name) {
    if (name == "iid")
        return SamplerKind::Iid;
    if (name == "stratified")
        return SamplerKind::Stratified;
    throw Error("unknown sampler '" + name + "' (expected iid or stratified)");
}

std::string toString(SamplerKind kind) {
    return kind == SamplerKind::Iid ? "iid" : "stratified";
}

std::uint64_t mixSeed(std::uint64_t seed, std::uint64_t index) {
    std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (index + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double unitFromBits(std::uint64_t bits) {
    return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

void fillStandardNormals(std::uint64_t seed, double* out, std::int64_t count) {
    for (std::int64_t j = 0; j < count; j += 2) {
        const double u1 = 1.0 - unitFromBits(mixSeed(seed, static_cast<std::uint64_t>(j)));
        const double u2 = unitFromBits(mixSeed(seed, static_cast<std::uint64_t>(j + 1)));
        const double r = std::sqrt(-2.0 * std::log(u1));
        out[j] = r * std::cos(2.0 * M_PI * u2);
        if (j + 1 < count)
            out[j + 1] = r * std::sin(2.0 * M_PI * u2);
    }
}

LogSnrSampler::LogSnrSampler(SamplerKind kind, std::uint64_t seed, int replicas)
    : m_kind(kind), m_seed(seed), m_replicas(replicas) {
    if (replicas < 1)
        throw Error("the sampler needs at least one replica");
}

double LogSnrSampler::unit(std::int64_t draw) const {
    if (m_kind == SamplerKind::Iid) {
        return unitFromBits(mixSeed(m_seed, static_cast<std::uint64_t>(draw)));
    }
    const int replica = replicaOf(draw);
    const std::int64_t j = draw / m_replicas;
    const double shift =
        unitFromBits(mixSeed(m_seed ^ kShiftStream, static_cast<std::uint64_t>(replica)));
    const double u = shift + static_cast<double>(j) * kGoldenConjugate;
    // The tent (baker's) transform keeps the points uniform and evenly spread but makes the
    // integrand effectively periodic, so a smooth, non-periodic integrand converges at O(1/n^2)
    // instead of O(1/n) (the integrand's ends over log-SNR differ by orders of magnitude).
    return 1.0 - std::abs(2.0 * (u - std::floor(u)) - 1.0);
}

}  // namespace infolens
