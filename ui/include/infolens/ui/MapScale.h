#pragma once

#include <memory>

#include "infolens/live/LiveWorker.h"

namespace infolens::ui {

struct DisplaySettings;

// The value range a map is drawn with: a shared scale uses the largest value of every word's
// map, so colours compare across words; per-map normalisation uses the map's own maximum. The
// maps are those of display.mapSource (MapSourceSelect.h), in its units.
struct MapScale {
    float lo = 0.0f;
    float hi = 1.0f;
    float threshold = 0.5f;
};

MapScale scaleFor(const LiveResult& result, int word, const DisplaySettings& display);
float mapMax(const std::vector<float>& map);

}  // namespace infolens::ui
