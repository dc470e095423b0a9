#pragma once

#include <QString>

#include "infolens/live/LiveResult.h"

// The two forms of the pointwise information (docs/METHOD.md section 2 and 9), named by what they
// mean wherever the app shows them, and the rule that warns when a prompt does not fit its image.
namespace infolens::ui {

// Column titles and labels: "Moves the model (i_o)" and "Explains the image (i_s)".
QString orthogonalFormName();
QString standardFormName();
// A paragraph each, for tooltips.
QString orthogonalFormExplanation();
QString standardFormExplanation();

// The prompt does not fit the image (for this model) when its standard form i_s is far below its
// orthogonal form i_o: i_s < kFitShare · i_o with the gap larger than kFitSigmas standard errors
// (sqrt(se_s² + (kFitShare · se_o)²), the two estimates' errors taken as independent), or i_s is
// negative by more than kFitSigmas of its own SE. For a prompt that describes its image the two
// standard form is at least of the same size (sample 0002 with its caption: i_o 48 ± 1,
// i_s 82 ± 2 bits); a prompt the model reacts to but that does not describe the image moves the
// prediction a lot while making the image less likely ("a red circle" on the same image: i_o
// 185 ± 3, i_s −135 ± 8 bits).
//
// No rule here says whether the image itself is outside what the model knows: that needs the
// image's likelihood under the model (the null prompt's denoising error against the noise level's
// minimum, METHOD.md section 2) compared with the model's own training images, which a LiveResult
// does not hold.
inline constexpr double kFitShare = 0.5;
inline constexpr double kFitSigmas = 2.0;

struct PromptFit {
    bool poor = false;
    QString message;  // for the notice bar; empty when the prompt fits
};

// `mi` is LiveResult::mi (the whole prompt against the empty prompt), values in bits.
PromptFit assessPromptFit(const WordResult& mi);

}  // namespace infolens::ui
