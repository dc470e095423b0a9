#pragma once

#include <torch/types.h>

#include "infolens/io/ImageIO.h"

namespace infolens {

// RGB8 image <-> float tensor [3, H, W] in [0, 1].
torch::Tensor imageToTensor(const Image& image);
Image tensorToImage(const torch::Tensor& pixels);

}  // namespace infolens
