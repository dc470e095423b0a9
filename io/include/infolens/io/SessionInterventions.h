#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "infolens/live/LiveIntervention.h"

// The interventions a session keeps (its optional "interventions" array): each one's request, its
// numbers, the model hash it was computed with, its latent-grid maps (float arrays) and the edited
// and round-trip images (base64 PNG). The image grid's pixel change is not stored: it is computed
// again from the two images on load, exactly (both are 8-bit). The request's image is not stored
// either (it is the session's image).
namespace infolens {

// Bounds that keep a session small and a hostile file harmless: at most this many interventions,
// maps of at most kMaxSessionInterventionMapCells cells, images of at most
// kMaxSessionInterventionImageSide per side.
inline constexpr std::size_t kMaxSessionInterventions = 200;
inline constexpr int kMaxSessionInterventionMapCells = 128 * 128;
inline constexpr int kMaxSessionInterventionImageSide = 2048;

nlohmann::json interventionToJson(const InterventionOutcome& outcome);
// Validates every field (type, range, array length = width × height, finite numbers, decodable
// PNGs of the stated size) and throws infolens::FormatError naming `nameForErrors` and the field
// ("interventions[2].change[17]").
InterventionOutcome interventionFromJson(const nlohmann::json& json, const std::string& field,
                                         const std::string& nameForErrors);

// sum over RGB of (a − b)² in [0, 1] units per pixel (InterventionOutcome::changePixels); empty
// when the sizes differ.
std::vector<float> pixelChange(const Image& a, const Image& b);

std::string base64Encode(const std::string& bytes);
// Throws FormatError (naming `field`) on a character outside the alphabet or a bad length.
std::string base64Decode(const std::string& text, const std::string& field,
                         const std::string& nameForErrors);

}  // namespace infolens
