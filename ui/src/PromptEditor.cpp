#include "infolens/ui/PromptEditor.h"

#include <QButtonGroup>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QScrollArea>
#include <QToolButton>
#include <QVBoxLayout>

namespace infolens::ui {

PromptEditor::PromptEditor(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    auto* row = new QHBoxLayout;
    auto* label = new QLabel(tr("&Prompt:"), this);
    m_edit = new QLineEdit(this);
    m_edit->setObjectName("promptEdit");
    m_edit->setPlaceholderText(tr("Describe the image, e.g. a red circle above a blue square"));
    m_edit->setClearButtonEnabled(true);
    label->setBuddy(m_edit);
    row->addWidget(label);
    row->addWidget(m_edit, 1);
    layout->addLayout(row);

    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    scroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setFixedHeight(42);
    m_chips = new QWidget(scroll);
    m_chipLayout = new QHBoxLayout(m_chips);
    m_chipLayout->setContentsMargins(0, 0, 0, 0);
    m_chipLayout->setSpacing(4);
    m_chipLayout->addStretch(1);
    scroll->setWidget(m_chips);
    layout->addWidget(scroll);
    m_problem = new QLabel(this);
    m_problem->setStyleSheet("color: #c0392b;");
    m_problem->hide();
    layout->addWidget(m_problem);

    m_group = new QButtonGroup(this);
    m_group->setExclusive(true);
    connect(m_group, &QButtonGroup::idClicked, this, &PromptEditor::wordClicked);
    connect(m_edit, &QLineEdit::textEdited, this, &PromptEditor::promptEdited);
    m_edit->installEventFilter(this);
}

bool PromptEditor::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_edit &&
        (event->type() == QEvent::ShortcutOverride || event->type() == QEvent::KeyPress)) {
        auto* key = static_cast<QKeyEvent*>(event);
        const bool undo = key->matches(QKeySequence::Undo);
        const bool redo = key->matches(QKeySequence::Redo);
        if (undo || redo) {
            if (event->type() == QEvent::KeyPress) {
                if (undo)
                    Q_EMIT undoRequested();
                else
                    Q_EMIT redoRequested();
            }
            event->accept();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

QString PromptEditor::prompt() const {
    return m_edit->text();
}

void PromptEditor::setPrompt(const QString& prompt) {
    if (m_edit->text() != prompt)
        m_edit->setText(prompt);
}

void PromptEditor::setWords(const PromptAnalysis& analysis, const std::vector<WordMode>& modes,
                            const QString& placeholder) {
    const int selected = m_group->checkedId();
    for (QAbstractButton* b : m_group->buttons()) {
        m_group->removeButton(b);
        b->hide();
        b->disconnect(this);
        b->deleteLater();
    }
    for (int i = 0; i < static_cast<int>(analysis.words.size()); ++i) {
        const PromptWord& w = analysis.words[i];
        const bool placeholderMode =
            i < static_cast<int>(modes.size()) && modes[i] == WordMode::Placeholder;
        auto* chip = new QToolButton(m_chips);
        chip->setObjectName(QString("chip%1").arg(i));
        QString text = QString::fromStdString(w.text);
        if (placeholderMode)
            text += QString::fromUtf8(" \u2192 ") + placeholder;
        chip->setText(text);
        chip->setCheckable(true);
        chip->setContextMenuPolicy(Qt::CustomContextMenu);
        QString tip = placeholderMode ? tr("CMI with the word replaced by \"%1\"").arg(placeholder)
                                      : tr("CMI with the word omitted");
        tip += tr("\nClick to show its map; right-click to switch omission/placeholder, or to "
                  "remove or swap the word in the image (an intervention).");
        QString style =
            "QToolButton { border: 1px solid #888; border-radius: 9px; padding: 2px 8px; }"
            "QToolButton:checked { background: #f1c40f; color: black; }";
        if (w.unknown) {
            style += "QToolButton { border: 2px solid #c0392b; color: #c0392b; }";
            tip = (w.span.isWord
                       ? tr("\"%1\" is not in the model's vocabulary: it is read as [UNK].\n")
                       : tr("The symbol \"%1\" is not in the model's vocabulary: it is read as "
                            "[UNK], which changes the other words' values; its own value says "
                            "by how much. Delete it to leave it out.\n"))
                      .arg(QString::fromStdString(w.text)) +
                  tip;
        }
        chip->setStyleSheet(style);
        chip->setToolTip(tip);
        connect(chip, &QWidget::customContextMenuRequested, this, [this, i, chip](QPoint at) {
            Q_EMIT wordMenuRequested(i, chip->mapToGlobal(at));
        });
        m_group->addButton(chip, i);
        m_chipLayout->insertWidget(m_chipLayout->count() - 1, chip);
    }
    if (selected >= 0 && selected < static_cast<int>(analysis.words.size()))
        m_group->button(selected)->setChecked(true);
    QStringList unknown;
    for (const PromptWord& w : analysis.words) {
        if (w.unknown)
            unknown << "\"" + QString::fromStdString(w.text) + "\"";
    }
    QString problem = QString::fromStdString(analysis.problem);
    if (problem.isEmpty() && !unknown.isEmpty())
        problem = tr("Not in the model's vocabulary, read as [UNK] (marked red; each changes the "
                     "other values and has a value of its own): %1.")
                      .arg(unknown.join(", "));
    m_problem->setText(problem);
    m_problem->setVisible(!problem.isEmpty());
}

void PromptEditor::setSelectedWord(int word) {
    if (QAbstractButton* b = m_group->button(word)) {
        b->setChecked(true);
    } else if (QAbstractButton* checked = m_group->checkedButton()) {
        // An exclusive group cannot be emptied by unchecking; lift exclusivity for a moment.
        m_group->setExclusive(false);
        checked->setChecked(false);
        m_group->setExclusive(true);
    }
}

}  // namespace infolens::ui
