#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "infolens/models/shapes/ShapesScene.h"

namespace infolens {

// Compositional probes: captions with (nearly) the original's words but a different binding.
// The colour words of the first two mentioned objects that differ in colour and also in shape or
// written size, exchanged (their articles follow: "an orange" / "a blue"). Without such a pair the
// swap would not change the meaning, so there is no result.
std::optional<std::string> swapColorsCaption(const ShapesScene& scene);
// The subject and object phrases of the relation exchanged; none when the caption has no relation.
std::optional<std::string> swapRelationCaption(const ShapesScene& scene);
// The caption's words (punctuation dropped) in a random order that differs from the original.
std::string shuffleWordsCaption(const ShapesScene& scene, std::uint64_t seed);

}  // namespace infolens
