#include "infolens/models/gaussian/GaussianFamily.h"

#include <nlohmann/json.hpp>

#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/io/Sha256.h"

namespace infolens {

namespace {

constexpr const char* kKind = "gaussian";
constexpr int kDefaultDim = 64;
constexpr int kDefaultWords = 4;
constexpr int kMaxDim = 1 << 20;
constexpr int kMaxWords = 256;

std::shared_ptr<Model> gaussianModelFrom(GaussianParams params, const std::string& name) {
    auto model = std::make_shared<Model>();
    model->kind = kKind;
    model->name = name;
    model->hash = sha256Hex(toJson(params).dump());
    const int words = static_cast<int>(params.words.size());
    model->denoiser = std::make_shared<GaussianDenoiser>(std::move(params));
    model->textEncoder = std::make_shared<GaussianTextEncoder>(words);
    return model;
}

// The exact model computes in float64 whatever dtype is asked for: it is the ground truth.
std::shared_ptr<Model> placed(std::shared_ptr<Model> model, const Placement& placement) {
    model->placement = {placement.device, torch::kFloat64};
    std::static_pointer_cast<GaussianDenoiser>(model->denoiser)->setDevice(placement.device);
    return model;
}

void checkWorldSize(const std::string& spec, int dim, int words) {
    if (dim < 1 || dim > kMaxDim)
        throw Error("model spec '" + spec + "': dim must be 1.." + std::to_string(kMaxDim));
    if (words < 1 || words > kMaxWords)
        throw Error("model spec '" + spec + "': words must be 1.." + std::to_string(kMaxWords));
}

// "gaussian:dim=64,words=4,seed=1"; null for specs of other families.
std::shared_ptr<Model> openBuiltin(const std::string& spec, const Placement& placement) {
    if (spec != kKind && spec.rfind("gaussian:", 0) != 0)
        return nullptr;
    int dim = kDefaultDim, words = kDefaultWords;
    std::uint64_t seed = 0;
    const auto colon = spec.find(':');
    if (colon != std::string::npos) {
        const std::string rest = spec.substr(colon + 1);
        std::size_t pos = 0;
        while (pos < rest.size()) {
            const std::size_t comma = std::min(rest.find(',', pos), rest.size());
            const std::string item = rest.substr(pos, comma - pos);
            const std::size_t eq = item.find('=');
            if (eq == std::string::npos)
                throw Error("model spec '" + spec + "': expected key=value, got '" + item + "'");
            const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
            try {
                std::size_t used = 0;
                if (key == "dim")
                    dim = std::stoi(value, &used);
                else if (key == "words")
                    words = std::stoi(value, &used);
                else if (key == "seed")
                    seed = std::stoull(value, &used);
                else
                    throw Error("model spec '" + spec + "': unknown key '" + key +
                                "' (dim, words, seed)");
                if (used != value.size())
                    throw std::invalid_argument("trailing characters");
            } catch (const std::logic_error&) {
                throw Error("model spec '" + spec + "': '" + value + "' is not a number");
            }
            pos = comma + 1;
        }
    }
    checkWorldSize(spec, dim, words);
    return placed(gaussianModelFrom(drawGaussianParams(dim, words, seed), spec), placement);
}

std::shared_ptr<Model> openBundle(const BundleManifest& manifest, const Placement& placement) {
    const std::vector<unsigned char> bytes = manifest.readVerifiedFile("params");
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& e) {
        throw ModelError("model bundle '" + manifest.directory +
                         "': params file is not valid JSON (" + e.what() + ")");
    }
    auto model = gaussianModelFrom(gaussianParamsFromJson(json), manifest.name);
    model->hash = manifest.manifestSha256;
    model->directory = manifest.directory;
    return placed(model, placement);
}

}  // namespace

void registerGaussianFamily(ModelRegistry& registry) {
    ModelFamily family;
    family.name = kKind;
    family.bundleKinds = {kKind};
    family.openBuiltin = openBuiltin;
    family.openBundle = openBundle;
    family.builtinHelp = "gaussian[:dim=D,words=K,seed=N]";
    registry.add(std::move(family));
}

std::shared_ptr<Model> makeGaussianModel(int dim, int words, std::uint64_t seed) {
    const std::string name = "gaussian:dim=" + std::to_string(dim) +
                             ",words=" + std::to_string(words) + ",seed=" + std::to_string(seed);
    checkWorldSize(name, dim, words);
    return gaussianModelFrom(drawGaussianParams(dim, words, seed), name);
}

std::shared_ptr<GaussianDenoiser> gaussianDenoiserOf(const Model& model) {
    return std::dynamic_pointer_cast<GaussianDenoiser>(model.denoiser);
}

}  // namespace infolens
