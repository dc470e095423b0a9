#pragma once

#include <string>
#include <vector>

#include <memory>

#include "infolens/model/ModelRegistry.h"

namespace infolens {

// ShapesWorld latent-diffusion models: the built-in spec "default" (the shipped shapes-v2 bundle)
// and bundles of kind "shapes-ldm" (or the older "latent-diffusion"). Models of this family name
// the bundled sample 0002 and its caption as their default sample.
void registerShapesFamily(ModelRegistry& registry);

struct ShapesNetworks;

// A ShapesWorld model with its networks in hand, for the family's own tools (eval, training
// checks) that need more than the generic Model.
struct ShapesModelHandle {
    std::shared_ptr<Model> model;
    std::shared_ptr<ShapesNetworks> networks;
};

// spec: "default" or a bundle directory of this family. Throws infolens::Error otherwise.
ShapesModelHandle openShapesModel(const std::string& spec, const Placement& placement = {});

// The shipped default model: $INFOLENS_DEFAULT_MODEL, the source tree's resources (build tree),
// <exe>/../share/infolens/models/shapes-v2, then the install prefix. Throws when none exists.
std::string shapesDefaultModelDirectory();
std::vector<std::string> shapesDefaultModelCandidates();
// The bundled ShapesWorld sample images and prompts (resources/samples), resolved like the default
// model, with $INFOLENS_SAMPLES first. Throws when none exists.
std::string shapesSampleDirectory();

}  // namespace infolens
