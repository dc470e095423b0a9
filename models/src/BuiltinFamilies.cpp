#include "infolens/models/BuiltinFamilies.h"

#include "infolens/models/gaussian/GaussianFamily.h"
#include "infolens/models/sd/SdModel.h"
#include "infolens/models/shapes/ShapesFamily.h"

namespace infolens {

void registerBuiltinFamilies(ModelRegistry& registry) {
    registerGaussianFamily(registry);
    registerShapesFamily(registry);
    registerSdFamily(registry);
    registry.reserveKind(
        "stable-diffusion",
        "Stable Diffusion opens from its .safetensors file or its diffusers folder "
        "(the one with model_index.json; give its path as the model), not from a "
        "bundle directory");
}

const ModelRegistry& builtinRegistry() {
    static const ModelRegistry registry = [] {
        ModelRegistry r;
        registerBuiltinFamilies(r);
        return r;
    }();
    return registry;
}

}  // namespace infolens
