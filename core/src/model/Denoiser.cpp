#include "infolens/model/Denoiser.h"

#include <torch/torch.h>

#include "infolens/Error.h"

namespace infolens {

PredictionType predictionTypeFromString(const std::string& name) {
    if (name == "eps" || name == "epsilon")
        return PredictionType::Eps;
    if (name == "v" || name == "v_prediction")
        return PredictionType::V;
    if (name == "x0" || name == "sample")
        return PredictionType::X0;
    throw Error("unknown prediction type '" + name + "' (expected eps, v or x0)");
}

std::string toString(PredictionType type) {
    switch (type) {
        case PredictionType::Eps:
            return "eps";
        case PredictionType::V:
            return "v";
        case PredictionType::X0:
            return "x0";
    }
    return "eps";
}

torch::Tensor epsFromPrediction(const torch::Tensor& prediction, const torch::Tensor& z,
                                const torch::Tensor& logSnr, PredictionType type) {
    if (type == PredictionType::Eps)
        return prediction;
    const auto shape = std::vector<int64_t>{logSnr.size(0), 1, 1, 1};
    const torch::Tensor a = torch::sigmoid(logSnr).sqrt().view(shape).to(z.dtype());
    const torch::Tensor s = torch::sigmoid(-logSnr).sqrt().view(shape).to(z.dtype());
    if (type == PredictionType::V)
        return s * z + a * prediction;
    return (z - a * prediction) / s;
}

}  // namespace infolens
