#include "infolens/ui/ImageFit.h"

#include <QObject>

namespace infolens::ui {

QString imageFitRuleText(const std::optional<ImageFitReference>& reference) {
    const QString rule =
        QObject::tr(
            "Warns when the image's bits per dimension under the model without a prompt "
            "(how hard the image is for the model to denoise, as a likelihood) exceed "
            "the 99th percentile of the model's own held-out images by more than %1 "
            "standard errors.")
            .arg(kImageFitSigmas);
    if (!reference) {
        return rule + "\n\n" +
               QObject::tr(
                   "This model has no image-fit reference (made by `infolens-cli "
                   "image-fit --scenes --write-reference`), so this warning is never "
                   "shown for it.");
    }
    return rule + "\n\n" +
           QObject::tr(
               "Reference for this model: median %1, 99th percentile %2 bits/dim over "
               "%3 held-out %4 scenes (%5 draws each, seed %6).")
               .arg(reference->median, 0, 'f', 3)
               .arg(reference->p99, 0, 'f', 3)
               .arg(reference->n)
               .arg(QString::fromStdString(reference->split))
               .arg(reference->samples)
               .arg(reference->seed);
}

ImageFit assessImageFit(const LiveResult& result,
                        const std::optional<ImageFitReference>& reference) {
    ImageFit fit;
    if (!result.nullAvailable)
        return fit;
    fit.detail = QObject::tr("This image: %1 ± %2 bits/dim.")
                     .arg(result.nullBitsPerDim, 0, 'f', 3)
                     .arg(result.nullBitsPerDimSe, 0, 'f', 3);
    if (!reference || !imageFitWarns(result.nullBitsPerDim, result.nullBitsPerDimSe, *reference))
        return fit;
    fit.unlike = true;
    fit.message = QObject::tr(
                      "This image looks unlike what this model was trained on: %1 ± %2 bits per "
                      "dimension without a prompt, above the %3 of 99% of its held-out images "
                      "(median %4). The model's information values may not mean for this image "
                      "what they mean for its own.")
                      .arg(result.nullBitsPerDim, 0, 'f', 2)
                      .arg(result.nullBitsPerDimSe, 0, 'f', 2)
                      .arg(reference->p99, 0, 'f', 2)
                      .arg(reference->median, 0, 'f', 2);
    return fit;
}

ImageFitNotice::ImageFitNotice(QWidget* parent) : NoticeBar(parent) {
    setObjectName("imageFitNotice");
    setToolTip(imageFitRuleText(std::nullopt));
}

void ImageFitNotice::setModel(const ModelSummary& model) {
    setReference(findImageFitReference(model.directory, model.hash));
}

void ImageFitNotice::setReference(std::optional<ImageFitReference> reference) {
    m_reference = std::move(reference);
    setToolTip(imageFitRuleText(m_reference));
    clear();
}

void ImageFitNotice::showResult(const LiveResult& result) {
    if (!result.finished)
        return;
    const ImageFit fit = assessImageFit(result, m_reference);
    setToolTip(imageFitRuleText(m_reference) +
               (fit.detail.isEmpty() ? QString() : "\n\n" + fit.detail));
    showNotice(fit.message, true);
}

void ImageFitNotice::clear() {
    showNotice(QString());
}

}  // namespace infolens::ui
