#pragma once

#include <memory>
#include <string>
#include <vector>

#include "Args.h"
#include "infolens/model/Model.h"

namespace infolens::cli {

// The options every command that runs a model takes: --model, --device, --dtype, --model-config,
// --prediction. `defaultModel` is shown in --help and used when --model is absent.
std::vector<OptionSpec> modelOptions(const std::string& defaultModel = "default");

// `options` preceded by modelOptions(defaultModel).
std::vector<OptionSpec> withModelOptions(std::vector<OptionSpec> options,
                                         const std::string& defaultModel = "default");

// The registry spec the options name (--model with --model-config/--prediction folded in).
std::string modelSpec(const Args& args);
// --device and --dtype as given ("auto", "float32" when absent).
std::string deviceOption(const Args& args);
std::string dtypeOption(const Args& args);

// Loads the model the options name, on the device and in the dtype asked for. --model-config and
// --prediction apply to Stable Diffusion files and folders (they become options of an "sd:" spec).
std::shared_ptr<Model> openModel(const Args& args);

// "device": "cuda:0", "dtype": "float16" fields for JSON outputs, and one line for logs.
std::string placementLine(const Model& model);

}  // namespace infolens::cli
