#include "infolens/engine/AttentionMaps.h"

#include <torch/torch.h>

#include <algorithm>

#include "infolens/Error.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/engine/LogSnrProposal.h"
#include "infolens/engine/LogSnrSampler.h"
#include "infolens/model/Denoiser.h"
#include "infolens/model/TextEncoder.h"

namespace infolens {

namespace {

// Streams of their own, so attention draws never coincide with the engine's information draws.
constexpr std::uint64_t kAttentionLogSnrStream = 0x6174746e6c736e72ULL;
constexpr std::uint64_t kAttentionNoiseStream = 0x6174746e6e6f6973ULL;

torch::Tensor resize(const torch::Tensor& maps, int64_t height, int64_t width) {
    if (maps.size(-2) == height && maps.size(-1) == width)
        return maps;
    return torch::upsample_bilinear2d(maps, {height, width}, false);
}

}  // namespace

torch::Tensor averageAttentionLayers(const std::vector<torch::Tensor>& layers, int64_t height,
                                     int64_t width) {
    if (layers.empty())
        throw Error("no cross-attention was recorded (is capture on, and did predict() run?)");
    torch::Tensor total;
    for (const torch::Tensor& layer : layers) {
        const torch::Tensor up = resize(layer.to(torch::kCPU, torch::kFloat32), height, width);
        total = total.defined() ? total + up : up;
    }
    return total / static_cast<double>(layers.size());
}

AttentionMaps computeAttentionMaps(Denoiser& denoiser, TextEncoder& encoder, const torch::Tensor& x,
                                   const std::string& prompt, const AttentionSettings& settings,
                                   int imageHeight, int imageWidth, const CancelToken* cancel) {
    AttentionCapture* capture = denoiser.attentionCapture();
    if (!capture)
        throw Error("this model has no cross-attention readout, so there are no attention maps");
    if (settings.passes < 1)
        throw Error("attention maps need at least one denoiser pass");
    const std::vector<int64_t> shape = denoiser.dataShape();
    if (x.sizes() != torch::IntArrayRef(shape)) {
        throw Error("the image data has shape " + c10::str(x.sizes()) + " but the model expects " +
                    c10::str(torch::IntArrayRef(shape)));
    }
    torch::InferenceMode guard;
    const int64_t height = shape[1], width = shape[2];
    const int64_t elements = shape[0] * height * width;
    const torch::Device device = denoiser.device();
    const TextEncoding encoding = encoder.encode(prompt);
    const torch::Tensor clean = x.to(device, torch::kFloat32);

    const LogSnrRange range = denoiser.trainedLogSnrRange();
    const LogSnrProposal proposal = LogSnrProposal::fitToRange(range.lo, range.hi, settings.clip);
    const LogSnrSampler sampler(SamplerKind::Stratified,
                                mixSeed(settings.seed, kAttentionLogSnrStream), 1);
    AttentionMaps out;
    const int rows = std::max(1, denoiser.preferredBatchRows());
    torch::Tensor sum;
    capture->setCaptureAttention(true);
    try {
        for (int first = 0; first < settings.passes; first += rows) {
            if (cancel && cancel->cancelled())
                throw Cancelled("attention maps cancelled");
            const int n = std::min(rows, settings.passes - first);
            std::vector<double> logSnr(static_cast<std::size_t>(n));
            std::vector<double> noise(static_cast<std::size_t>(n * elements));
            for (int i = 0; i < n; ++i) {
                logSnr[i] = proposal.logSnrFromUnit(sampler.unit(first + i));
                out.logSnrs.push_back(logSnr[i]);
                fillStandardNormals(mixSeed(settings.seed ^ kAttentionNoiseStream,
                                            static_cast<std::uint64_t>(first + i)),
                                    noise.data() + static_cast<std::size_t>(i) * elements,
                                    elements);
            }
            const torch::Tensor a =
                torch::from_blob(logSnr.data(), {n}, torch::kFloat64).to(device, torch::kFloat32);
            std::vector<int64_t> batchShape = {n};
            batchShape.insert(batchShape.end(), shape.begin(), shape.end());
            const torch::Tensor eps = torch::from_blob(noise.data(), batchShape, torch::kFloat64)
                                          .to(device, torch::kFloat32);
            const torch::Tensor z = torch::sigmoid(a).sqrt().view({-1, 1, 1, 1}) * clean +
                                    torch::sigmoid(-a).sqrt().view({-1, 1, 1, 1}) * eps;
            denoiser.predict(z, a, encoding.cond.unsqueeze(0).expand({n, -1, -1}),
                             encoding.mask.unsqueeze(0).expand({n, -1}));
            const torch::Tensor maps =
                averageAttentionLayers(capture->takeCapturedAttention(), height, width).sum(0);
            sum = sum.defined() ? sum + maps : maps;
        }
    } catch (...) {
        capture->setCaptureAttention(false);
        throw;
    }
    capture->setCaptureAttention(false);
    out.tokens = sum / static_cast<double>(settings.passes);

    const Tokenization tokens = encoder.tokenize(prompt);
    out.firstToken = encoder.inputIds(prompt).firstToken;
    const int64_t positions = out.tokens.size(0);
    out.words = torch::zeros({static_cast<int64_t>(tokens.words.size()), height, width});
    for (std::size_t w = 0; w < tokens.words.size(); ++w) {
        for (const int t : tokens.words[w].tokens) {
            const int64_t position = out.firstToken + t;
            if (position < positions)  // a prompt cut at the context length loses its tail
                out.words[static_cast<int64_t>(w)] += out.tokens[position];
        }
    }
    if (imageHeight > 0 && imageWidth > 0 && out.words.size(0) > 0) {
        out.wordsImage = resize(out.words.unsqueeze(0), imageHeight, imageWidth)[0];
    } else if (imageHeight > 0 && imageWidth > 0) {
        out.wordsImage = torch::zeros({0, imageHeight, imageWidth});
    }
    return out;
}

}  // namespace infolens
