#pragma once

#include <QString>

#include "infolens/live/LiveWorker.h"

class QWidget;

namespace infolens::ui {

// Help ▸ Model Card: the bundle's MODEL_CARD.md (Markdown), or a line saying there is none.
void showModelCard(QWidget* parent, const ModelSummary& model);
// Help ▸ About: the version, what InfoLens computes, the model (or where its load stands) and
// the renderer.
void showAbout(QWidget* parent, const ModelStatus& model, const QString& renderer);

}  // namespace infolens::ui
