#include "infolens/ui/InterventionImages.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <QObject>

#include "infolens/render/Colormap.h"

namespace infolens::ui {

QImage toQImage(const Image& image) {
    if (image.width <= 0 || image.height <= 0 ||
        image.rgb.size() != static_cast<std::size_t>(image.width) * image.height * 3)
        return {};
    QImage out(image.rgb.data(), image.width, image.height, image.width * 3, QImage::Format_RGB888);
    return out.copy();  // owns its pixels
}

QImage mapImage(const std::vector<float>& map, int width, int height, const QString& colormap,
                QSize size) {
    if (width <= 0 || height <= 0 || map.size() != static_cast<std::size_t>(width) * height)
        return {};
    float hi = 0.0f;
    for (const float v : map) {
        if (std::isfinite(v))
            hi = std::max(hi, v);
    }
    const std::vector<std::uint8_t> rgb =
        applyColormap(map, 0.0f, hi > 0.0f ? hi : 1.0f, colormapLut(colormap.toStdString()));
    QImage small(rgb.data(), width, height, width * 3, QImage::Format_RGB888);
    if (!size.isValid() || size == QSize(width, height))
        return small.copy();
    return small.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
}

QImage changeImage(const InterventionOutcome& o, ChangeSource source, const QString& colormap) {
    const QSize imageSize(o.edited.width, o.edited.height);
    if (source == ChangeSource::Pixels && !o.changePixels.empty())
        return mapImage(o.changePixels, o.imageWidth, o.imageHeight, colormap, imageSize);
    return mapImage(o.changeLatent, o.mapWidth, o.mapHeight, colormap, imageSize);
}

QImage predictedImage(const InterventionOutcome& o, const QString& colormap) {
    return mapImage(o.predicted, o.mapWidth, o.mapHeight, colormap,
                    QSize(o.edited.width, o.edited.height));
}

double pearsonR(const std::vector<double>& x, const std::vector<double>& y) {
    const std::size_t n = std::min(x.size(), y.size());
    if (n < 2)
        return std::numeric_limits<double>::quiet_NaN();
    double mx = 0, my = 0;
    for (std::size_t i = 0; i < n; ++i) {
        mx += x[i];
        my += y[i];
    }
    mx /= static_cast<double>(n);
    my /= static_cast<double>(n);
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < n; ++i) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    if (sxx <= 0 || syy <= 0)
        return std::numeric_limits<double>::quiet_NaN();
    return sxy / std::sqrt(sxx * syy);
}

double imageLevelR(const std::vector<const InterventionOutcome*>& outcomes) {
    std::vector<double> cmi, change;
    for (const InterventionOutcome* o : outcomes) {
        cmi.push_back(o->cmiBits);
        change.push_back(o->totalChange);
    }
    // Two points always give r = ±1: printing that would look like a finding.
    if (cmi.size() < kMinPointsForImageR)
        return std::numeric_limits<double>::quiet_NaN();
    return pearsonR(cmi, change);
}

QString editText(const InterventionRequest& request, const std::string& word) {
    const QString w = QString::fromStdString(word);
    if (request.kind == InterventionKind::Swap)
        return QObject::tr("swap \u201c%1\u201d \u2192 \u201c%2\u201d")
            .arg(w, QString::fromStdString(request.replacement));
    if (request.mode == WordMode::Placeholder)
        return QObject::tr("remove \u201c%1\u201d (\u2192 %2)")
            .arg(w, QString::fromStdString(request.placeholder));
    return QObject::tr("remove \u201c%1\u201d").arg(w);
}

QString rText(double r) {
    return std::isfinite(r) ? QString::number(r, 'f', 2).replace('-', QChar(0x2212))
                            : QObject::tr("n/a");
}

}  // namespace infolens::ui
