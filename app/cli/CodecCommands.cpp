#include <torch/torch.h>

#include <iostream>

#include "Args.h"
#include "Commands.h"
#include "ModelOptions.h"
#include "NpyTensor.h"
#include "infolens/io/ImageIO.h"
#include "infolens/model/ImageTensor.h"

namespace infolens::cli {

namespace {

void parseOrUsage(Args& args, int argc, char** argv, bool& help,
                  std::initializer_list<const char*> required) {
    try {
        help = !args.parse(argc, argv);
        if (help)
            return;
        for (const char* name : required)
            args.require(name);
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
}

std::shared_ptr<Model> openImageModel(const Args& args) {
    std::shared_ptr<Model> model = openModel(args);
    if (!model->worksOnImages())
        throw UsageError("model '" + args.text("model") + "' does not work on images (it is " +
                         model->kind + ")");
    return model;
}

// Image pixels per latent pixel along each side (Stable Diffusion: 8).
int downsampling(const Model& model) {
    const std::vector<int64_t> shape = model.denoiser->dataShape();
    if (shape.size() != 3 || shape[2] < 1 || model.imageWidth % shape[2] != 0)
        throw ModelError(model.name + ": its image width " + std::to_string(model.imageWidth) +
                         " is not a whole multiple of its latent width");
    return static_cast<int>(model.imageWidth / shape[2]);
}

bool isNpy(const std::string& path) {
    return path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0;
}

// The image as the codec takes it, [3, H, W] in [0, 1]. An .npy holds [3, H, W] or [1, 3, H, W]
// in [-1, 1], the VAE's own input range, so reference inputs go in without 8-bit rounding.
torch::Tensor loadPixels(const std::string& path) {
    if (!isNpy(path))
        return imageToTensor(loadImage(path));
    torch::Tensor x = readNpyTensor(path);
    if (x.dim() == 4 && x.size(0) == 1)
        x = x[0];
    if (x.dim() != 3 || x.size(0) != 3)
        throw FormatError("'" + path + "' has shape " + shapeText(x.sizes()) +
                          "; an image .npy is [3, H, W] or [1, 3, H, W] in [-1, 1]");
    return (x + 1.0) * 0.5;  // not clamped: the VAE takes what the reference took
}

}  // namespace

int encodeCommand(int argc, char** argv) {
    std::vector<OptionSpec> options = modelOptions();
    options.insert(options.end(),
                   {{"image", "F",
                     "PNG, JPEG or BMP, or .npy [3, H, W] / [1, 3, H, W] float in [-1, 1]; H and W "
                     "must be multiples of the VAE's downsampling factor (8 for Stable Diffusion)",
                     ""},
                    {"out", "Z.npy", "latent, float32 [C, H/f, W/f]", ""}});
    Args args("encode",
              "Encodes an image to the model's latent as the engine sees it (Stable Diffusion: "
              "the VAE posterior's\n"
              "mean times the scale factor 0.18215), at the image's own size: nothing is cropped "
              "or resized.\n"
              "Writes float32 NPY of shape [C, H/f, W/f] (no batch axis), which decode and predict "
              "take.",
              options);
    bool help = false;
    parseOrUsage(args, argc, argv, help, {"image", "out"});
    if (help)
        return 0;
    const std::string imagePath = args.text("image");
    const torch::Tensor pixels = loadPixels(imagePath);
    const std::shared_ptr<Model> model = openImageModel(args);
    const int f = downsampling(*model);
    const int64_t h = pixels.size(1), w = pixels.size(2);
    if (h % f != 0 || w % f != 0)
        throw Error("image '" + imagePath + "' is " + std::to_string(w) + "x" + std::to_string(h) +
                    ": both sides must be multiples of " + std::to_string(f) +
                    ", the VAE's downsampling factor (encode does not resize; crop or pad it)");
    torch::NoGradGuard noGrad;
    const torch::Tensor latent =
        model->codec->encode(pixels.to(model->denoiser->device())).to(torch::kCPU, torch::kFloat32);
    writeNpyTensor(args.text("out"), latent);
    std::cout << "wrote " << args.text("out") << " " << shapeText(latent.sizes()) << ", "
              << placementLine(*model) << "\n";
    return 0;
}

int decodeCommand(int argc, char** argv) {
    std::vector<OptionSpec> options = modelOptions();
    options.insert(options.end(), {{"latent", "Z.npy",
                                    "latent, float32 or float64, [C, h, w] or [1, C, h, w] (what "
                                    "encode writes)",
                                    ""},
                                   {"out", "F.png", "image to write (8-bit RGB PNG)", ""}});
    Args args("decode",
              "Decodes a latent to an image with the model's decoder. Pixels are\n"
              "round((clamp(x, -1, 1) + 1) * 127.5) of the decoder's output x in [-1, 1].",
              options);
    bool help = false;
    parseOrUsage(args, argc, argv, help, {"latent", "out"});
    if (help)
        return 0;
    const std::string latentPath = args.text("latent");
    torch::Tensor z = readNpyTensor(latentPath);
    const std::shared_ptr<Model> model = openImageModel(args);
    const int64_t channels = model->denoiser->dataShape()[0];
    if (z.dim() == 4 && z.size(0) == 1)
        z = z[0];
    if (z.dim() != 3 || z.size(0) != channels || z.size(1) < 1 || z.size(2) < 1)
        throw Error("'" + latentPath + "' has shape " + shapeText(z.sizes()) + ", but " +
                    model->name + " decodes [" + std::to_string(channels) + ", h, w] or [1, " +
                    std::to_string(channels) + ", h, w]");
    torch::NoGradGuard noGrad;
    torch::Tensor pixels;
    try {
        pixels = model->codec->decode(z.to(model->denoiser->device()));
    } catch (const c10::Error& e) {
        throw Error("'" + latentPath + "' (shape " + shapeText(z.sizes()) + ") does not fit " +
                    model->name + "'s decoder: " + e.what_without_backtrace());
    }
    // The codec returns (x + 1) / 2 clamped to [0, 1]; tensorToImage rounds 255 times it, which is
    // round((clamp(x, -1, 1) + 1) * 127.5) (halving is exact in floating point).
    const Image image = tensorToImage(pixels.to(torch::kCPU, torch::kFloat32));
    writePng(args.text("out"), image.width, image.height, 3, image.rgb);
    std::cout << "wrote " << args.text("out") << " (" << image.width << "x" << image.height << "), "
              << placementLine(*model) << "\n";
    return 0;
}

}  // namespace infolens::cli
