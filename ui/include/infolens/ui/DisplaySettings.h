#pragma once

#include <QString>

namespace infolens::ui {

// Which map of a word is drawn: its information (i_o per pixel), its attention (DAAM-style
// cross-attention on the noised real image) or their combination; MapSourceSelect.h turns a
// word's result into the map to draw and says the units.
enum class MapSource { Information, Attention, Combined };

// How maps are drawn over the image; shared by the view, the thumbnails and exports.
struct DisplaySettings {
    QString colormap = "viridis";
    double opacity = 0.6;
    bool sharedScale = true;  // one scale for all words (bits per pixel); else each map's own max
    bool maskBelowThreshold = false;
    bool contour = false;
    bool fadeLowValues = true;  // overlay opacity grows with the value, so the image shows through
    double thresholdFraction = 0.5;  // of the scale's maximum
    bool grid = false;               // all words as small multiples
    MapSource mapSource = MapSource::Information;
};

}  // namespace infolens::ui
