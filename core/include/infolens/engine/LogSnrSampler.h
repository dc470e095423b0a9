#pragma once

#include <cstdint>
#include <string>

namespace infolens {

enum class SamplerKind { Iid, Stratified };

SamplerKind samplerKindFromString(const std::string& name);  // "iid" or "stratified"
std::string toString(SamplerKind kind);

// SplitMix64: a counter-based mixer, so draw i's random numbers depend only on (seed, i) and not on
// how draws are grouped into batches.
std::uint64_t mixSeed(std::uint64_t seed, std::uint64_t index);
double unitFromBits(std::uint64_t bits);  // [0, 1) with 53 bits
// Standard normals from a counter-based stream (Box-Muller on SplitMix64): the values depend only
// on the seed, never on batching, thread count or library version.
void fillStandardNormals(std::uint64_t seed, double* out, std::int64_t count);

// Produces the uniform variate behind draw i. Draws are dealt round-robin to `replicas`
// independent randomisations; the standard error comes from the spread of replica means.
//  - iid: independent uniforms (the reference implementation's sampler).
//  - stratified: within replica r, the j-th point is tent(frac(shift_r + j * g)) with g the
//    golden ratio conjugate (a randomly shifted rank-1 lattice / Kronecker sequence, with the
//    baker's transform). Every prefix is evenly spread, so progressive snapshots are as good as
//    a fresh run of the same size.
class LogSnrSampler {
  public:
    LogSnrSampler(SamplerKind kind, std::uint64_t seed, int replicas);

    double unit(std::int64_t draw) const;
    int replicaOf(std::int64_t draw) const { return static_cast<int>(draw % m_replicas); }
    int replicas() const { return m_replicas; }
    SamplerKind kind() const { return m_kind; }

  private:
    SamplerKind m_kind;
    std::uint64_t m_seed;
    int m_replicas;
};

}  // namespace infolens
