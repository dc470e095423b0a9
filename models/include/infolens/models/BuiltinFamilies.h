#pragma once

// No LibTorch here: the app's main() includes this to hand the registry to the UI.
namespace infolens {

class ModelRegistry;

// Adds every model family of this build to `registry`: the one place a new family is listed.
// Called explicitly by each front end (static libraries drop self-registering objects).
void registerBuiltinFamilies(ModelRegistry& registry);

// A registry holding the built-in families, made on first use and alive until exit (front ends
// and tests hand it to the worker).
const ModelRegistry& builtinRegistry();

}  // namespace infolens
