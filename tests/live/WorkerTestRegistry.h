#pragma once

#include "infolens/model/ModelRegistry.h"
#include "infolens/models/gaussian/GaussianFamily.h"
#include "infolens/models/shapes/ShapesFamily.h"

namespace infolens::test {

// ShapesWorld and the Gaussian model: all the worker tests use, so their TSan build
// (scripts/test-sanitizers.sh, target infolens_worker_tests) need not compile Stable Diffusion.
inline const ModelRegistry& workerTestRegistry() {
    static const ModelRegistry registry = [] {
        ModelRegistry r;
        registerGaussianFamily(r);
        registerShapesFamily(r);
        return r;
    }();
    return registry;
}

}  // namespace infolens::test
