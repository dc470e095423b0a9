#pragma once

#include <QWidget>

#include "infolens/live/LiveIntervention.h"

class QLabel;
class QProgressBar;
class QPushButton;

namespace infolens::ui {

class InterventionDetail;
class InterventionScatter;
class InterventionStore;
class InterventionTable;

// The Interventions dock: a progress bar while interventions run (stage and fraction, with
// Cancel), the selected intervention (InterventionDetail), and all of them as a table and a
// scatter plot. It shows the store; it never starts or cancels anything itself (cancelRequested).
class InterventionPanel : public QWidget {
    Q_OBJECT
  public:
    explicit InterventionPanel(InterventionStore* store, QWidget* parent = nullptr);

    void showProgress(const InterventionProgress& progress);
    void hideProgress();
    // A failure or a note ("cancelled"), shown under the progress bar until the next run.
    void showMessage(const QString& text, bool error);
    void setColormap(const QString& colormap);

    InterventionDetail* detail() const { return m_detail; }
    InterventionTable* table() const { return m_table; }
    InterventionScatter* scatter() const { return m_scatter; }
    QProgressBar* progressBar() const { return m_progress; }
    QPushButton* cancelButton() const { return m_cancel; }
    QLabel* messageLabel() const { return m_message; }

  Q_SIGNALS:
    void cancelRequested();

  private:
    void showSelected();

    InterventionStore* m_store;
    QWidget* m_progressRow;
    QProgressBar* m_progress;
    QPushButton* m_cancel;
    QLabel* m_message;
    InterventionDetail* m_detail;
    InterventionTable* m_table;
    InterventionScatter* m_scatter;
};

}  // namespace infolens::ui
