#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

#include "infolens/engine/LogSnrProposal.h"

namespace infolens {

enum class PredictionType { Eps, V, X0 };

PredictionType predictionTypeFromString(const std::string& name);  // "eps", "v", "x0"
std::string toString(PredictionType type);

struct LogSnrRange {
    double lo = 0.0;
    double hi = 0.0;
};

// Optional readout of a denoiser's cross-attention to the text (DAAM-style attention maps).
class AttentionCapture {
  public:
    virtual ~AttentionCapture() = default;
    // While on, every predict() call records each cross-attention layer's probabilities. Switching
    // it (on or off) drops what was recorded.
    virtual void setCaptureAttention(bool on) = 0;
    // What the predict() calls since capture was switched on (or last taken) recorded, one entry
    // per cross-attention layer in forward order, each averaged over heads: [B, L, h_l, w_l] on
    // the CPU in float32 (B = rows of all recorded calls in order, L = the condition's positions,
    // markers and padding included). Each pixel's values are probabilities over L. Clears the
    // record.
    virtual std::vector<torch::Tensor> takeCapturedAttention() = 0;
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
    // The precision the engine does its arithmetic in (float32 also for float16/bfloat16 models:
    // the denoiser converts its inputs; differences of predictions need the wider type).
    virtual torch::ScalarType dtype() const { return torch::kFloat32; }
    // Where the denoiser computes; the engine keeps its noise and accumulators there.
    virtual torch::Device device() const { return torch::Device(torch::kCPU); }
    // Most rows one predict() call should take (memory and cache limits); the engine never sends
    // more in one call.
    virtual int preferredBatchRows() const { return 64; }
    // Cross-attention readout, or null for denoisers without cross-attention.
    virtual AttentionCapture* attentionCapture() { return nullptr; }
    // Log-SNR of each discrete training step t = 0..T-1 (decreasing) for models trained on a
    // discrete schedule (Stable Diffusion's DDPM steps), empty for continuous-time models.
    // predict() at stepLogSnrs()[t] evaluates exactly step t.
    virtual std::vector<double> stepLogSnrs() const { return {}; }
    // The log-SNR proposal the engine uses unless told otherwise: the density that needs the
    // fewest draws for this model's integrands (docs/engine.md, "Proposal"). The reference's
    // truncated logistic unless a family has measured better.
    virtual ProposalKind preferredProposal() const { return ProposalKind::Logistic; }
};

// Converts a raw prediction to eps: v -> S z + A v; x0 -> (z - A x0) / S.
torch::Tensor epsFromPrediction(const torch::Tensor& prediction, const torch::Tensor& z,
                                const torch::Tensor& logSnr, PredictionType type);

}  // namespace infolens
