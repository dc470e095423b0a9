#include "infolens/models/BuiltinFamilies.h"

#include "infolens/models/gaussian/GaussianFamily.h"
#include "infolens/models/shapes/ShapesFamily.h"

namespace infolens {

void registerBuiltinFamilies(ModelRegistry& registry) {
    registerGaussianFamily(registry);
    registerShapesFamily(registry);
    registry.reserveKind("stable-diffusion",
                         "native Stable Diffusion is reserved for a later version of InfoLens and "
                         "cannot be opened by this build");
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
