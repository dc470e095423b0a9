#include "infolens/models/shapes/ShapesFamily.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "infolens/Error.h"
#include "infolens/model/DataPaths.h"
#include "infolens/models/shapes/ShapesModel.h"

namespace infolens {

namespace {

constexpr const char* kDefaultSpec = "default";
constexpr const char* kSampleName = "0002";

std::string trimmed(const std::string& text) {
    const auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos)
        return {};
    const auto end = text.find_last_not_of(" \t\r\n");
    return text.substr(begin, end - begin + 1);
}

// The bundled sample with its caption, or an empty reference when the samples are not installed
// (a model still opens without them).
SampleRef defaultSample() {
    try {
        const std::filesystem::path dir(shapesSampleDirectory());
        SampleRef sample;
        sample.imagePath = (dir / (std::string(kSampleName) + ".png")).string();
        std::ifstream caption(dir / (std::string(kSampleName) + ".txt"));
        std::stringstream text;
        text << caption.rdbuf();
        sample.prompt = trimmed(text.str());
        return sample;
    } catch (const Error&) {
        return {};
    }
}

ShapesModelHandle openHandle(const BundleManifest& manifest, const Placement& placement) {
    if (manifest.kind != kShapesBundleKind && manifest.kind != kShapesLegacyBundleKind) {
        throw ModelError("model bundle '" + manifest.directory + "' has kind '" + manifest.kind +
                         "', not a ShapesWorld model (" + kShapesBundleKind + ")");
    }
    const auto nets = ShapesNetworks::fromBundle(manifest, placement);
    auto model = std::make_shared<Model>();
    model->kind = kShapesBundleKind;
    model->name = manifest.name;
    model->hash = manifest.manifestSha256;
    model->directory = manifest.directory;
    model->denoiser = std::make_shared<ShapesDenoiser>(nets);
    model->textEncoder = std::make_shared<ShapesTextEncoder>(nets);
    model->codec = std::make_shared<ShapesCodec>(nets);
    model->imageWidth = manifest.imageWidth;
    model->imageHeight = manifest.imageHeight;
    model->sample = defaultSample();
    model->placement = placement;
    return {model, nets};
}

std::shared_ptr<Model> openBundle(const BundleManifest& manifest, const Placement& placement) {
    return openHandle(manifest, placement).model;
}

std::shared_ptr<Model> openBuiltin(const std::string& spec, const Placement& placement) {
    if (spec != kDefaultSpec)
        return nullptr;
    return openBundle(readBundle(shapesDefaultModelDirectory()), placement);
}

}  // namespace

std::vector<std::string> shapesDefaultModelCandidates() {
    return installedDataCandidates("INFOLENS_DEFAULT_MODEL", INFOLENS_SOURCE_MODEL_DIR,
                                   INFOLENS_INSTALL_MODEL_DIR, "models/shapes-v2");
}

std::string shapesDefaultModelDirectory() {
    try {
        return findInstalledData(shapesDefaultModelCandidates(), "manifest.json",
                                 "the default model (shapes-v2)");
    } catch (const Error& e) {
        throw ModelError(e.what());
    }
}

std::string shapesSampleDirectory() {
    return findInstalledData(installedDataCandidates("INFOLENS_SAMPLES", INFOLENS_SOURCE_SAMPLE_DIR,
                                                     INFOLENS_INSTALL_SAMPLE_DIR, "samples"),
                             "0002.png", "the bundled sample images");
}

ShapesModelHandle openShapesModel(const std::string& spec, const Placement& placement) {
    return openHandle(readBundle(spec == kDefaultSpec ? shapesDefaultModelDirectory() : spec),
                      placement);
}

void registerShapesFamily(ModelRegistry& registry) {
    ModelFamily family;
    family.name = kShapesBundleKind;
    family.bundleKinds = {kShapesBundleKind, kShapesLegacyBundleKind};
    family.openBuiltin = openBuiltin;
    family.openBundle = openBundle;
    family.builtinHelp = "default";
    registry.add(std::move(family));
}

}  // namespace infolens
