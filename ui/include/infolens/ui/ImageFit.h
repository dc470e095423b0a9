#pragma once

#include <QString>
#include <optional>

#include "infolens/live/ImageFitRule.h"
#include "infolens/live/LiveResult.h"
#include "infolens/live/LiveWorker.h"
#include "infolens/ui/NoticeBar.h"

// The warning that an image is far outside what the model knows: the image's bits per dimension
// under the model without a prompt (LiveResult::nullBitsPerDim) against the model's reference on
// held-out scenes of its own world. The rule itself is ImageFitRule.h (shared with the CLI);
// docs/app.md, "Image fit", says it in words.
namespace infolens::ui {

struct ImageFit {
    bool unlike = false;
    QString message;  // for the notice bar; empty when the image fits or nothing can be said
    QString detail;   // the numbers, for the tooltip
};

// Decides on one result; no reference (SD, Gaussian, an unknown bundle) never warns.
ImageFit assessImageFit(const LiveResult& result,
                        const std::optional<ImageFitReference>& reference);

// Tooltip text: the rule, and the model's reference figures or that it has none.
QString imageFitRuleText(const std::optional<ImageFitReference>& reference);

// The notice bar for this warning. Decides on finished results only (converged or at the cap),
// like the prompt-fit warning, so that it does not flicker while the estimate refines.
class ImageFitNotice : public NoticeBar {
  public:
    explicit ImageFitNotice(QWidget* parent = nullptr);

    // Looks up the model's reference (by its directory and hash); hides the warning.
    void setModel(const ModelSummary& model);
    void setReference(std::optional<ImageFitReference> reference);
    const std::optional<ImageFitReference>& reference() const { return m_reference; }
    void showResult(const LiveResult& result);
    void clear();

  private:
    std::optional<ImageFitReference> m_reference;
};

}  // namespace infolens::ui
