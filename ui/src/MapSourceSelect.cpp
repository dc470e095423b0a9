#include "infolens/ui/MapSourceSelect.h"

#include <QObject>
#include <algorithm>
#include <cmath>

namespace infolens::ui {

namespace {

constexpr double kPartsPerMillion = 1e6;

float positiveMax(const std::vector<float>& map) {
    float hi = 0.0f;
    for (const float v : map)
        hi = std::max(hi, v);
    return hi;
}

bool anyAttention(const LiveResult& result) {
    return std::any_of(result.words.begin(), result.words.end(),
                       [](const WordResult& w) { return !w.attention.empty(); });
}

}  // namespace

std::vector<float> sourceMap(const LiveResult& result, int word, MapSource source) {
    if (word < 0 || word >= static_cast<int>(result.words.size()))
        return {};
    const WordResult& w = result.words[word];
    if (source == MapSource::Information)
        return w.map;
    if (!result.attentionAvailable || w.attention.empty())
        return {};
    if (source == MapSource::Attention) {
        // A share of the word's attention per image pixel, in ppm: readable numbers whatever the
        // map's resolution, and the same units on every model.
        const double perPixel = kPartsPerMillion / std::max(1e-12, result.imagePixelsPerCell);
        std::vector<float> shown(w.attention.size());
        for (std::size_t i = 0; i < shown.size(); ++i)
            shown[i] = static_cast<float>(w.attention[i] * perPixel);
        return shown;
    }
    // Combined: geometric mean of the two maps, each normalised to its own maximum. Both must
    // be high for the product to be high; neither map's units survive, so it reads 0..1.
    if (w.map.size() != w.attention.size())
        return {};
    const float infoMax = positiveMax(w.map), attentionMax = positiveMax(w.attention);
    std::vector<float> combined(w.map.size(), 0.0f);
    if (!(infoMax > 0.0f) || !(attentionMax > 0.0f))
        return combined;
    for (std::size_t i = 0; i < combined.size(); ++i) {
        const float info = std::max(0.0f, w.map[i]) / infoMax;
        const float attention = std::max(0.0f, w.attention[i]) / attentionMax;
        combined[i] = std::sqrt(info * attention);
    }
    return combined;
}

QString noAttentionReadoutText() {
    return QObject::tr(
        "This model has no attention readout (no cross-attention layers to read), so only "
        "information maps exist.");
}

QString sourceUnavailableReason(const LiveResult& result, MapSource source) {
    if (source == MapSource::Information)
        return {};
    if (!result.attentionAvailable)
        return QObject::tr("no attention readout in this model");
    if (!anyAttention(result))
        return QObject::tr("attention not computed yet");
    return {};
}

QString sourceName(MapSource source) {
    switch (source) {
        case MapSource::Attention:
            return QObject::tr("attention");
        case MapSource::Combined:
            return QObject::tr("combined");
        case MapSource::Information:
            break;
    }
    return QObject::tr("information (i_o)");
}

QString sourceUnits(MapSource source) {
    switch (source) {
        case MapSource::Attention:
            return QObject::tr("attention ppm/px");
        case MapSource::Combined:
            return QObject::tr("combined, 0\u20131");
        case MapSource::Information:
            break;
    }
    return QObject::tr("i_o bits/px");
}

QString sourceMaxUnits(MapSource source) {
    switch (source) {
        case MapSource::Attention:
            return QObject::tr("attention ppm/px");
        case MapSource::Combined:
            return QObject::tr("(combined)");
        case MapSource::Information:
            break;
    }
    return QObject::tr("bits/px");
}

QString sourceDescription(MapSource source) {
    switch (source) {
        case MapSource::Attention:
            return QObject::tr(
                "The maps show attention: the word\u2019s cross-attention (DAAM-style, averaged "
                "over layers, heads and the estimator\u2019s noise levels on this image), in "
                "parts per million of the word\u2019s attention per pixel.");
        case MapSource::Combined:
            return QObject::tr(
                "The maps show information and attention combined: the geometric mean of the "
                "word\u2019s i_o map and its attention map, each divided by its own maximum "
                "(0\u20131, no units).");
        case MapSource::Information:
            break;
    }
    return QObject::tr("The maps show information: i_o per pixel, in bits.");
}

QString mapSourceKey(MapSource source) {
    switch (source) {
        case MapSource::Attention:
            return "attention";
        case MapSource::Combined:
            return "combined";
        case MapSource::Information:
            break;
    }
    return "information";
}

std::optional<MapSource> mapSourceFromKey(const QString& key) {
    for (const MapSource s : {MapSource::Information, MapSource::Attention, MapSource::Combined}) {
        if (key == mapSourceKey(s))
            return s;
    }
    return std::nullopt;
}

}  // namespace infolens::ui
