#pragma once

#include <QTableWidget>

namespace infolens::ui {

class InterventionStore;

// The interventions as a sortable table: word, edit, the word's CMI (i_o, bits ± SE), the total
// change, and the pixel-level r of information and of attention with the change. Value columns
// sort by value; stale rows (another prompt, image or model) are greyed with the reason in their
// tooltip. Clicking a row selects that intervention in the store.
class InterventionTable : public QTableWidget {
    Q_OBJECT
  public:
    enum Column {
        kWordColumn,
        kEditColumn,
        kCmiColumn,
        kChangeColumn,
        kRInformationColumn,
        kRAttentionColumn,
        kColumnCount
    };
    static constexpr int kIndexRole = Qt::UserRole;  // the intervention's index in the store
    static constexpr int kSortRole = Qt::UserRole + 1;

    explicit InterventionTable(InterventionStore* store, QWidget* parent = nullptr);
    // The row showing store index `index` (-1 when none).
    int rowOf(int index) const;

  private:
    void rebuild();
    void showSelection(int index);

    InterventionStore* m_store;
};

}  // namespace infolens::ui
