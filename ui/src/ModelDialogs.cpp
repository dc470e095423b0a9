#include "infolens/ui/ModelDialogs.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace infolens::ui {

namespace {

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

}  // namespace

void showModelCard(QWidget* parent, const ModelSummary& model) {
    QFile card(q(model.directory) + "/MODEL_CARD.md");
    QString text = QObject::tr("This model has no model card.");
    if (!model.directory.empty() && card.open(QIODevice::ReadOnly))
        text = QString::fromUtf8(card.readAll());
    QDialog dialog(parent);
    dialog.setWindowTitle(QObject::tr("Model Card — %1").arg(q(model.name)));
    auto* layout = new QVBoxLayout(&dialog);
    auto* browser = new QTextBrowser(&dialog);
    browser->setMarkdown(text);
    layout->addWidget(browser);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, &dialog);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    dialog.resize(760, 640);
    dialog.exec();
}

void showAbout(QWidget* parent, const ModelStatus& status, const QString& renderer) {
    const ModelSummary& model = status.summary;
    const QString modelText = status.state == ModelStatus::State::Ready
                                  ? QObject::tr("Model: %1<br>Hash: %2<br>Compute: %3")
                                        .arg(q(model.name), q(model.hash), q(model.device))
                                  : QObject::tr("Model: %1").arg(q(status.message).toHtmlEscaped());
    QMessageBox::about(
        parent, QObject::tr("About InfoLens"),
        QObject::tr(
            "<h3>InfoLens %1</h3><p>What a text-to-image diffusion model knows about how the "
            "words of a prompt relate to the pixels of an image: mutual information and each "
            "word's conditional mutual information with pixel maps, estimated from the model's "
            "own denoiser (Interpretable Diffusion via Information Decomposition, ICLR 2024).</p>"
            "<p>%2<br>Renderer: %3</p>")
            .arg(INFOLENS_VERSION, modelText, renderer.toHtmlEscaped()));
}

QString modelSpecForPath(const QString& path) {
    const QFileInfo info(path);
    if (info.isFile() &&
        (info.fileName() == "manifest.json" || info.fileName() == "model_index.json"))
        return info.absolutePath();
    return info.absoluteFilePath();
}

QString askModelPath(QWidget* parent, const QString& startFolder, bool folder) {
    if (folder)
        return QFileDialog::getExistingDirectory(
            parent, QObject::tr("Open Model Folder (diffusers or bundle)"), startFolder);
    const QString path = QFileDialog::getOpenFileName(
        parent, QObject::tr("Open Model"), startFolder,
        QObject::tr("Models (*.safetensors model_index.json manifest.json);;Stable Diffusion "
                    "checkpoints (*.safetensors);;All files (*)"));
    return path.isEmpty() ? QString() : modelSpecForPath(path);
}

}  // namespace infolens::ui
