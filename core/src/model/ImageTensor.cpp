#include "infolens/model/ImageTensor.h"

#include <torch/torch.h>

namespace infolens {

torch::Tensor imageToTensor(const Image& image) {
    return torch::from_blob(const_cast<std::uint8_t*>(image.rgb.data()),
                            {image.height, image.width, 3}, torch::kUInt8)
        .permute({2, 0, 1})
        .to(torch::kFloat32)
        .div(255.0);
}

Image tensorToImage(const torch::Tensor& pixels) {
    const torch::Tensor bytes = pixels.detach()
                                    .to(torch::kFloat32)
                                    .clamp(0.0, 1.0)
                                    .mul(255.0)
                                    .round()
                                    .to(torch::kUInt8)
                                    .permute({1, 2, 0})
                                    .contiguous();
    Image image;
    image.height = static_cast<int>(bytes.size(0));
    image.width = static_cast<int>(bytes.size(1));
    image.rgb.assign(bytes.data_ptr<std::uint8_t>(),
                     bytes.data_ptr<std::uint8_t>() + bytes.numel());
    return image;
}

}  // namespace infolens
