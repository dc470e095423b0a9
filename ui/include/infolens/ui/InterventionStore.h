#pragma once

#include <QObject>
#include <QString>
#include <memory>
#include <vector>

#include "infolens/live/LiveIntervention.h"

class QUndoStack;

namespace infolens::ui {

// What the interventions were computed for. An intervention made for another prompt, image or
// model is kept but marked stale (greyed, "for an earlier prompt") instead of being mixed with
// the current ones.
struct InterventionContext {
    std::string prompt;
    const Image* image = nullptr;  // identity of the open image (the document's shared image)
    std::string modelHash;
};

// The interventions of the open document, in the order they arrived, and which one is shown.
// Adding (one outcome, or every outcome of one "Run All Words" call) and clearing are undo steps
// on the window's one undo stack (PromptController's); staleness is computed from the context,
// so undo and redo never bring back a wrong "current" mark.
class InterventionStore : public QObject {
    Q_OBJECT
  public:
    using Outcome = std::shared_ptr<const InterventionOutcome>;
    explicit InterventionStore(QUndoStack* undo, QObject* parent = nullptr);

    const std::vector<Outcome>& outcomes() const { return m_outcomes; }
    int count() const { return static_cast<int>(m_outcomes.size()); }
    const Outcome& at(int index) const { return m_outcomes.at(static_cast<std::size_t>(index)); }
    int selected() const { return m_selected; }
    void select(int index);

    // One undo step per intervene() call: outcomes of the same generation merge into the step
    // their first one opened. Failed outcomes (non-empty error) are not stored.
    void add(Outcome outcome);
    void clear();  // one undo step; nothing when already empty
    // Replaces everything without an undo step (a session was opened).
    void reset(std::vector<Outcome> outcomes);

    void setContext(const InterventionContext& context);
    const InterventionContext& context() const { return m_context; }
    // Empty when the intervention belongs to the current prompt, image and model; otherwise why
    // not ("for an earlier prompt").
    QString staleReason(int index) const;

  Q_SIGNALS:
    void changed();  // the list or the context changed
    void selectionChanged(int index);

  private:
    class Command;
    void apply(std::vector<Outcome> outcomes, int selected);

    QUndoStack* m_undo;
    std::vector<Outcome> m_outcomes;
    int m_selected = -1;
    InterventionContext m_context;
};

}  // namespace infolens::ui
