#include "infolens/model/ModelRegistry.h"

#include <algorithm>
#include <filesystem>

#include "infolens/Error.h"

namespace infolens {

namespace {

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& item : items)
        out += (out.empty() ? "" : ", ") + item;
    return out;
}

}  // namespace

void ModelRegistry::add(ModelFamily family) {
    if (family.name.empty() || !family.openBundle)
        throw Error("a model family needs a name and a bundle opener");
    for (const ModelFamily& f : m_families) {
        if (f.name == family.name)
            throw Error("model family '" + family.name + "' is registered twice");
        for (const std::string& kind : family.bundleKinds) {
            if (std::find(f.bundleKinds.begin(), f.bundleKinds.end(), kind) != f.bundleKinds.end())
                throw Error("bundle kind '" + kind + "' is claimed by families '" + f.name +
                            "' and '" + family.name + "'");
        }
    }
    m_families.push_back(std::move(family));
}

void ModelRegistry::reserveKind(const std::string& kind, const std::string& why) {
    m_reserved.emplace_back(kind, why);
}

std::shared_ptr<Model> ModelRegistry::load(const std::string& spec,
                                           const Placement& placement) const {
    for (const ModelFamily& family : m_families) {
        if (!family.openBuiltin)
            continue;
        if (auto model = family.openBuiltin(spec, placement))
            return model;
    }
    std::error_code error;
    if (!std::filesystem::is_directory(spec, error)) {
        const std::string help = builtinHelp();
        throw Error("model '" + spec + "' is neither a built-in model" +
                    (help.empty() ? std::string() : " (" + help + ")") +
                    " nor an existing bundle directory");
    }
    // The kind decides first: a bundle this build cannot run is said so before any file of it is
    // hashed (checkpoints can be gigabytes).
    const BundleManifest unverified = readBundle(spec, false);
    for (const ModelFamily& family : m_families) {
        const auto& kinds = family.bundleKinds;
        if (std::find(kinds.begin(), kinds.end(), unverified.kind) != kinds.end())
            return family.openBundle(readBundle(spec, true), placement);
    }
    for (const auto& [kind, why] : m_reserved) {
        if (kind == unverified.kind)
            throw ModelError("model bundle '" + spec + "' has kind '" + kind + "': " + why);
    }
    throw ModelError("model bundle '" + spec + "' has kind '" + unverified.kind +
                     "', which this build cannot run (supported: " + joined(bundleKinds()) + ")");
}

std::vector<std::string> ModelRegistry::familyNames() const {
    std::vector<std::string> names;
    for (const ModelFamily& f : m_families)
        names.push_back(f.name);
    return names;
}

std::vector<std::string> ModelRegistry::bundleKinds() const {
    std::vector<std::string> kinds;
    for (const ModelFamily& f : m_families)
        kinds.insert(kinds.end(), f.bundleKinds.begin(), f.bundleKinds.end());
    return kinds;
}

std::string ModelRegistry::builtinHelp() const {
    std::vector<std::string> help;
    for (const ModelFamily& f : m_families) {
        if (!f.builtinHelp.empty())
            help.push_back(f.builtinHelp);
    }
    return joined(help);
}

}  // namespace infolens
