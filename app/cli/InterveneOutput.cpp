#include "InterveneOutput.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "Commands.h"
#include "MapsOutput.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/io/ImageIO.h"
#include "infolens/io/Npy.h"
#include "infolens/model/ImageTensor.h"
#include "infolens/model/Model.h"
#include "infolens/render/Colormap.h"

namespace infolens::cli {

namespace {

namespace fs = std::filesystem;
constexpr int kMinPngSide = 256;

void writeNpy(const fs::path& path, const torch::Tensor& map) {
    writeNpyFloat32(path.string(), mapToFloats(map), {map.size(0), map.size(1)});
}

// Viridis from 0 to the map's own maximum, enlarged by whole pixels so small maps stay visible.
void writeMapPng(const fs::path& path, const torch::Tensor& map) {
    const int h = static_cast<int>(map.size(0)), w = static_cast<int>(map.size(1));
    const int scale = std::max(1, kMinPngSide / std::max(h, w));
    const float hi = std::max(1e-20f, map.max().item<float>());
    const std::vector<std::uint8_t> rgb =
        applyColormap(mapToFloats(map), 0.0f, hi, colormapLut("viridis"));
    std::vector<std::uint8_t> big(static_cast<std::size_t>(w * scale) * h * scale * 3);
    for (int y = 0; y < h * scale; ++y) {
        for (int x = 0; x < w * scale; ++x) {
            const std::size_t src = (static_cast<std::size_t>(y / scale) * w + x / scale) * 3;
            const std::size_t dst = (static_cast<std::size_t>(y) * w * scale + x) * 3;
            std::copy(rgb.begin() + src, rgb.begin() + src + 3, big.begin() + dst);
        }
    }
    writePng(path.string(), w * scale, h * scale, 3, big);
}

void writeImage(const fs::path& path, const torch::Tensor& pixels) {
    const Image image = tensorToImage(pixels);
    writePng(path.string(), image.width, image.height, 3, image.rgb);
}

nlohmann::json number(double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

}  // namespace

// A 0-based index or the word's text (case-insensitive); both must name one word.
int resolveWord(const std::string& value, const Tokenization& tokens) {
    const int words = static_cast<int>(tokens.words.size());
    std::vector<int> byText;
    for (int w = 0; w < words; ++w) {
        if (lowerAscii(tokens.words[static_cast<std::size_t>(w)].text) == lowerAscii(value))
            byText.push_back(w);
    }
    const bool digits = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
    });
    if (digits && byText.empty()) {
        const long index = std::stol(value);
        if (index >= words) {
            throw UsageError("--word " + value + ": the prompt has " + std::to_string(words) +
                             " words (indices 0 to " + std::to_string(words - 1) + ")");
        }
        return static_cast<int>(index);
    }
    if (digits) {
        throw UsageError("--word " + value +
                         " is ambiguous: it is a word of the prompt and an index; give the index "
                         "of the one you mean");
    }
    if (byText.empty())
        throw UsageError("--word '" + value + "' is not a word of the prompt");
    if (byText.size() > 1) {
        throw UsageError("--word '" + value + "' appears " + std::to_string(byText.size()) +
                         " times in the prompt; give the index of the one you mean");
    }
    return byText.front();
}

nlohmann::json writeInterventionOutputs(const std::string& outDir, const Model& model,
                                        const InterventionResult& r, const InterventionEdit& edit,
                                        const InterventionSettings& settings,
                                        std::optional<double> seconds) {
    const fs::path out(outDir);
    fs::create_directories(out);
    const int64_t H = model.imageHeight, W = model.imageWidth;
    writeImage(out / "edited.png", r.editedImage);
    writeImage(out / "original-regenerated.png", r.inversion->regeneratedImage);
    writeNpy(out / "change.npy", r.change.upsampled);
    writeMapPng(out / "change.png", r.change.upsampled);
    writeNpy(out / "change-latent.npy", r.change.latent);
    writeNpy(out / "change-pixels.npy", r.change.pixels);
    const torch::Tensor predicted = upsampleMap(r.predicted, H, W);
    writeNpy(out / "predicted.npy", predicted);
    writeMapPng(out / "predicted.png", predicted);
    writeNpy(out / "predicted-latent.npy", r.predicted);
    if (r.attention.defined()) {
        writeNpy(out / "attention.npy", upsampleMap(r.attention, H, W));
        writeNpy(out / "attention-latent.npy", r.attention);
    } else {
        std::cerr << "note: the model has no attention readout; attention.npy is not written\n";
    }
    constexpr double kLn2 = 0.69314718055994530942;
    nlohmann::json json = {
        {"cmi", r.cmi.value},
        {"se", r.cmi.se},
        {"cmi_form", "orthogonal (i_o, what predicted.npy sums to), nats"},
        {"cmi_bits", r.cmi.value / kLn2},
        {"cmi_standard", {{"value", r.cmiStandard.value}, {"se", r.cmiStandard.se}}},
        {"total_change", r.change.total},
        {"total_change_pixels", r.change.pixels.sum().item<double>()},
        {"pixel_r_information", number(r.pixelRInformation)},
        {"pixel_r_attention", number(r.pixelRAttention)},
        {"word", r.word},
        {"word_index", edit.word},
        {"edit", toString(edit.kind)},
        {"mode", edit.mode == WordMode::Omit ? "omit" : "placeholder"},
        {"replacement", edit.replacement},
        {"prompt", r.prompt},
        {"edited_prompt", r.edited},
        {"steps", settings.steps},
        {"guidance", settings.guidance},
        {"inversion_psnr_db", r.inversion->psnrDb},
        {"inversion_psnr_vs_decoded_db", r.inversion->psnrDecodedDb},
        {"inversion_latent_rmse", r.inversion->latentRmse},
        {"model", {{"name", model.name}, {"hash", model.hash}}},
        {"model_hash", model.hash},
        {"device", deviceName(model.placement.device)},
        {"dtype", dtypeName(model.placement.dtype)},
        {"seed", settings.engine.seed},
        {"samples", settings.engine.samples},
        {"attention_passes", settings.attention.passes},
        {"evaluations", r.evaluations}};
    if (seconds)
        json["seconds"] = *seconds;
    writeFileAtomically((out / "intervention.json").string(), json.dump(2) + "\n");
    return json;
}

}  // namespace infolens::cli
