#include "infolens/models/sd/SdWeights.h"

#include <torch/torch.h>

#include "infolens/Error.h"

namespace infolens {

torch::Tensor SdWeights::tensor(const std::string& name, torch::ScalarType dtype,
                                const std::vector<int64_t>& expectedShape) const {
    return tensor(name, Placement{torch::kCPU, dtype}, expectedShape);
}

torch::Tensor SdWeights::tensor(const std::string& name, const Placement& placement,
                                const std::vector<int64_t>& expectedShape) const {
    if (!has(name))
        throwMissing(name);
    if (!expectedShape.empty()) {
        const std::vector<int64_t> actual = shape(name);
        if (actual != expectedShape)
            throw ModelError("checkpoint '" + path() + "': tensor '" + name + "' has shape " +
                             c10::str(torch::IntArrayRef(actual)) + ", expected " +
                             c10::str(torch::IntArrayRef(expectedShape)));
    }
    return read(name, placement);
}

void SdWeights::throwMissing(const std::string& name) const {
    throw ModelError("checkpoint '" + path() + "' has no tensor '" + name + "'");
}

}  // namespace infolens
