#pragma once

#include <QString>

// The one way a value with its standard error is written, in the words panel, the grid, the
// status bar, the noise chart and figures: the SE to two significant digits and the value to the
// same decimal place ("48.3 ± 1.0", "0.85 ± 0.21", "164 ± 12"), a typographic minus and no "−0".
// Part of infolens_figure (Qt Core only), so figures and widgets share it.
namespace infolens::ui {

// Decimals that give `se` two significant digits (0 for se >= 10; 2 when se is 0 or not finite;
// at most 6).
int decimalsForSe(double se);
// `value` with `decimals` decimals, a typographic minus (U+2212) and no negative zero.
QString numberText(double value, int decimals);
// "value ± se" as described above, without units; "value ± ?" when se is not finite (a single
// draw has no standard error yet).
QString valueWithSe(double value, double se);
// The same followed by " bits".
QString bitsWithSe(double bits, double se);

}  // namespace infolens::ui
