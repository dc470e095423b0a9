#pragma once

#include <cstdint>
#include <memory>

#include "infolens/model/Model.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/models/gaussian/GaussianModel.h"

namespace infolens {

// The exact Gaussian model: built-in specs "gaussian" and "gaussian:dim=D,words=K,seed=N", and
// bundles of kind "gaussian" (a params.json file).
void registerGaussianFamily(ModelRegistry& registry);

std::shared_ptr<Model> makeGaussianModel(int dim, int words, std::uint64_t seed);

// The model's exact denoiser when it is a Gaussian model, else null (the CLI draws (x, y) from the
// world through it).
std::shared_ptr<GaussianDenoiser> gaussianDenoiserOf(const Model& model);

}  // namespace infolens
