#include "infolens/Model.h"

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "infolens/AtomicFile.h"
#include "infolens/Error.h"
#include "infolens/GaussianModel.h"
#include "infolens/ModelBundle.h"
#include "infolens/Sha256.h"
#include "infolens/ShapesModel.h"

namespace infolens {

namespace {

constexpr int kDefaultGaussianDim = 64;
constexpr int kDefaultGaussianWords = 4;

std::shared_ptr<Model> gaussianModelFrom(GaussianParams params, const std::string& name) {
    auto model = std::make_shared<Model>();
    model->kind = "gaussian";
    model->name = name;
    model->hash = sha256Hex(toJson(params).dump());
    const int words = static_cast<int>(params.words.size());
    model->gaussian = std::make_shared<GaussianDenoiser>(std::move(params));
    model->gaussianEncoder = std::make_shared<GaussianTextEncoder>(words);
    model->denoiser = model->gaussian;
    model->textEncoder = model->gaussianEncoder;
    return model;
}

// "gaussian:dim=64,words=4,seed=1"
std::shared_ptr<Model> parseGaussianSpec(const std::string& spec) {
    int dim = kDefaultGaussianDim, words = kDefaultGaussianWords;
    std::uint64_t seed = 0;
    const auto colon = spec.find(':');
    if (colon != std::string::npos) {
        std::string rest = spec.substr(colon + 1);
        std::size_t pos = 0;
        while (pos < rest.size()) {
            const std::size_t comma = std::min(rest.find(',', pos), rest.size());
            const std::string item = rest.substr(pos, comma - pos);
            const std::size_t eq = item.find('=');
            if (eq == std::string::npos)
                throw Error("model spec '" + spec + "': expected key=value, got '" + item + "'");
            const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
            try {
                if (key == "dim")
                    dim = std::stoi(value);
                else if (key == "words")
                    words = std::stoi(value);
                else if (key == "seed")
                    seed = std::stoull(value);
                else
                    throw Error("model spec '" + spec + "': unknown key '" + key +
                                "' (dim, words, seed)");
            } catch (const std::logic_error&) {
                throw Error("model spec '" + spec + "': '" + value + "' is not a number");
            }
            pos = comma + 1;
        }
    }
    GaussianParams params = drawGaussianParams(dim, words, seed);
    return gaussianModelFrom(std::move(params), spec);
}

std::string executableDirectory() {
    std::error_code error;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
    return error ? std::string() : exe.parent_path().string();
}

}  // namespace

std::vector<std::string> defaultModelCandidates() {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("INFOLENS_DEFAULT_MODEL"))
        candidates.emplace_back(env);
#ifdef INFOLENS_SOURCE_MODEL_DIR
    candidates.emplace_back(INFOLENS_SOURCE_MODEL_DIR);
#endif
    const std::string exeDir = executableDirectory();
    if (!exeDir.empty())
        candidates.push_back(exeDir + "/../share/infolens/models/shapes-v2");
#ifdef INFOLENS_INSTALL_MODEL_DIR
    candidates.emplace_back(INFOLENS_INSTALL_MODEL_DIR);
#endif
    return candidates;
}

std::string defaultModelDirectory() {
    std::string looked;
    for (const std::string& dir : defaultModelCandidates()) {
        if (std::filesystem::exists(std::filesystem::path(dir) / "manifest.json"))
            return dir;
        looked += "\n  " + dir;
    }
    throw Error("the default model (shapes-v2) is not installed; looked in:" + looked);
}

std::string defaultSampleDirectory() {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("INFOLENS_SAMPLES"))
        candidates.emplace_back(env);
#ifdef INFOLENS_SOURCE_SAMPLE_DIR
    candidates.emplace_back(INFOLENS_SOURCE_SAMPLE_DIR);
#endif
    const std::string exeDir = executableDirectory();
    if (!exeDir.empty())
        candidates.push_back(exeDir + "/../share/infolens/samples");
#ifdef INFOLENS_INSTALL_SAMPLE_DIR
    candidates.emplace_back(INFOLENS_INSTALL_SAMPLE_DIR);
#endif
    std::string looked;
    for (const std::string& dir : candidates) {
        if (std::filesystem::exists(std::filesystem::path(dir) / "0002.png"))
            return dir;
        looked += "\n  " + dir;
    }
    throw Error("the bundled sample images are not installed; looked in:" + looked);
}

std::shared_ptr<Model> makeGaussianModel(int dim, int words, std::uint64_t seed) {
    return gaussianModelFrom(drawGaussianParams(dim, words, seed),
                             "gaussian:dim=" + std::to_string(dim) + ",words=" +
                                 std::to_string(words) + ",seed=" + std::to_string(seed));
}

std::shared_ptr<Model> loadModel(const std::string& spec) {
    if (spec == "default")
        return loadModel(defaultModelDirectory());
    if (spec == "gaussian" || spec.rfind("gaussian:", 0) == 0)
        return parseGaussianSpec(spec);
    if (!std::filesystem::exists(spec)) {
        throw Error("model '" + spec +
                    "' is neither a built-in model (default, gaussian[:dim=D,words=K,seed=N]) "
                    "nor an existing bundle directory");
    }
    const BundleManifest manifest = readBundle(spec);
    if (manifest.kind == "gaussian") {
        const std::vector<unsigned char> bytes = readFileBytes(manifest.filePath("params"));
        nlohmann::json json;
        try {
            json = nlohmann::json::parse(bytes.begin(), bytes.end());
        } catch (const nlohmann::json::exception& e) {
            throw Error("model bundle '" + spec + "': params file is not valid JSON (" + e.what() +
                        ")");
        }
        auto model = gaussianModelFrom(gaussianParamsFromJson(json), manifest.name);
        model->hash = manifest.manifestSha256;
        return model;
    }
    if (manifest.kind == "latent-diffusion") {
        const auto nets = ShapesNetworks::fromBundle(manifest);
        auto model = std::make_shared<Model>();
        model->kind = manifest.kind;
        model->name = manifest.name;
        model->hash = manifest.manifestSha256;
        model->directory = manifest.directory;
        model->denoiser = std::make_shared<ShapesDenoiser>(nets);
        model->textEncoder = std::make_shared<ShapesTextEncoder>(nets);
        model->codec = std::make_shared<ShapesCodec>(nets);
        model->imageWidth = manifest.imageWidth;
        model->imageHeight = manifest.imageHeight;
        return model;
    }
    throw Error("model bundle '" + spec + "' has kind '" + manifest.kind +
                "', which this build cannot run (supported: gaussian, latent-diffusion)");
}

}  // namespace infolens
