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

// The model a chosen path names: a Stable Diffusion .safetensors file as it is, a bundle's
// manifest.json or a diffusers folder's model_index.json as its folder, a folder as it is.
QString modelSpecForPath(const QString& path);
// File ▸ Open Model…: a .safetensors checkpoint, or the manifest.json / model_index.json that
// marks a bundle or diffusers folder (`folder`: pick the folder itself). Empty when cancelled.
QString askModelPath(QWidget* parent, const QString& startFolder, bool folder);

}  // namespace infolens::ui
