#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "infolens/models/shapes/ShapesProbes.h"
#include "infolens/models/shapes/ShapesScene.h"

namespace infolens {

// ShapesWorld: procedural captioned images with a pixel mask for every word that names something,
// so information maps can be scored against ground truth. A scene depends only on (split, index);
// the geometry is drawn in image-relative units, so the same scene at 64 and 128 pixels has the
// same objects and caption.

// Throws infolens::Error for a size outside [32, 4096].
ShapesScene generateShapesScene(ShapesSplit split, std::uint64_t index,
                                int size = kShapesDefaultImageSize);

// Every token the grammar can produce (words and ","), sorted and unique.
std::vector<std::string> shapesVocabulary();

}  // namespace infolens
