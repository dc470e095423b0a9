#include "infolens/ui/InterventionExport.h"

#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/ui/InterventionImages.h"
#include "infolens/ui/InterventionStore.h"

namespace infolens::ui {

namespace {

const char* kindName(const InterventionRequest& r) {
    return r.kind == InterventionKind::Swap ? "swap" : "remove";
}

const char* modeName(const InterventionRequest& r) {
    return r.mode == WordMode::Placeholder ? "placeholder" : "omit";
}

// RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled.
std::string csvField(const std::string& text) {
    if (text.find_first_of(",\"\n\r") == std::string::npos)
        return text;
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"')
            out += '"';
        out += c;
    }
    return out + "\"";
}

std::string number(double v) {
    if (!std::isfinite(v))
        return "";  // an empty cell: no value (e.g. no attention readout)
    std::ostringstream s;
    s << std::setprecision(std::numeric_limits<double>::max_digits10) << v;
    return s.str();
}

// JSON has no NaN: null.
nlohmann::json jsonNumber(double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

void requireRows(const InterventionStore& store) {
    if (store.count() == 0)
        throw Error("there are no interventions to export yet");
}

}  // namespace

std::string interventionsCsv(const InterventionStore& store) {
    std::ostringstream out;
    out << "word,word_index,kind,mode,replacement,edited_prompt,cmi_bits,cmi_se_bits,"
           "cmi_standard_bits,cmi_standard_se_bits,total_change,pixel_r_information,"
           "pixel_r_attention,attention_sum,round_trip_psnr_db,stale\n";
    for (int i = 0; i < store.count(); ++i) {
        const InterventionOutcome& o = *store.at(i);
        out << csvField(o.word) << ',' << o.request.word << ',' << kindName(o.request) << ','
            << modeName(o.request) << ',' << csvField(o.request.replacement) << ','
            << csvField(o.editedPrompt) << ',' << number(o.cmiBits) << ',' << number(o.cmiSeBits)
            << ',' << number(o.cmiStandardBits) << ',' << number(o.cmiStandardSeBits) << ','
            << number(o.totalChange) << ',' << number(o.pixelRInformation) << ','
            << number(o.pixelRAttention) << ',' << number(o.attentionSum) << ','
            << number(o.roundTripPsnrDb) << ',' << csvField(store.staleReason(i).toStdString())
            << '\n';
    }
    return out.str();
}

nlohmann::json interventionsJson(const InterventionStore& store, const std::string& modelName) {
    nlohmann::json rows = nlohmann::json::array();
    std::vector<const InterventionOutcome*> all;
    for (int i = 0; i < store.count(); ++i) {
        const InterventionOutcome& o = *store.at(i);
        all.push_back(&o);
        rows.push_back({{"word", o.word},
                        {"word_index", o.request.word},
                        {"kind", kindName(o.request)},
                        {"mode", modeName(o.request)},
                        {"replacement", o.request.replacement},
                        {"prompt", o.request.prompt},
                        {"edited_prompt", o.editedPrompt},
                        {"cmi_bits", jsonNumber(o.cmiBits)},
                        {"cmi_se_bits", jsonNumber(o.cmiSeBits)},
                        {"cmi_standard_bits", jsonNumber(o.cmiStandardBits)},
                        {"cmi_standard_se_bits", jsonNumber(o.cmiStandardSeBits)},
                        {"total_change", jsonNumber(o.totalChange)},
                        {"pixel_r_information", jsonNumber(o.pixelRInformation)},
                        {"pixel_r_attention", jsonNumber(o.pixelRAttention)},
                        {"attention_sum", jsonNumber(o.attentionSum)},
                        {"round_trip_psnr_db", jsonNumber(o.roundTripPsnrDb)},
                        {"steps", o.request.steps},
                        {"samples", o.request.samples},
                        {"seed", o.request.seed},
                        {"model_hash", o.modelHash},
                        {"stale", store.staleReason(i).toStdString()}});
    }
    return {{"format", "infolens-interventions"},
            {"version", 1},
            {"model_name", modelName},
            {"units", "bits; total_change: sum over the latent grid of squared change"},
            {"image_r_information", jsonNumber(imageLevelR(all))},
            {"interventions", rows}};
}

void writeInterventionsCsv(const QString& path, const InterventionStore& store) {
    requireRows(store);
    writeFileAtomically(path.toStdString(), interventionsCsv(store));
}

void writeInterventionsJson(const QString& path, const InterventionStore& store,
                            const std::string& modelName) {
    requireRows(store);
    writeFileAtomically(path.toStdString(), interventionsJson(store, modelName).dump(2) + "\n");
}

InterventionFigureContent interventionFigureContent(const InterventionStore& store,
                                                    const QString& colormap,
                                                    const QString& footer) {
    requireRows(store);
    std::vector<int> rows;
    for (int i = 0; i < store.count(); ++i) {
        if (store.staleReason(i).isEmpty())
            rows.push_back(i);
    }
    if (rows.empty()) {
        for (int i = 0; i < store.count(); ++i)
            rows.push_back(i);
    }
    InterventionFigureContent content;
    content.title = QString::fromStdString(store.at(rows.front())->request.prompt);
    content.colormap = colormap;
    content.footer = footer;
    for (const int i : rows) {
        const InterventionOutcome& o = *store.at(i);
        InterventionFigureRow row;
        row.word = QString::fromStdString(o.word);
        row.edit = editText(o.request, o.word);
        row.original = toQImage(o.request.image ? *o.request.image : o.regenerated);
        row.edited = toQImage(o.edited);
        row.change = changeImage(o, ChangeSource::Latent, colormap);
        row.predicted = predictedImage(o, colormap);
        row.cmiBits = o.cmiBits;
        row.cmiSeBits = o.cmiSeBits;
        row.cmiStandardBits = o.cmiStandardBits;
        row.cmiStandardSeBits = o.cmiStandardSeBits;
        row.totalChange = o.totalChange;
        row.pixelRInformation = o.pixelRInformation;
        row.pixelRAttention = o.pixelRAttention;
        content.rows.push_back(std::move(row));
    }
    return content;
}

}  // namespace infolens::ui
