#pragma once

#include <torch/types.h>

namespace infolens {

// Image <-> the data the denoiser works on. Images are float [3, H, W] in [0, 1].
class Codec {
  public:
    virtual ~Codec() = default;
    virtual torch::Tensor encode(const torch::Tensor& image) = 0;
    virtual torch::Tensor decode(const torch::Tensor& data) = 0;
};

// Pixel models: data = 2 * image - 1.
class PixelCodec : public Codec {
  public:
    torch::Tensor encode(const torch::Tensor& image) override { return image * 2.0 - 1.0; }
    torch::Tensor decode(const torch::Tensor& data) override {
        return ((data + 1.0) * 0.5).clamp(0.0, 1.0);
    }
};

}  // namespace infolens
