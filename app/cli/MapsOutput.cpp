#include "MapsOutput.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/io/Npy.h"
#include "infolens/model/ImageTensor.h"
#include "infolens/model/Model.h"
#include "infolens/models/gaussian/GaussianFamily.h"
#include "infolens/models/gaussian/GaussianModel.h"
#include "infolens/render/Colormap.h"
#include "infolens/render/OverlayCompositor.h"

namespace infolens::cli {

namespace {

namespace fs = std::filesystem;
constexpr double kLn2 = 0.69314718055994530942;
constexpr int kMinPngSide = 256;

std::string fileSafe(const std::string& word) {
    std::string out;
    for (const char c : word)
        out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '_';
    return out.substr(0, 40);
}

// Colour-maps one [H, W] map on a shared scale, enlarged by whole pixels so small maps stay
// visible.
void writeMapPng(const std::string& path, const torch::Tensor& map, float hi) {
    const int h = static_cast<int>(map.size(0)), w = static_cast<int>(map.size(1));
    const int sx = std::max(1, kMinPngSide / w);
    const int sy = h == 1 ? std::max(1, kMinPngSide / 8) : std::max(1, kMinPngSide / h);
    const std::vector<std::uint8_t> rgb =
        applyColormap(mapToFloats(map), 0.0f, hi, colormapLut("viridis"));
    std::vector<std::uint8_t> big(static_cast<std::size_t>(w * sx) * h * sy * 3);
    for (int y = 0; y < h * sy; ++y) {
        for (int x = 0; x < w * sx; ++x) {
            const std::size_t src = (static_cast<std::size_t>(y / sy) * w + x / sx) * 3;
            const std::size_t dst = (static_cast<std::size_t>(y) * w * sx + x) * 3;
            std::copy(rgb.begin() + src, rgb.begin() + src + 3, big.begin() + dst);
        }
    }
    writePng(path, w * sx, h * sy, 3, big);
}

// The map colour-mapped on the shared scale and blended over the image by the app's own
// compositor (bilinear map, viridis), enlarged by whole pixels so small images stay legible.
void writeOverlayPng(const std::string& path, const Image& image, const torch::Tensor& map,
                     float hi) {
    const std::vector<std::uint8_t> base = toRgba(image);
    const std::vector<float> values = mapToFloats(map);
    const std::vector<std::uint8_t> lut = lutRgba("viridis");
    OverlayInputs in;
    in.base = base.data();
    in.baseWidth = image.width;
    in.baseHeight = image.height;
    in.map = values.data();
    in.mapWidth = static_cast<int>(map.size(1));
    in.mapHeight = static_cast<int>(map.size(0));
    in.lut = lut.data();
    const int scale = std::max(1, kMinPngSide / std::max(image.width, image.height));
    OverlayParams p;
    p.outWidth = image.width * scale;
    p.outHeight = image.height * scale;
    p.scale = static_cast<float>(scale);
    p.hi = hi;
    p.opacity = 0.65f;
    writePng(path, p.outWidth, p.outHeight, 4, compositeOverlay(in, p));
}

// The plan: every word, or only the requested ones (each must be a word of the prompt).
InfoPlan planOf(const MapsRequest& request, const Tokenization& tokens,
                const TextEncoder& encoder) {
    const WordMode mode = request.placeholder ? WordMode::Placeholder : WordMode::Omit;
    if (request.words.empty())
        return InfoPlan::wordsOf(request.prompt, encoder, mode, request.placeholderText);
    std::vector<Span> units;
    for (const std::string& wanted : request.words) {
        const auto it = std::find_if(tokens.words.begin(), tokens.words.end(), [&](const Word& w) {
            return lowerAscii(w.text) == lowerAscii(wanted);
        });
        if (it == tokens.words.end())
            throw Error("word '" + wanted + "' is not a word of the prompt '" + request.prompt +
                        "'");
        if (std::find(units.begin(), units.end(), it->span) == units.end())
            units.push_back(it->span);
    }
    return InfoPlan::unitsOf(request.prompt, units, mode, request.placeholderText);
}

// Each decomposed word's attention map (in the order of the plan's CMI pairs), normalised to sum 1
// over the latent grid, with its raw mass and the maps' shared maximum (the PNG scale).
struct WordAttention {
    torch::Tensor maps;  // [K, h, w] float32
    std::vector<double> sums;
    float hi = 0.0f;
};

WordAttention wordAttention(Model& model, const torch::Tensor& x, const MapsRequest& request,
                            const Tokenization& tokens, const Snapshot& result) {
    const AttentionMaps all = computeAttentionMaps(*model.denoiser, *model.textEncoder, x,
                                                   request.prompt, request.attentionSettings);
    WordAttention out;
    std::vector<torch::Tensor> maps;
    for (const PairResult& p : result.pairs) {
        if (p.pair.kind != PairKind::Cmi)
            continue;
        const auto it = std::find_if(tokens.words.begin(), tokens.words.end(),
                                     [&](const Word& w) { return w.span == p.pair.span; });
        torch::Tensor map = it == tokens.words.end()
                                ? torch::zeros({all.words.size(1), all.words.size(2)})
                                : all.words[it - tokens.words.begin()].to(torch::kFloat32);
        const double sum = map.sum().item<double>();
        out.sums.push_back(sum);
        maps.push_back(sum > 0.0 ? map / sum : map);
    }
    out.maps =
        maps.empty() ? torch::zeros({0, all.words.size(1), all.words.size(2)}) : torch::stack(maps);
    if (out.maps.numel() > 0)
        out.hi = out.maps.max().item<float>();
    return out;
}

}  // namespace

std::vector<float> mapToFloats(const torch::Tensor& map) {
    const torch::Tensor f = map.to(torch::kCPU, torch::kFloat32).contiguous();
    return {f.data_ptr<float>(), f.data_ptr<float>() + f.numel()};
}

std::string lowerAscii(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

torch::Tensor loadMapsData(Model& model, const std::string& image, const std::string& source,
                           std::uint64_t seed, nlohmann::json& description, Image& baseImage) {
    if (const std::shared_ptr<GaussianDenoiser> gaussian = gaussianDenoiserOf(model)) {
        const GaussianParams& params = gaussian->params();
        std::vector<double> x;
        if (image == "sample") {
            const GaussianSample sample = drawGaussianSample(params, seed);
            x = sample.x;
            gaussian->setObservation(sample.y);
            description = {{"kind", "gaussian-sample"}, {"seed", seed}};
        } else {
            const NpyArray array = readNpyFloat32(image);
            if (static_cast<int>(array.values.size()) != params.dim()) {
                throw Error("'" + image + "' holds " + std::to_string(array.values.size()) +
                            " values but the Gaussian model has dim " +
                            std::to_string(params.dim()));
            }
            x.assign(array.values.begin(), array.values.end());
            gaussian->setObservation(drawGaussianObservation(params, x, seed));
            description = {{"kind", "npy"}, {"path", source}};
        }
        return gaussianDataTensor(x);
    }
    std::string notice;
    const Image img = fitImage(loadImage(image), model.imageWidth, model.imageHeight, &notice);
    if (!notice.empty())
        std::cerr << "note: " << notice << "\n";
    description = {{"kind", "image"}, {"path", source}, {"notice", notice}};
    baseImage = img;
    return model.codec->encode(imageToTensor(img));
}

nlohmann::json computeAndWriteMaps(Model& model, InfoEngine& engine, const MapsRequest& request,
                                   const std::string& outDir) {
    const std::string& prompt = request.prompt;
    const Tokenization tokens = model.textEncoder->tokenize(prompt);
    const std::string problem = promptProblem(prompt, tokens, model.textEncoder->maxTokens());
    if (!problem.empty())
        throw Error(problem);
    const InfoPlan plan = planOf(request, tokens, *model.textEncoder);
    if (request.attention && !model.denoiser->attentionCapture())
        throw Error("the model '" + model.name + "' (" + model.kind +
                    ") has no cross-attention readout, so it has no attention maps; run without "
                    "--attention");
    nlohmann::json source;
    Image baseImage;
    const torch::Tensor x =
        loadMapsData(model, request.image, request.source.empty() ? request.image : request.source,
                     request.settings.seed, source, baseImage);

    const EngineSettings& settings = request.settings;
    const Snapshot result = engine.run(x, plan, settings, [&](const Snapshot& s) {
        if (request.progress)
            std::cerr << "\rdraws " << s.drawsDone << "/" << s.drawsTotal << std::flush;
    });
    if (request.progress)
        std::cerr << "\n";
    const WordAttention attention =
        request.attention ? wordAttention(model, x, request, tokens, result) : WordAttention{};

    fs::create_directories(outDir);
    float hi = 0.0f;
    for (const PairResult& p : result.pairs) {
        if (p.pair.kind == PairKind::Cmi)
            hi = std::max(hi, static_cast<float>(p.ioMap.max().item<double>() / kLn2));
    }
    nlohmann::json words = nlohmann::json::array();
    nlohmann::json mi;
    int index = 0;
    for (const PairResult& p : result.pairs) {
        // nats/bits: the orthogonal form i_o (how far the prompt or word moves the model's
        // prediction; the maps); standard_*: the standard form i_s (how much better the image is
        // explained with it; can be negative). See "forms" below.
        nlohmann::json entry = {{"nats", p.io.value},
                                {"se_nats", p.io.se},
                                {"bits", p.io.value / kLn2},
                                {"se_bits", p.io.se / kLn2},
                                {"standard_nats", p.is.value},
                                {"standard_se_nats", p.is.se},
                                {"standard_bits", p.is.value / kLn2},
                                {"standard_se_bits", p.is.se / kLn2}};
        if (p.pair.kind == PairKind::Mi) {
            mi = entry;
            continue;
        }
        entry["word"] = p.pair.label;
        entry["span"] = {p.pair.span.begin, p.pair.span.end};
        entry["kind"] = p.pair.span.isWord ? "word" : "symbol";
        entry["without"] = result.conditions[p.pair.c2];
        if (request.writeMaps) {
            std::ostringstream stem;
            stem << std::setw(2) << std::setfill('0') << index++ << "_" << fileSafe(p.pair.label);
            const std::string png = (fs::path(outDir) / (stem.str() + ".png")).string();
            if (baseImage.rgb.empty()) {
                writeMapPng(png, p.ioMap / kLn2, hi);
            } else {
                writeOverlayPng(png, baseImage, p.ioMap / kLn2, hi);
            }
            writeNpyFloat32((fs::path(outDir) / (stem.str() + ".npy")).string(),
                            mapToFloats(p.ioMap), {p.ioMap.size(0), p.ioMap.size(1)});
            entry["map_png"] = stem.str() + ".png";
            entry["map_npy"] = stem.str() + ".npy";
            if (request.attention) {
                const torch::Tensor map = attention.maps[static_cast<int64_t>(words.size())];
                const std::string attentionPng = stem.str() + "_attention.png";
                if (baseImage.rgb.empty())
                    writeMapPng((fs::path(outDir) / attentionPng).string(), map, attention.hi);
                else
                    writeOverlayPng((fs::path(outDir) / attentionPng).string(), baseImage, map,
                                    attention.hi);
                entry["attention_png"] = attentionPng;
            }
        }
        if (request.attention)
            entry["attention_sum"] = attention.sums[words.size()];
        words.push_back(entry);
    }
    // Words and symbols the model reads as [UNK] (the word tokenizer lists an unknown symbol as a
    // word of its own, so it has a row above): each one changes every number, so say so.
    nlohmann::json unknown = nlohmann::json::array();
    nlohmann::json notices = nlohmann::json::array();
    for (const Word& w : tokens.words) {
        if (!w.unknown)
            continue;
        unknown.push_back(w.text);
        notices.push_back(std::string(w.span.isWord ? "word" : "symbol") + " '" + w.text +
                          "' is not in the model's vocabulary: it is read as [UNK], which changes "
                          "the other values; its own row gives its CMI");
    }
    for (const std::string& notice : result.notices)
        notices.push_back(notice);
    nlohmann::json attentionJson = nullptr;
    if (request.attention) {
        attentionJson = {
            {"passes", request.attentionSettings.passes},
            {"seed", request.attentionSettings.seed},
            {"shape", attention.maps.sizes().vec()},
            {"units",
             "share of the word's cross-attention per latent cell (each map sums to 1; "
             "attention_sum is the word's raw mass)"},
            {"png_scale", {0.0, attention.hi}}};
        if (request.writeMaps) {
            writeNpyFloat32((fs::path(outDir) / "attention.npy").string(),
                            mapToFloats(attention.maps), attention.maps.sizes().vec());
            attentionJson["npy"] = "attention.npy";
        }
    }
    nlohmann::json values = {
        {"model", {{"name", model.name}, {"kind", model.kind}, {"hash", model.hash}}},
        {"device", deviceName(model.placement.device)},
        {"dtype", dtypeName(model.placement.dtype)},
        {"source", source},
        {"prompt", prompt},
        {"seed", settings.seed},
        {"samples", settings.samples},
        {"sampler", toString(settings.sampler)},
        {"proposal", toString(result.proposal)},
        {"evaluations", result.evaluations},
        {"batch_rows", result.batchRows},
        {"png_scale_bits_per_pixel", {0.0, hi}},
        {"npy_units", "nats per pixel"},
        {"forms",
         {{"bits",
           "i_o, orthogonal form: how far the text moves the model's prediction (>= 0); "
           "the maps are i_o"},
          {"standard_bits",
           "i_s, standard form: log p(image | text) - log p(image | without "
           "it), how much better the text explains the image (can be "
           "negative)"}}},
        {"unknown_words", unknown},
        {"notices", notices},
        {"mi", mi},
        {"words", words}};
    if (request.attention)
        values["attention"] = attentionJson;
    writeFileAtomically((fs::path(outDir) / "values.json").string(), values.dump(2) + "\n");
    return values;
}

void printMapsSummary(const nlohmann::json& values, const std::string& outDir) {
    const nlohmann::json& mi = values["mi"];
    const nlohmann::json& words = values["words"];
    std::cout << std::fixed << std::setprecision(3) << "MI(prompt) = " << mi["bits"].get<double>()
              << " ± " << mi["se_bits"].get<double>() << " bits\n";
    for (const auto& w : words) {
        std::cout << "  " << std::left << std::setw(16) << w["word"].get<std::string>()
                  << std::right << w["bits"].get<double>() << " ± " << w["se_bits"].get<double>()
                  << " bits\n";
    }
    if (!values["unknown_words"].empty())
        std::cout << "not in the model's vocabulary (read as [UNK], each with its own row above): "
                  << values["unknown_words"].dump() << "\n";
    std::cout << "wrote " << words.size() << " maps and values.json to " << outDir << "\n";
}

}  // namespace infolens::cli
