#include "infolens/ui/PromptFit.h"

#include <QObject>
#include <cmath>

namespace infolens::ui {

QString orthogonalFormName() {
    return QObject::tr("Moves the model (i_o)");
}

QString standardFormName() {
    return QObject::tr("Explains the image (i_s)");
}

QString orthogonalFormExplanation() {
    return QObject::tr(
        "Moves the model (i_o, the orthogonal form), in bits ± standard error.\n"
        "How far the text shifts the model's prediction of the noise in this image, summed over "
        "noise levels. Never negative, and large for any text the model reacts to, whether or "
        "not it describes the image. The maps show this quantity.");
}

QString standardFormExplanation() {
    return QObject::tr(
        "Explains the image (i_s, the standard form), in bits ± standard error.\n"
        "log p(image | with the text) − log p(image | without it): how much more likely the "
        "model finds this image with the text. Negative when the text makes the image less "
        "likely, i.e. it does not describe it (for this model).\n"
        "Averaged over many images both forms give the mutual information; for one image, i_s "
        "says whether the text fits.");
}

PromptFit assessPromptFit(const WordResult& mi) {
    PromptFit fit;
    const double io = mi.bits, is = mi.standardBits;
    const double gap = kFitShare * io - is;
    const double gapSe = std::sqrt(mi.standardSeBits * mi.standardSeBits +
                                   kFitShare * kFitShare * mi.seBits * mi.seBits);
    const bool negative = is < -kFitSigmas * mi.standardSeBits;
    const bool farBelow = gap > kFitSigmas * gapSe;
    if (!std::isfinite(io) || !std::isfinite(is) || !(negative || farBelow))
        return fit;
    fit.poor = true;
    fit.message =
        QObject::tr(
            "This prompt does not fit the image for this model: it moves the model's prediction "
            "by %1 ± %2 bits (i_o) but explains the image by only %3 ± %4 bits (i_s%5). A large "
            "i_o here means the model reacts to the words, not that they describe the image; "
            "read the i_s column.")
            .arg(io, 0, 'f', 1)
            .arg(mi.seBits, 0, 'f', 1)
            .arg(is, 0, 'f', 1)
            .arg(mi.standardSeBits, 0, 'f', 1)
            .arg(negative ? QObject::tr(", below zero: the image is less likely with the prompt "
                                        "than without it")
                          : QObject::tr(", less than half of i_o beyond two standard errors"));
    return fit;
}

}  // namespace infolens::ui
