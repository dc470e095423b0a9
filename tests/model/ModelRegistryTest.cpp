#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "TestFiles.h"
#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/model/ModelRegistry.h"
#include "infolens/models/BuiltinFamilies.h"

#include <catch2/catch.hpp>

using namespace infolens;

namespace {

ModelFamily fakeFamily(const std::string& name, std::vector<std::string> kinds) {
    ModelFamily f;
    f.name = name;
    f.bundleKinds = std::move(kinds);
    f.openBuiltin = [name](const std::string& spec, const Placement&) -> std::shared_ptr<Model> {
        if (spec != name + ":builtin")
            return nullptr;
        auto m = std::make_shared<Model>();
        m->name = spec;
        m->kind = name;
        return m;
    };
    f.openBundle = [name](const BundleManifest& manifest, const Placement&) {
        auto m = std::make_shared<Model>();
        m->name = manifest.name;
        m->kind = name;
        return m;
    };
    f.builtinHelp = name + ":builtin";
    return f;
}

// A minimal valid bundle of the given kind (one small file).
void writeBundle(const std::string& dir, const std::string& kind) {
    writeFileAtomically(dir + "/weights.bin", std::string("0123"));
    BundleManifest m;
    m.directory = dir;
    m.kind = kind;
    m.name = "bundle-" + kind;
    m.imageWidth = m.imageHeight = 16;
    m.imageChannels = 3;
    m.dataShape = {1, 4, 4};
    m.scheduleType = "continuous";
    m.logSnrRange = {-5.0, 5.0};
    m.files["weights"] = {"weights.bin", ""};
    writeBundleManifest(m);
}

}  // namespace

TEST_CASE("the registry opens built-in specs and bundles by kind through their family",
          "[registry]") {
    ModelRegistry registry;
    registry.add(fakeFamily("alpha", {"alpha-kind", "alpha-old"}));
    registry.add(fakeFamily("beta", {"beta-kind"}));
    CHECK(registry.load("beta:builtin")->kind == "beta");
    CHECK(registry.load("alpha:builtin")->kind == "alpha");
    TempDir dir;
    writeBundle(dir.path(), "alpha-old");
    CHECK(registry.load(dir.path())->kind == "alpha");  // an older kind name still opens
    CHECK(registry.familyNames() == std::vector<std::string>{"alpha", "beta"});
}

TEST_CASE("the registry refuses duplicate families and kinds, and names what it supports",
          "[registry]") {
    ModelRegistry registry;
    registry.add(fakeFamily("alpha", {"alpha-kind"}));
    CHECK_THROWS_WITH(registry.add(fakeFamily("alpha", {"other"})),
                      Catch::Contains("registered twice"));
    CHECK_THROWS_WITH(registry.add(fakeFamily("gamma", {"alpha-kind"})),
                      Catch::Contains("claimed by families"));
    CHECK_THROWS_WITH(registry.load("nothing-like-it"),
                      Catch::Contains("neither a built-in model (alpha:builtin)"));
    TempDir dir;
    writeBundle(dir.path(), "unheard-of");
    CHECK_THROWS_AS(registry.load(dir.path()), ModelError);
    CHECK_THROWS_WITH(registry.load(dir.path()), Catch::Contains("supported: alpha-kind"));
}

TEST_CASE("built-in families: the old shapes kind loads, stable-diffusion bundles are refused",
          "[registry]") {
    const ModelRegistry& registry = builtinRegistry();
    const auto kinds = registry.bundleKinds();
    CHECK(std::find(kinds.begin(), kinds.end(), "shapes-ldm") != kinds.end());
    CHECK(std::find(kinds.begin(), kinds.end(), "latent-diffusion") != kinds.end());
    TempDir dir;
    writeBundle(dir.path(), "stable-diffusion");
    CHECK_THROWS_WITH(registry.load(dir.path()),
                      Catch::Contains("opens from its .safetensors file"));
    // The shipped default (manifest kind "latent-diffusion") opens as the canonical kind.
    CHECK(registry.load("default")->kind == "shapes-ldm");
}

TEST_CASE("gaussian specs with impossible sizes are refused, not divided by", "[registry]") {
    const ModelRegistry& registry = builtinRegistry();
    CHECK_THROWS_WITH(registry.load("gaussian:dim=0"), Catch::Contains("dim must be"));
    CHECK_THROWS_WITH(registry.load("gaussian:words=0"), Catch::Contains("words must be"));
    CHECK_THROWS_WITH(registry.load("gaussian:dim=12abc"), Catch::Contains("not a number"));
    CHECK(registry.load("gaussian")->imageWidth == 0);  // no images: front ends must check
}
