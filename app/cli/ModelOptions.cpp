#include "ModelOptions.h"

#include "infolens/Error.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/models/BuiltinFamilies.h"

namespace infolens::cli {

std::vector<OptionSpec> modelOptions(const std::string& defaultModel) {
    return {
        {"model", "M",
         "model: 'default', a bundle folder, a Stable Diffusion .safetensors file or diffusers "
         "folder, or a built-in spec",
         defaultModel},
        {"device", "D", "auto (CUDA when available), cpu, cuda or cuda:N", "auto"},
        {"dtype", "T", "float32, float16 or bfloat16 (weights and activations)", "float32"},
        {"model-config", "FILE",
         "Stable Diffusion: settings the checkpoint cannot state (same keys as the "
         "<checkpoint>.infolens.json sidecar)",
         ""},
        {"prediction", "P", "Stable Diffusion: eps or v (overrides detection and sidecar)", ""},
    };
}

std::vector<OptionSpec> withModelOptions(std::vector<OptionSpec> options,
                                         const std::string& defaultModel) {
    std::vector<OptionSpec> all = modelOptions(defaultModel);
    all.insert(all.end(), options.begin(), options.end());
    return all;
}

std::string modelSpec(const Args& args) {
    std::string spec = args.has("model") ? args.text("model") : "default";
    std::string sdOptions;
    if (args.has("model-config"))
        sdOptions += ",config=" + args.text("model-config");
    if (args.has("prediction")) {
        const std::string p = args.text("prediction");
        if (p != "eps" && p != "v")
            throw Error("--prediction must be eps or v, not '" + p + "'");
        sdOptions += ",prediction=" + p;
    }
    if (!sdOptions.empty())
        spec = (spec.rfind("sd:", 0) == 0 ? spec : "sd:" + spec) + sdOptions;
    return spec;
}

std::string deviceOption(const Args& args) {
    return args.has("device") ? args.text("device") : "auto";
}

std::string dtypeOption(const Args& args) {
    return args.has("dtype") ? args.text("dtype") : "float32";
}

std::shared_ptr<Model> openModel(const Args& args) {
    return builtinRegistry().load(modelSpec(args),
                                  parsePlacement(deviceOption(args), dtypeOption(args)));
}

std::string placementLine(const Model& model) {
    return deviceName(model.placement.device) + ", " + dtypeName(model.placement.dtype);
}

}  // namespace infolens::cli
