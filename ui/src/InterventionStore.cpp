#include "infolens/ui/InterventionStore.h"

#include <QUndoCommand>
#include <QUndoStack>
#include <algorithm>

namespace infolens::ui {

namespace {
constexpr int kAddCommandId = 0x1e7e;  // QUndoCommand::id() of the merging "add" steps
}

// Before and after lists of one step. "Add" steps of the same intervene() call merge, so a run
// over all words is undone at once, however many outcomes it delivered.
class InterventionStore::Command : public QUndoCommand {
  public:
    Command(InterventionStore* owner, const QString& text, std::vector<Outcome> before,
            std::vector<Outcome> after, std::uint64_t generation, int selectedAfter)
        : m_owner(owner),
          m_before(std::move(before)),
          m_after(std::move(after)),
          m_generation(generation),
          m_selectedBefore(owner->m_selected),
          m_selectedAfter(selectedAfter) {
        setText(text);
    }
    void undo() override { m_owner->apply(m_before, m_selectedBefore); }
    void redo() override { m_owner->apply(m_after, m_selectedAfter); }
    int id() const override { return m_generation != 0 ? kAddCommandId : -1; }
    bool mergeWith(const QUndoCommand* other) override {
        const auto* next = static_cast<const Command*>(other);
        if (next->m_generation != m_generation)
            return false;
        m_after = next->m_after;
        m_selectedAfter = next->m_selectedAfter;
        return true;
    }

  private:
    InterventionStore* m_owner;
    std::vector<Outcome> m_before, m_after;
    std::uint64_t m_generation;  // 0: not an add step (never merges)
    int m_selectedBefore, m_selectedAfter;
};

InterventionStore::InterventionStore(QUndoStack* undo, QObject* parent)
    : QObject(parent), m_undo(undo) {}

void InterventionStore::select(int index) {
    if (index < -1 || index >= count())
        index = -1;
    if (index == m_selected)
        return;
    m_selected = index;
    Q_EMIT selectionChanged(index);
}

void InterventionStore::add(Outcome outcome) {
    if (!outcome || !outcome->error.empty())
        return;
    std::vector<Outcome> after = m_outcomes;
    after.push_back(outcome);
    // The first outcome of a call is shown; later ones of the same call fill the table without
    // taking the view away from what the user clicked.
    const bool first = outcome->index == 0 || m_selected < 0;
    const int selected = first ? static_cast<int>(after.size()) - 1 : m_selected;
    const QString text = outcome->count > 1 ? tr("Run All Words") : tr("Intervention");
    // generation 0 would not merge; outcomes always carry the call's (non-zero) generation.
    m_undo->push(new Command(this, text, m_outcomes, std::move(after),
                             std::max<std::uint64_t>(outcome->generation, 1), selected));
}

void InterventionStore::clear() {
    if (m_outcomes.empty())
        return;
    m_undo->push(new Command(this, tr("Clear Interventions"), m_outcomes, {}, 0, -1));
}

void InterventionStore::reset(std::vector<Outcome> outcomes) {
    const int selected = outcomes.empty() ? -1 : 0;
    apply(std::move(outcomes), selected);
}

void InterventionStore::apply(std::vector<Outcome> outcomes, int selected) {
    m_outcomes = std::move(outcomes);
    m_selected = -2;  // select() below always reports
    Q_EMIT changed();
    select(selected);
}

void InterventionStore::setContext(const InterventionContext& context) {
    m_context = context;
    Q_EMIT changed();
}

QString InterventionStore::staleReason(int index) const {
    if (index < 0 || index >= count())
        return {};
    const InterventionOutcome& o = *at(index);
    if (!m_context.modelHash.empty() && o.modelHash != m_context.modelHash)
        return tr("for another model");
    if (o.request.image.get() != m_context.image)
        return tr("for an earlier image");
    if (o.request.prompt != m_context.prompt)
        return tr("for an earlier prompt");
    return {};
}

}  // namespace infolens::ui
