#include "infolens/models/shapes/ShapesFamily.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "infolens/Error.h"
#include "infolens/models/shapes/ShapesModel.h"

namespace infolens {

namespace {

constexpr const char* kDefaultSpec = "default";
constexpr const char* kSampleName = "0002";

std::string executableDirectory() {
    std::error_code error;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
    return error ? std::string() : exe.parent_path().string();
}

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

ShapesModelHandle openHandle(const BundleManifest& manifest) {
    if (manifest.kind != kShapesBundleKind && manifest.kind != kShapesLegacyBundleKind) {
        throw ModelError("model bundle '" + manifest.directory + "' has kind '" + manifest.kind +
                         "', not a ShapesWorld model (" + kShapesBundleKind + ")");
    }
    const auto nets = ShapesNetworks::fromBundle(manifest);
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
    return {model, nets};
}

std::shared_ptr<Model> openBundle(const BundleManifest& manifest) {
    return openHandle(manifest).model;
}

std::shared_ptr<Model> openBuiltin(const std::string& spec) {
    if (spec != kDefaultSpec)
        return nullptr;
    return openBundle(readBundle(shapesDefaultModelDirectory()));
}

std::vector<std::string> installedCandidates(const char* envVariable, const char* sourceDir,
                                             const char* installDir, const std::string& relative) {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv(envVariable))
        candidates.emplace_back(env);
    if (sourceDir)
        candidates.emplace_back(sourceDir);
    const std::string exeDir = executableDirectory();
    if (!exeDir.empty())
        candidates.push_back(exeDir + "/../share/infolens/" + relative);
    if (installDir)
        candidates.emplace_back(installDir);
    return candidates;
}

}  // namespace

std::vector<std::string> shapesDefaultModelCandidates() {
    return installedCandidates("INFOLENS_DEFAULT_MODEL", INFOLENS_SOURCE_MODEL_DIR,
                               INFOLENS_INSTALL_MODEL_DIR, "models/shapes-v2");
}

std::string shapesDefaultModelDirectory() {
    std::string looked;
    for (const std::string& dir : shapesDefaultModelCandidates()) {
        if (std::filesystem::exists(std::filesystem::path(dir) / "manifest.json"))
            return dir;
        looked += "\n  " + dir;
    }
    throw ModelError("the default model (shapes-v2) is not installed; looked in:" + looked);
}

std::string shapesSampleDirectory() {
    std::string looked;
    for (const std::string& dir :
         installedCandidates("INFOLENS_SAMPLES", INFOLENS_SOURCE_SAMPLE_DIR,
                             INFOLENS_INSTALL_SAMPLE_DIR, "samples")) {
        if (std::filesystem::exists(std::filesystem::path(dir) / "0002.png"))
            return dir;
        looked += "\n  " + dir;
    }
    throw Error("the bundled sample images are not installed; looked in:" + looked);
}

ShapesModelHandle openShapesModel(const std::string& spec) {
    return openHandle(readBundle(spec == kDefaultSpec ? shapesDefaultModelDirectory() : spec));
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
