#include "infolens/ui/MapScale.h"

#include <algorithm>

#include "infolens/ui/DisplaySettings.h"

namespace infolens::ui {

float mapMax(const std::vector<float>& map) {
    float hi = 0.0f;
    for (const float v : map)
        hi = std::max(hi, v);
    return hi;
}

MapScale scaleFor(const LiveResult& result, int word, const DisplaySettings& display) {
    float hi = 0.0f;
    if (display.sharedScale || word < 0 || word >= static_cast<int>(result.words.size())) {
        for (const WordResult& w : result.words)
            hi = std::max(hi, mapMax(w.map));
    } else {
        hi = mapMax(result.words[word].map);
    }
    if (!(hi > 0.0f))
        hi = 1e-6f;
    MapScale s;
    s.hi = hi;
    s.threshold = static_cast<float>(display.thresholdFraction) * hi;
    return s;
}

}  // namespace infolens::ui
