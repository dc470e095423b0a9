#include "infolens/models/sd/SdSettings.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "infolens/Error.h"
#include "infolens/io/JsonNumbers.h"

namespace infolens {

void SdSettings::fillFrom(const SdSettings& lower) {
    if (!unetHeads)
        unetHeads = lower.unetHeads;
    if (!textHeads)
        textHeads = lower.textHeads;
    if (!imageSize)
        imageSize = lower.imageSize;
    if (!prediction)
        prediction = lower.prediction;
}

SdSettings readSdSettingsFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ModelError("model settings file '" + path + "' cannot be read");
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::exception& e) {
        throw ModelError("model settings file '" + path + "' is not valid JSON: " + e.what());
    }
    if (!j.is_object())
        throw ModelError("model settings file '" + path + "' must hold a JSON object");
    auto integer = [&](const std::string& key, int lo, int hi) {
        const std::optional<std::int64_t> x = jsonIntegerIn(j.at(key), lo, hi);
        if (!x)
            throw ModelError("model settings file '" + path + "': " + key + " must be an integer " +
                             std::to_string(lo) + ".." + std::to_string(hi));
        return static_cast<int>(*x);
    };
    SdSettings s;
    for (const auto& item : j.items()) {
        const std::string& key = item.key();
        if (key == "heads") {
            s.unetHeads = SdHeads{integer(key, 1, 256), -1};
        } else if (key == "head_channels") {
            s.unetHeads = SdHeads{-1, integer(key, 1, 4096)};
        } else if (key == "text_heads") {
            s.textHeads = integer(key, 1, 256);
        } else if (key == "image_size") {
            s.imageSize = integer(key, 8, 4096);
        } else if (key == "prediction") {
            const nlohmann::json& v = item.value();
            if (!v.is_string() || (v.get<std::string>() != "eps" && v.get<std::string>() != "v"))
                throw ModelError("model settings file '" + path +
                                 "': prediction must be \"eps\" or \"v\"");
            s.prediction = v.get<std::string>() == "v" ? PredictionType::V : PredictionType::Eps;
        } else {
            throw ModelError("model settings file '" + path + "': unknown key '" + key +
                             "' (known: heads, head_channels, text_heads, image_size, prediction)");
        }
    }
    if (j.contains("heads") && j.contains("head_channels"))
        throw ModelError("model settings file '" + path +
                         "': give heads or head_channels, not both");
    return s;
}

}  // namespace infolens
