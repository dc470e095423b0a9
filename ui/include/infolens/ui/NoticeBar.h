#pragma once

#include <QLabel>

namespace infolens::ui {

// The bar under the prompt for what the user should know about the current image or model: a
// note (amber) or an error (red). Hidden when empty.
class NoticeBar : public QLabel {
    Q_OBJECT
  public:
    explicit NoticeBar(QWidget* parent = nullptr);

    void showNotice(const QString& text, bool error = false);
    bool showsError() const { return !isHidden() && m_error; }
    QString notice() const { return isHidden() ? QString() : text(); }  // empty when hidden

  private:
    bool m_error = false;
};

}  // namespace infolens::ui
