#include "infolens/ui/NoticeBar.h"

namespace infolens::ui {

NoticeBar::NoticeBar(QWidget* parent) : QLabel(parent) {
    setObjectName("notice");
    setWordWrap(true);
    hide();
}

void NoticeBar::showNotice(const QString& text, bool error) {
    m_error = error;
    setText(text);
    setProperty("error", error);
    setStyleSheet(error ? "background:#fdecea; color:#922; padding:4px;"
                        : "background:#fff8e1; color:#5d4300; padding:4px;");
    setVisible(!text.isEmpty());
}

}  // namespace infolens::ui
