#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "infolens/engine/Intervention.h"

namespace infolens {
struct Model;
}

namespace infolens::cli {

// A word of the prompt named by its 0-based index or its text (case-insensitive); both must name
// one word. Throws UsageError otherwise.
int resolveWord(const std::string& value, const Tokenization& tokens);

// Writes what `intervene` writes (edited.png, original-regenerated.png, change*.npy/png,
// predicted*.npy/png, attention*.npy, intervention.json) into `out` (created if missing) and
// returns intervention.json's content. `seconds` is left out when absent (batch outputs are
// compared byte for byte).
nlohmann::json writeInterventionOutputs(const std::string& out, const Model& model,
                                        const InterventionResult& r, const InterventionEdit& edit,
                                        const InterventionSettings& settings,
                                        std::optional<double> seconds);

}  // namespace infolens::cli
