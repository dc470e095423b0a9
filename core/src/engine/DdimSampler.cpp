#include "infolens/engine/DdimSampler.h"

#include "infolens/engine/InfoEngine.h"

#include <torch/torch.h>

#include <cmath>

#include "infolens/Error.h"
#include "infolens/engine/LogSnrSampler.h"
#include "infolens/model/Denoiser.h"

namespace infolens {

namespace {

constexpr int kMaxSteps = 50;

double signalScale(double a) {
    return std::sqrt(1.0 / (1.0 + std::exp(-a)));
}
double noiseScale(double a) {
    return std::sqrt(1.0 / (1.0 + std::exp(a)));
}

// Pads two encodings to one length so both conditions go through a single batched call.
std::pair<torch::Tensor, torch::Tensor> stack(const TextEncoding& a, const TextEncoding& b) {
    const int64_t length = std::max(a.cond.size(0), b.cond.size(0));
    auto pad = [length](const TextEncoding& e) {
        const int64_t extra = length - e.cond.size(0);
        return std::make_pair(
            torch::cat({e.cond, torch::zeros({extra, e.cond.size(1)}, e.cond.options())}),
            torch::cat({e.mask, torch::zeros({extra}, e.mask.options())}));
    };
    const auto [ca, ma] = pad(a);
    const auto [cb, mb] = pad(b);
    return {torch::stack({ca, cb}), torch::stack({ma, mb})};
}

}  // namespace

DdimSampler::DdimSampler(Denoiser& denoiser, const DdimSettings& settings)
    : m_denoiser(denoiser), m_settings(settings) {
    if (settings.steps < 1 || settings.steps > kMaxSteps)
        throw Error("DDIM steps must be between 1 and 50");
}

std::vector<double> DdimSampler::logSnrGrid() const {
    const LogSnrRange range = m_denoiser.trainedLogSnrRange();
    std::vector<double> grid;
    for (int i = 0; i <= m_settings.steps; ++i)
        grid.push_back(range.lo + (range.hi - range.lo) * i / m_settings.steps);
    return grid;
}

torch::Tensor DdimSampler::eps(const torch::Tensor& z, double logSnr, const TextEncoding& prompt,
                               const TextEncoding* null, double guidance) const {
    torch::Tensor raw;
    if (null && guidance != 1.0) {
        const auto [cond, mask] = stack(prompt, *null);
        const torch::Tensor zz = torch::stack({z, z});
        const torch::Tensor a = torch::full({2}, logSnr, z.options().dtype(torch::kFloat32));
        const torch::Tensor both =
            epsFromPrediction(m_denoiser.predict(zz, a, cond, mask).to(torch::kFloat32), zz, a,
                              m_denoiser.predictionType());
        return both[1] + guidance * (both[0] - both[1]);
    }
    const torch::Tensor zz = z.unsqueeze(0);
    const torch::Tensor a = torch::full({1}, logSnr, z.options().dtype(torch::kFloat32));
    raw = m_denoiser.predict(zz, a, prompt.cond.unsqueeze(0), prompt.mask.unsqueeze(0));
    return epsFromPrediction(raw.to(torch::kFloat32), zz, a, m_denoiser.predictionType())[0];
}

torch::Tensor DdimSampler::generate(const TextEncoding& prompt, const TextEncoding& null) const {
    const std::vector<int64_t> shape = m_denoiser.dataShape();
    std::vector<double> noise(static_cast<std::size_t>(shape[0] * shape[1] * shape[2]));
    // The same seed gives the same image everywhere.
    fillStandardNormals(m_settings.seed, noise.data(), static_cast<std::int64_t>(noise.size()));
    return generateFrom(torch::from_blob(noise.data(), shape, torch::kFloat64).to(torch::kFloat32),
                        prompt, null);
}

torch::Tensor DdimSampler::generateFrom(const torch::Tensor& noise, const TextEncoding& prompt,
                                        const TextEncoding& null) const {
    torch::InferenceMode guard;
    const std::vector<double> grid = logSnrGrid();
    // The sampler works in float32 on the denoiser's device whatever the model's dtype.
    torch::Tensor z = noise.to(m_denoiser.device(), torch::kFloat32);
    torch::Tensor x0;
    for (std::size_t i = 0; i + 1 < grid.size(); ++i) {
        if (m_settings.cancel && m_settings.cancel->cancelled())
            throw Cancelled("generation cancelled");
        const torch::Tensor e = eps(z, grid[i], prompt, &null, m_settings.guidance);
        x0 = (z - noiseScale(grid[i]) * e) / signalScale(grid[i]);
        z = signalScale(grid[i + 1]) * x0 + noiseScale(grid[i + 1]) * e;
    }
    // At the top of the grid the noise is small; one last prediction removes it.
    const torch::Tensor e = eps(z, grid.back(), prompt, &null, m_settings.guidance);
    return (z - noiseScale(grid.back()) * e) / signalScale(grid.back());
}

torch::Tensor DdimSampler::invert(const torch::Tensor& latent, const TextEncoding& prompt) const {
    torch::InferenceMode guard;
    const std::vector<double> grid = logSnrGrid();
    // The clean latent seen at the top of the grid; then each step reuses the current eps.
    const torch::Tensor clean = latent.to(m_denoiser.device(), torch::kFloat32);
    torch::Tensor z = clean;
    {
        const torch::Tensor e = eps(z, grid.back(), prompt, nullptr, 1.0);
        z = signalScale(grid.back()) * clean + noiseScale(grid.back()) * e;
    }
    for (std::size_t i = grid.size() - 1; i > 0; --i) {
        if (m_settings.cancel && m_settings.cancel->cancelled())
            throw Cancelled("inversion cancelled");
        const torch::Tensor e = eps(z, grid[i], prompt, nullptr, 1.0);
        const torch::Tensor x0 = (z - noiseScale(grid[i]) * e) / signalScale(grid[i]);
        z = signalScale(grid[i - 1]) * x0 + noiseScale(grid[i - 1]) * e;
    }
    return z;
}

}  // namespace infolens
