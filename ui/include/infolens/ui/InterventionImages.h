#pragma once

#include <QImage>
#include <QString>
#include <cstddef>
#include <vector>

#include "infolens/io/ImageIO.h"
#include "infolens/live/LiveIntervention.h"

// The pictures and numbers an intervention is shown with, shared by the intervention view, the
// table, exports and figures (so they all show the same thing).
namespace infolens::ui {

QImage toQImage(const Image& image);
// A row-major map through `colormap`, scaled to its own [0, max] (a change map and a predicted map
// have different units), enlarged to `size` with bilinear filtering; a null image when empty.
QImage mapImage(const std::vector<float>& map, int width, int height, const QString& colormap,
                QSize size);

enum class ChangeSource { Latent, Pixels };
// The actual change: the latent grid's (upsampled) or the pixels' own.
QImage changeImage(const InterventionOutcome& o, ChangeSource source, const QString& colormap);
QImage predictedImage(const InterventionOutcome& o, const QString& colormap);

// Pearson correlation; NaN with fewer than two pairs or without variance.
double pearsonR(const std::vector<double>& x, const std::vector<double>& y);
// The image-level r of a set of interventions: CMI (i_o, bits) against total change; NaN (shown
// "n/a") with fewer than kMinPointsForImageR interventions.
inline constexpr std::size_t kMinPointsForImageR = 3;
double imageLevelR(const std::vector<const InterventionOutcome*>& outcomes);

// "Remove “purple”" / "Swap “purple” → “red”".
QString editText(const InterventionRequest& request, const std::string& word);
// r as text ("0.42"; "n/a" for NaN).
QString rText(double r);

}  // namespace infolens::ui
