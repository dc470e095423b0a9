#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "BatchManifest.h"
#include "infolens/engine/LogSnrSampler.h"

namespace infolens {
struct Model;
class InfoEngine;
class InversionCache;
}  // namespace infolens

namespace infolens::cli {

struct BatchSettings {
    BatchTask task = BatchTask::Maps;
    int samples = 256;
    std::uint64_t seed = 0;
    SamplerKind sampler = SamplerKind::Stratified;
    int steps = 50;  // intervene: DDIM steps
    std::string outDir;
};

// The seed of one item: the run's seed mixed with a hash of the item's id, so an item's numbers do
// not depend on which process runs it, in what order, or whether the run was restarted.
std::uint64_t itemSeed(std::uint64_t seed, const std::string& id);

// Folders under the output: items/<id>/ (complete items, each with result.json), failed/<id>.json
// (items whose last attempt failed; retried by the next run), .partial/ (work in progress).
std::string itemFolder(const std::string& outDir, const std::string& id);
bool itemComplete(const std::string& outDir, const std::string& id);

// The model and what persists between items on one process.
struct BatchWorker {
    std::shared_ptr<Model> model;
    std::unique_ptr<InfoEngine> engine;
    std::unique_ptr<InversionCache> inversions;
    explicit BatchWorker(std::shared_ptr<Model> m);
    ~BatchWorker();
};

// Runs one item into a private temporary folder and renames it to items/<id> (so a folder there is
// always complete). A failure is written to failed/<id>.json and returned as false; `error` gets
// the message.
bool runBatchItem(BatchWorker& worker, const BatchItem& item, const BatchSettings& settings,
                  std::string& error);

// Writes results.jsonl and results.csv (atomically) from the item folders, in manifest order, with
// manifest problems, failures and items not yet run as rows with "error". Returns the number of
// such rows.
int mergeBatchResults(const Manifest& manifest, const std::string& outDir);

}  // namespace infolens::cli
