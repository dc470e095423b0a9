#pragma once

#include <QString>
#include <nlohmann/json.hpp>
#include <string>

#include "infolens/ui/InterventionFigure.h"

namespace infolens::ui {

class InterventionStore;

// The interventions table as files: CSV (one row per intervention, a header line, numbers in
// full precision, stale rows marked) and JSON (the same rows as objects, plus the image-level r
// and the model). Both written atomically (infolens::writeFileAtomically); throw infolens::Error
// when there is nothing to export or the file cannot be written. Quantities: CMI in bits, both
// forms (i_o "cmi_bits", i_s "cmi_standard_bits"); total change is the latent grid's sum of
// squared change.
std::string interventionsCsv(const InterventionStore& store);
nlohmann::json interventionsJson(const InterventionStore& store, const std::string& modelName);
void writeInterventionsCsv(const QString& path, const InterventionStore& store);
void writeInterventionsJson(const QString& path, const InterventionStore& store,
                            const std::string& modelName);

// The intervention figure's content: one row per current intervention (stale ones only when
// there is no current one), the maps coloured with `colormap`, the prompt as the title. Throws
// infolens::Error when there are no interventions.
InterventionFigureContent interventionFigureContent(const InterventionStore& store,
                                                    const QString& colormap, const QString& footer);

}  // namespace infolens::ui
