#include "infolens/models/gaussian/GaussianModel.h"

#include <torch/torch.h>

#include "infolens/Error.h"

namespace infolens {

GaussianDenoiser::GaussianDenoiser(GaussianParams params) : m_params(std::move(params)) {
    const int64_t dim = m_params.dim();
    const auto words = static_cast<int64_t>(m_params.words.size());
    m_priorPrecision = torch::empty({dim}, torch::kFloat64);
    for (int64_t i = 0; i < dim; ++i)
        m_priorPrecision[i] = 1.0 / m_params.priorVar[i];
    m_regionPrecision = torch::zeros({words, dim}, torch::kFloat64);
    for (int64_t k = 0; k < words; ++k) {
        for (const int i : m_params.words[k].region) {
            m_regionPrecision[k][i] = 1.0 / m_params.words[k].noiseVar;
        }
    }
    m_weightedY = torch::zeros({words, dim}, torch::kFloat64);
}

void GaussianDenoiser::setObservation(const std::vector<std::vector<double>>& y) {
    const int64_t dim = m_params.dim();
    if (y.size() != m_params.words.size())
        throw Error("observation has the wrong number of words");
    std::vector<double> flat;
    flat.reserve(y.size() * dim);
    for (const auto& row : y) {
        if (static_cast<int64_t>(row.size()) != dim)
            throw Error("observation has the wrong size");
        flat.insert(flat.end(), row.begin(), row.end());
    }
    const torch::Tensor values =
        torch::from_blob(flat.data(), {static_cast<int64_t>(y.size()), dim}, torch::kFloat64)
            .clone();
    m_weightedY = values.to(m_device) * m_regionPrecision;
}

void GaussianDenoiser::setDevice(const torch::Device& device) {
    m_device = device;
    m_priorPrecision = m_priorPrecision.to(device);
    m_regionPrecision = m_regionPrecision.to(device);
    m_weightedY = m_weightedY.to(device);
}

torch::Tensor GaussianDenoiser::predict(const torch::Tensor& z, const torch::Tensor& logSnr,
                                        const torch::Tensor& cond, const torch::Tensor& condMask) {
    const int64_t batch = z.size(0);
    // Presence of word k in each row: [B, K].
    const torch::Tensor present = (cond.select(2, 0) * condMask).to(m_device, torch::kFloat64);
    const torch::Tensor precision =
        m_priorPrecision.unsqueeze(0) + present.matmul(m_regionPrecision);
    const torch::Tensor variance = 1.0 / precision;
    const torch::Tensor mean = variance * present.matmul(m_weightedY);
    const torch::Tensor a2 = torch::sigmoid(logSnr.to(m_device, torch::kFloat64)).unsqueeze(1);
    const torch::Tensor s2 = torch::sigmoid(-logSnr.to(m_device, torch::kFloat64)).unsqueeze(1);
    const torch::Tensor zz = z.reshape({batch, -1}).to(m_device, torch::kFloat64);
    const torch::Tensor eps = s2.sqrt() * (zz - a2.sqrt() * mean) / (a2 * variance + s2);
    return eps.to(z.dtype()).view(z.sizes());  // the engine works in dtype() = float64 here
}

LogSnrRange GaussianDenoiser::trainedLogSnrRange() const {
    return {m_params.logSnrLo, m_params.logSnrHi};
}

std::vector<int64_t> GaussianDenoiser::dataShape() const {
    return {1, 1, m_params.dim()};
}

Tokenization GaussianTextEncoder::tokenize(const std::string& prompt) const {
    Tokenization result;
    for (const Span& span : segmentPrompt(prompt)) {
        const std::string text = prompt.substr(span.begin, span.end - span.begin);
        if (!span.isWord) {
            result.punctuation.push_back(span);
            continue;
        }
        Token token;
        token.text = text;
        token.begin = span.begin;
        token.end = span.end;
        token.word = static_cast<int>(result.words.size());
        for (int k = 0; k < m_words; ++k) {
            if (text == wordName(k))
                token.id = k;
        }
        token.unknown = token.id < 0;
        Word word;
        word.text = text;
        word.span = span;
        word.tokens = {static_cast<int>(result.tokens.size())};
        word.unknown = token.unknown;
        result.tokens.push_back(token);
        result.words.push_back(word);
    }
    return result;
}

WordSet GaussianTextEncoder::wordSet(const std::string& prompt) const {
    WordSet set(static_cast<std::size_t>(m_words), false);
    for (const Token& token : tokenize(prompt).tokens) {
        if (token.id >= 0)
            set[static_cast<std::size_t>(token.id)] = true;
    }
    return set;
}

TextEncoding GaussianTextEncoder::encode(const std::string& prompt) {
    const WordSet set = wordSet(prompt);
    TextEncoding encoding;
    encoding.cond = torch::zeros({m_words, 1}, torch::kFloat32);
    for (int k = 0; k < m_words; ++k) {
        if (set[static_cast<std::size_t>(k)])
            encoding.cond[k][0] = 1.0f;
    }
    encoding.mask = torch::ones({m_words}, torch::kFloat32);
    return encoding;
}

torch::Tensor gaussianDataTensor(const std::vector<double>& x) {
    return torch::tensor(x, torch::kFloat64)
        .to(torch::kFloat32)
        .view({1, 1, static_cast<int64_t>(x.size())});
}

}  // namespace infolens
