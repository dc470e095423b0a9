#include "infolens/ui/MapScale.h"

#include <algorithm>

#include "infolens/ui/DisplaySettings.h"
#include "infolens/ui/MapSourceSelect.h"

namespace infolens::ui {

float mapMax(const std::vector<float>& map) {
    float hi = 0.0f;
    for (const float v : map)
        hi = std::max(hi, v);
    return hi;
}

MapScale scaleFor(const LiveResult& result, int word, const DisplaySettings& display) {
    float hi = 0.0f;
    // The map the view draws (information, attention or combined), so the scale fits it.
    if (display.sharedScale || word < 0 || word >= static_cast<int>(result.words.size())) {
        for (int i = 0; i < static_cast<int>(result.words.size()); ++i)
            hi = std::max(hi, mapMax(sourceMap(result, i, display.mapSource)));
    } else {
        hi = mapMax(sourceMap(result, word, display.mapSource));
    }
    if (!(hi > 0.0f))
        hi = 1e-6f;
    MapScale s;
    s.hi = hi;
    s.threshold = static_cast<float>(display.thresholdFraction) * hi;
    return s;
}

}  // namespace infolens::ui
