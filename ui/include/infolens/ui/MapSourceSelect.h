#pragma once

#include <QString>
#include <optional>
#include <vector>

#include "infolens/live/LiveResult.h"
#include "infolens/ui/DisplaySettings.h"

// The one place that turns a word's result into the map drawn for a MapSource, used by the view,
// the grid, the word thumbnails, the hover readout and figures, with the units each one shows:
// - Information: the word's i_o map, bits per image pixel.
// - Attention: the word's attention map (sums to 1 over the map's cells) as the share of the
//   word's attention falling on one image pixel, in parts per million (ppm): a value v per cell
//   is shown as v / imagePixelsPerCell · 10⁶, so a map spread evenly over a 512² image reads 3.8.
// - Combined: the geometric mean of the two maps, each first divided by its own maximum
//   (negative information clamped to 0): sqrt(info/max(info) · attention/max(attention)), unitless
//   0..1. High only where both the information and the attention are high.
namespace infolens::ui {

// The map of `word` to draw, mapWidth x mapHeight in the source's display units; empty when the
// source has nothing for this word (out of range, no attention readout, not computed yet).
std::vector<float> sourceMap(const LiveResult& result, int word, MapSource source);

// Why `source` cannot be drawn for this result, for the view and tooltips: "" when it can;
// "attention not computed yet" before the maps arrive; a sentence when the model has none.
QString sourceUnavailableReason(const LiveResult& result, MapSource source);
// The toolbar's tooltip for a disabled Attention / Combined choice.
QString noAttentionReadoutText();

QString sourceName(MapSource source);         // "information (i_o)", "attention", "combined"
QString sourceUnits(MapSource source);        // short, for colorbars and hover: "i_o bits/px", ...
QString sourceMaxUnits(MapSource source);     // after a panel's maximum: "bits/px", ...
QString sourceDescription(MapSource source);  // one sentence for figure legends

// The names sessions and settings store ("information", "attention", "combined").
QString mapSourceKey(MapSource source);
std::optional<MapSource> mapSourceFromKey(const QString& key);

}  // namespace infolens::ui
