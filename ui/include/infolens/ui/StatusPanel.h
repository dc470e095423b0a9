#pragma once

#include <QObject>
#include <QString>

#include "infolens/live/LiveWorker.h"

class QLabel;
class QProgressBar;
class QStatusBar;

namespace infolens::ui {

// The permanent labels of the status bar, left to right: the computation's progress, draws, rate,
// the selected word's value ± SE, the renderer, and the model (with a busy indicator while it
// loads, in red when it failed). Transient messages stay with QStatusBar::showMessage.
class StatusPanel : public QObject {
    Q_OBJECT
  public:
    explicit StatusPanel(QStatusBar* bar);

    void showModelLoading(const QString& spec);
    void showModelReady(const ModelSummary& model);
    void showModelFailed(const QString& reason);
    bool modelLoading() const { return m_loading; }

    void showRenderer(bool vulkan, const QString& description);
    void showRendererFellBack();

    void showComputing(int sampleCap);
    void showWaitingForModel();
    void showResult(const LiveResult& result);
    void showWordValue(const WordResult& word);
    void showNoMaps();
    void hideProgress();

    // What "converged" and "at cap" mean for this result (the draws label's tooltip).
    static QString drawsExplanation(const LiveResult& result);

    QLabel* modelLabel() const { return m_modelLabel; }
    QLabel* drawsLabel() const { return m_drawsLabel; }
    QProgressBar* loadingIndicator() const { return m_loadingBar; }

  private:
    QProgressBar* m_progress;
    QLabel* m_drawsLabel;
    QLabel* m_rateLabel;
    QLabel* m_seLabel;
    QLabel* m_rendererLabel;
    QProgressBar* m_loadingBar;
    QLabel* m_modelLabel;
    bool m_loading = false;
};

}  // namespace infolens::ui
