#pragma once

#include <QString>

namespace infolens::ui {

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
};

}  // namespace infolens::ui
