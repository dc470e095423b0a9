#include "infolens/ui/ValueText.h"

#include <algorithm>
#include <cmath>

namespace infolens::ui {

namespace {
constexpr int kSignificant = 2;
constexpr int kMaxDecimals = 6;
constexpr int kDefaultDecimals = 2;
}  // namespace

int decimalsForSe(double se) {
    se = std::abs(se);
    if (!(se > 0.0) || !std::isfinite(se))
        return kDefaultDecimals;
    // Rounding may carry into the next digit (0.0996 -> 0.10): decide on the rounded SE.
    int decimals = kSignificant - 1 - static_cast<int>(std::floor(std::log10(se)));
    decimals = std::clamp(decimals, 0, kMaxDecimals);
    const double rounded = std::round(se * std::pow(10.0, decimals)) / std::pow(10.0, decimals);
    const int again = kSignificant - 1 - static_cast<int>(std::floor(std::log10(rounded)));
    return std::clamp(std::min(decimals, again), 0, kMaxDecimals);
}

QString numberText(double value, int decimals) {
    QString text = QString::number(value, 'f', decimals);
    if (text.startsWith('-')) {
        const bool zero =
            std::all_of(text.begin() + 1, text.end(), [](QChar c) { return c == '0' || c == '.'; });
        text = zero ? text.mid(1) : QChar(0x2212) + text.mid(1);
    }
    return text;
}

QString valueWithSe(double value, double se) {
    // One draw has no spread yet: "± inf" or "± nan" would read as a number.
    if (!std::isfinite(se))
        return numberText(value, decimalsForSe(se)) + QString::fromUtf8(" \u00b1 ?");
    const int decimals = decimalsForSe(se);
    return numberText(value, decimals) + QString::fromUtf8(" \u00b1 ") +
           numberText(std::abs(se), decimals);
}

QString bitsWithSe(double bits, double se) {
    return valueWithSe(bits, se) + " bits";
}

}  // namespace infolens::ui
