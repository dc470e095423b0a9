#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

namespace infolens {

enum class PredictionType { Eps, V, X0 };

PredictionType predictionTypeFromString(const std::string& name);  // "eps", "v", "x0"
std::string toString(PredictionType type);

struct LogSnrRange {
    double lo = 0.0;
    double hi = 0.0;
};

// A conditional denoiser on the variance-preserving channel z = A x + S eps, A = sqrt(sig(a)),
// S = sqrt(sig(-a)). Implementations must treat each row's log-SNR separately.
class Denoiser {
  public:
    virtual ~Denoiser() = default;
    // z [B, C, H, W], logSnr [B], cond [B, L, D], condMask [B, L] -> raw prediction [B, C, H, W]
    // in the model's own parameterisation (see predictionType()).
    virtual torch::Tensor predict(const torch::Tensor& z, const torch::Tensor& logSnr,
                                  const torch::Tensor& cond, const torch::Tensor& condMask) = 0;
    virtual PredictionType predictionType() const = 0;
    virtual LogSnrRange trainedLogSnrRange() const = 0;
    // Shape of one x (latent for latent models): {C, H, W}.
    virtual std::vector<int64_t> dataShape() const = 0;
    virtual torch::ScalarType dtype() const { return torch::kFloat32; }
    // Most rows one predict() call should take (memory and cache limits); the engine never sends
    // more in one call.
    virtual int preferredBatchRows() const { return 64; }
};

// Converts a raw prediction to eps: v -> S z + A v; x0 -> (z - A x0) / S.
torch::Tensor epsFromPrediction(const torch::Tensor& prediction, const torch::Tensor& z,
                                const torch::Tensor& logSnr, PredictionType type);

}  // namespace infolens
