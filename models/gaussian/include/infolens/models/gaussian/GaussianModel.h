#pragma once

#include <memory>

#include "infolens/model/Denoiser.h"
#include "infolens/model/TextEncoder.h"
#include "infolens/models/gaussian/GaussianWorld.h"

namespace infolens {

// The exact (Bayes-optimal) eps-denoiser of a GaussianWorld. The observed values y are the data
// the model "knows" for the current draw and are bound with setObservation(); the condition only
// says which words are present, so cached text encodings stay valid across draws.
class GaussianDenoiser : public Denoiser {
  public:
    explicit GaussianDenoiser(GaussianParams params);

    void setObservation(const std::vector<std::vector<double>>& y);
    // Moves the closed form's tables; it always computes in float64 (it is the exact answer).
    void setDevice(const torch::Device& device);

    torch::Tensor predict(const torch::Tensor& z, const torch::Tensor& logSnr,
                          const torch::Tensor& cond, const torch::Tensor& condMask) override;
    PredictionType predictionType() const override { return PredictionType::Eps; }
    LogSnrRange trainedLogSnrRange() const override;
    std::vector<int64_t> dataShape() const override;
    torch::ScalarType dtype() const override { return torch::kFloat64; }
    torch::Device device() const override { return m_device; }
    // A closed form per coordinate: rows cost almost nothing, so batches are as large as asked.
    int preferredBatchRows() const override { return 1 << 20; }
    const GaussianParams& params() const { return m_params; }

  private:
    GaussianParams m_params;
    torch::Tensor m_regionPrecision;  // [K, dim]: region_k(i) / noiseVar_k
    torch::Tensor m_priorPrecision;   // [dim]
    torch::Tensor m_weightedY;        // [K, dim]: region_k(i) * y_k,i / noiseVar_k
    torch::Device m_device{torch::kCPU};
};

// Words are "w0" ... "w{K-1}"; anything else is unknown. cond [K, 1] holds 1 for present words.
class GaussianTextEncoder : public TextEncoder {
  public:
    explicit GaussianTextEncoder(int words) : m_words(words) {}
    Tokenization tokenize(const std::string& prompt) const override;
    TextEncoding encode(const std::string& prompt) override;
    int maxTokens() const override { return 256; }
    WordSet wordSet(const std::string& prompt) const;

  private:
    int m_words;
};

// Data layout of a Gaussian x as the engine sees it: [1, 1, dim].
torch::Tensor gaussianDataTensor(const std::vector<double>& x);

}  // namespace infolens
