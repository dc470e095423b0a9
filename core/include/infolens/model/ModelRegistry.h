#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "infolens/model/Model.h"
#include "infolens/model/ModelBundle.h"
#include "infolens/model/Placement.h"

namespace infolens {

// One model family: how to open its built-in models (specs that are not directories) and its
// bundles (by the manifest's kind). A family lives in models/<family>/ and is added to a registry
// by registerBuiltinFamilies(); the engine, the worker and the UI only see the registry.
struct ModelFamily {
    std::string name;                      // "gaussian", "shapes-ldm", ...
    std::vector<std::string> bundleKinds;  // manifest kinds it opens; the first is canonical
    // Returns null when `spec` is not one of the family's built-in models (or, for families whose
    // files are not bundles, one of its files or folders). Weights go straight to `placement`.
    std::function<std::shared_ptr<Model>(const std::string& spec, const Placement& placement)>
        openBuiltin;
    std::function<std::shared_ptr<Model>(const BundleManifest& manifest,
                                         const Placement& placement)>
        openBundle;
    std::string builtinHelp;  // e.g. "gaussian[:dim=D,words=K,seed=N]", for error messages
};

class ModelRegistry {
  public:
    // Throws infolens::Error when a name or bundle kind is already taken.
    void add(ModelFamily family);
    // A bundle kind that no family of this build opens but that must not be mistaken for an
    // unknown file (e.g. a future family): loading it says `why`.
    void reserveKind(const std::string& kind, const std::string& why);

    // spec: a built-in model of some family, or the path of a bundle directory. Throws
    // infolens::Error (or ModelError) with a clear message for anything else.
    [[nodiscard]] std::shared_ptr<Model> load(const std::string& spec,
                                              const Placement& placement = {}) const;

    [[nodiscard]] std::vector<std::string> familyNames() const;
    [[nodiscard]] std::vector<std::string> bundleKinds() const;
    [[nodiscard]] std::string builtinHelp() const;

  private:
    std::vector<ModelFamily> m_families;
    std::vector<std::pair<std::string, std::string>> m_reserved;
};

}  // namespace infolens
