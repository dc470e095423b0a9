#include "BatchRunner.h"

#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "InterveneOutput.h"
#include "MapsOutput.h"
#include "infolens/Error.h"
#include "infolens/engine/InfoEngine.h"
#include "infolens/engine/Intervention.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/model/ImageTensor.h"
#include "infolens/model/Model.h"

namespace infolens::cli {

namespace {

namespace fs = std::filesystem;
constexpr char kResultFile[] = "result.json";

std::uint64_t fnv1a(const std::string& text) {
    std::uint64_t h = 1469598103934665603ull;
    for (const char c : text) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    return h;
}

nlohmann::json readJson(const fs::path& path) {
    const std::vector<unsigned char> bytes = readFileBytes(path.string());
    try {
        return nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& e) {
        throw FormatError("'" + path.string() + "' is not valid JSON: " + e.what());
    }
}

// One quantity of a results row: i_o and i_s with their standard errors, in nats.
nlohmann::json quantity(const std::string& label, const nlohmann::json& v) {
    return {{"label", label},
            {"i_o_nats", v["nats"]},
            {"i_o_se_nats", v["se_nats"]},
            {"i_s_nats", v["standard_nats"]},
            {"i_s_se_nats", v["standard_se_nats"]}};
}

nlohmann::json provenance(const Model& model, const BatchSettings& settings, std::uint64_t seed) {
    return {{"model", {{"name", model.name}, {"kind", model.kind}, {"hash", model.hash}}},
            {"seed", seed},
            {"run_seed", settings.seed},
            {"sampler", toString(settings.sampler)},
            {"samples", settings.samples},
            {"device", deviceName(model.placement.device)},
            {"dtype", dtypeName(model.placement.dtype)}};
}

// The task's outputs in `dir`; returns the results row's task-specific fields.
nlohmann::json runTask(BatchWorker& worker, const BatchItem& item, const BatchSettings& settings,
                       std::uint64_t seed, const fs::path& dir) {
    Model& model = *worker.model;
    nlohmann::json row;
    if (settings.task == BatchTask::Maps || settings.task == BatchTask::Values) {
        MapsRequest request;
        request.image = item.path;
        request.source = item.image;
        request.prompt = item.prompt;
        request.words = item.words;
        request.settings.samples = settings.samples;
        request.settings.seed = seed;
        request.settings.sampler = settings.sampler;
        request.writeMaps = settings.task == BatchTask::Maps;
        const nlohmann::json values =
            computeAndWriteMaps(model, *worker.engine, request, dir.string());
        nlohmann::json quantities = nlohmann::json::array({quantity("mi", values["mi"])});
        for (const nlohmann::json& w : values["words"])
            quantities.push_back(quantity(w["word"].get<std::string>(), w));
        row["quantities"] = quantities;
        row["evaluations"] = values["evaluations"];
        row["unknown_words"] = values["unknown_words"];
        return row;
    }
    if (settings.task == BatchTask::Rank) {
        nlohmann::json description;
        Image base;
        const torch::Tensor x = loadMapsData(model, item.path, item.image, seed, description, base);
        EngineSettings engineSettings;
        engineSettings.samples = settings.samples;
        engineSettings.seed = seed;
        engineSettings.sampler = settings.sampler;
        const Snapshot s = worker.engine->run(x, InfoPlan::captions(item.captions), engineSettings);
        // Rank by i_s (how much better each caption explains the image); i_o reported beside it.
        std::vector<int> order(s.pairs.size());
        for (std::size_t i = 0; i < order.size(); ++i)
            order[i] = static_cast<int>(i);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
            return s.pairs[static_cast<std::size_t>(a)].is.value >
                   s.pairs[static_cast<std::size_t>(b)].is.value;
        });
        nlohmann::json ranking = nlohmann::json::array();
        nlohmann::json quantities = nlohmann::json::array();
        for (std::size_t r = 0; r < order.size(); ++r) {
            const PairResult& p = s.pairs[static_cast<std::size_t>(order[r])];
            const nlohmann::json q = {{"nats", p.io.value},
                                      {"se_nats", p.io.se},
                                      {"standard_nats", p.is.value},
                                      {"standard_se_nats", p.is.se}};
            ranking.push_back({{"rank", r + 1},
                               {"caption", p.pair.label},
                               {"index", order[r]},
                               {"i_s_nats", p.is.value},
                               {"i_s_se_nats", p.is.se},
                               {"i_o_nats", p.io.value},
                               {"i_o_se_nats", p.io.se}});
            quantities.push_back(quantity(p.pair.label, q));
        }
        nlohmann::json file = provenance(model, settings, seed);
        file["source"] = description;
        file["ranked_by"] = "i_s (standard form), nats";
        file["evaluations"] = s.evaluations;
        file["ranking"] = ranking;
        fs::create_directories(dir);
        writeFileAtomically((dir / "ranking.json").string(), file.dump(2) + "\n");
        row["quantities"] = quantities;
        row["evaluations"] = s.evaluations;
        row["top_caption"] = ranking.empty() ? nlohmann::json() : ranking[0]["caption"];
        return row;
    }
    // Intervene: remove the item's word, regenerate, compare with its map.
    if (!model.worksOnImages())
        throw Error("model '" + model.name + "' does not work on images");
    InterventionEdit edit;
    edit.word = resolveWord(item.word, model.textEncoder->tokenize(item.prompt));
    InterventionSettings is;
    is.steps = settings.steps;
    is.engine.samples = std::max(2, settings.samples);
    is.engine.seed = seed;
    is.engine.sampler = settings.sampler;
    is.attention.seed = seed;
    std::string notice;
    const Image loaded =
        fitImage(loadImage(item.path), model.imageWidth, model.imageHeight, &notice);
    const InterventionResult r =
        runIntervention(model, *worker.inversions, imageToTensor(loaded), item.prompt, edit, is);
    writeInterventionOutputs(dir.string(), model, r, edit, is, std::nullopt);
    row["quantities"] = nlohmann::json::array({{{"label", r.word},
                                                {"i_o_nats", r.cmi.value},
                                                {"i_o_se_nats", r.cmi.se},
                                                {"i_s_nats", r.cmiStandard.value},
                                                {"i_s_se_nats", r.cmiStandard.se}}});
    row["evaluations"] = r.evaluations;
    row["edited_prompt"] = r.edited;
    // The regenerated images depend on the DDIM steps: part of the row's provenance.
    row["steps"] = settings.steps;
    return row;
}

std::string partialName(const std::string& id) {
    char host[256] = {0};
    ::gethostname(host, sizeof host - 1);
    return id + "." + host + "." + std::to_string(::getpid());
}

}  // namespace

BatchWorker::BatchWorker(std::shared_ptr<Model> m)
    : model(std::move(m)),
      engine(std::make_unique<InfoEngine>(model->denoiser, model->textEncoder)),
      inversions(std::make_unique<InversionCache>(2)) {}

BatchWorker::~BatchWorker() = default;

std::uint64_t itemSeed(std::uint64_t seed, const std::string& id) {
    return mixSeed(seed, fnv1a(id));
}

std::string itemFolder(const std::string& outDir, const std::string& id) {
    return (fs::path(outDir) / "items" / id).string();
}

bool itemComplete(const std::string& outDir, const std::string& id) {
    return fs::is_regular_file(fs::path(itemFolder(outDir, id)) / kResultFile);
}

bool runBatchItem(BatchWorker& worker, const BatchItem& item, const BatchSettings& settings,
                  std::string& error) {
    const fs::path out(settings.outDir);
    const fs::path partial = out / ".partial" / partialName(item.id);
    const fs::path failed = out / "failed" / (item.id + ".json");
    const std::uint64_t seed = itemSeed(settings.seed, item.id);
    nlohmann::json row = {{"id", item.id},
                          {"line", item.line},
                          {"image", item.image},
                          {"prompt", item.prompt},
                          {"task", toString(settings.task)}};
    row.update(provenance(*worker.model, settings, seed));
    try {
        fs::remove_all(partial);
        fs::create_directories(partial);
        row.update(runTask(worker, item, settings, seed, partial));
        // result.json last, then one rename: a folder under items/ is always complete.
        writeFileAtomically((partial / kResultFile).string(), row.dump(2) + "\n");
        fs::create_directories(out / "items");
        std::error_code ec;
        fs::rename(partial, itemFolder(settings.outDir, item.id), ec);
        if (ec) {
            // Another process finished the same item first (overlapping shards): same bytes.
            if (!itemComplete(settings.outDir, item.id))
                throw IoError("cannot move " + partial.string() + " to " +
                              itemFolder(settings.outDir, item.id) + ": " + ec.message());
            fs::remove_all(partial);
        }
        fs::remove(failed, ec);
        return true;
    } catch (const std::exception& e) {
        // Item failures (bad image, unknown word, model errors) are recorded; the run goes on.
        error = e.what();
        std::error_code ec;
        fs::remove_all(partial, ec);
        row["error"] = error;
        fs::create_directories(failed.parent_path(), ec);
        writeFileAtomically(failed.string(), row.dump(2) + "\n");
        return false;
    }
}

namespace {

std::string csvField(const nlohmann::json& v) {
    std::string text;
    if (v.is_null())
        return "";
    text = v.is_string() ? v.get<std::string>() : v.dump();
    if (text.find_first_of(",\"\n") == std::string::npos)
        return text;
    std::string quoted = "\"";
    for (const char c : text)
        quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

}  // namespace

int mergeBatchResults(const Manifest& manifest, const std::string& outDir) {
    const fs::path out(outDir);
    std::string jsonl;
    std::ostringstream csv;
    csv << "id,line,task,label,i_o_nats,i_o_se_nats,i_s_nats,i_s_se_nats,seed,sampler,samples,"
           "evaluations,model_hash,device,dtype,error\n";
    int errors = 0;
    for (const Manifest::Entry& entry : manifest.order) {
        nlohmann::json row;
        if (!entry.isItem) {
            const ManifestProblem& p = manifest.problems[static_cast<std::size_t>(entry.index)];
            row = {{"line", p.line},
                   {"error", "line " + std::to_string(p.line) + ": " + p.message}};
            if (!p.id.empty())
                row["id"] = p.id;
        } else {
            const BatchItem& item = manifest.items[static_cast<std::size_t>(entry.index)];
            const fs::path done = fs::path(itemFolder(outDir, item.id)) / kResultFile;
            const fs::path failed = out / "failed" / (item.id + ".json");
            if (fs::is_regular_file(done)) {
                row = readJson(done);
            } else if (fs::is_regular_file(failed)) {
                row = readJson(failed);
            } else {
                row = {{"id", item.id}, {"line", item.line}, {"error", "not run yet"}};
            }
        }
        if (row.contains("error"))
            ++errors;
        jsonl += row.dump() + "\n";
        const auto field = [&](const char* key) {
            return row.contains(key) ? csvField(row[key]) : std::string();
        };
        const std::string tail = field("seed") + "," + field("sampler") + "," + field("samples") +
                                 "," + field("evaluations") + "," +
                                 (row.contains("model") ? csvField(row["model"]["hash"]) : "") +
                                 "," + field("device") + "," + field("dtype") + "," +
                                 field("error") + "\n";
        const std::string head = field("id") + "," + field("line") + "," + field("task") + ",";
        if (!row.contains("quantities") || row["quantities"].empty()) {
            csv << head << ",,,,," << tail;
            continue;
        }
        for (const nlohmann::json& q : row["quantities"]) {
            csv << head << csvField(q["label"]) << "," << csvField(q["i_o_nats"]) << ","
                << csvField(q["i_o_se_nats"]) << "," << csvField(q["i_s_nats"]) << ","
                << csvField(q["i_s_se_nats"]) << "," << tail;
        }
    }
    writeFileAtomically((out / "results.jsonl").string(), jsonl);
    writeFileAtomically((out / "results.csv").string(), csv.str());
    return errors;
}

}  // namespace infolens::cli
