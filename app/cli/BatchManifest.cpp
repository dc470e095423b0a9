#include "BatchManifest.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "Commands.h"
#include "infolens/Error.h"

namespace infolens::cli {

namespace {

namespace fs = std::filesystem;

// Ids name folders: letters, digits, '-', '_' and '.', not starting with '.'.
bool safeId(const std::string& id) {
    if (id.empty() || id.size() > 120 || id.front() == '.')
        return false;
    for (const char c : id) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

std::vector<std::string> stringList(const nlohmann::json& j, const char* key) {
    std::vector<std::string> out;
    if (!j.contains(key))
        return out;
    const nlohmann::json& v = j.at(key);
    if (!v.is_array())
        throw Error(std::string("\"") + key + "\" must be a list of strings");
    for (const nlohmann::json& s : v) {
        if (!s.is_string())
            throw Error(std::string("\"") + key + "\" must be a list of strings");
        out.push_back(s.get<std::string>());
    }
    return out;
}

std::string requiredString(const nlohmann::json& j, const char* key) {
    if (!j.contains(key) || !j.at(key).is_string() || j.at(key).get<std::string>().empty())
        throw Error(std::string("missing \"") + key + "\" (a non-empty string)");
    return j.at(key).get<std::string>();
}

BatchItem parseItem(const std::string& text, int line, const fs::path& folder, BatchTask task,
                    std::string& id) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw Error(std::string("invalid JSON: ") + e.what());
    }
    if (!j.is_object())
        throw Error("not a JSON object");
    if (j.contains("id")) {
        if (!j["id"].is_string() || !safeId(j["id"].get<std::string>()))
            throw Error("\"id\" must be a string of letters, digits, '-', '_' or '.'");
        id = j["id"].get<std::string>();
    }
    BatchItem item;
    item.line = line;
    item.id = id.empty() ? "line-" + std::to_string(line) : id;
    item.image = requiredString(j, "image");
    item.prompt = requiredString(j, "prompt");
    item.words = stringList(j, "words");
    item.captions = stringList(j, "captions");
    if (j.contains("word")) {
        if (!j["word"].is_string())
            throw Error("\"word\" must be a string");
        item.word = j["word"].get<std::string>();
    }
    if (task == BatchTask::Rank && item.captions.empty())
        throw Error("task rank needs \"captions\" (a non-empty list)");
    if (task == BatchTask::Intervene && item.word.empty())
        throw Error("task intervene needs \"word\"");
    const fs::path image(item.image);
    item.path = (image.is_absolute() ? image : folder / image).string();
    if (item.image != "sample" && !fs::is_regular_file(item.path))
        throw Error("image '" + item.image + "' not found (looked for " + item.path + ")");
    return item;
}

}  // namespace

BatchTask batchTaskFromString(const std::string& name) {
    if (name == "maps")
        return BatchTask::Maps;
    if (name == "values")
        return BatchTask::Values;
    if (name == "rank")
        return BatchTask::Rank;
    if (name == "intervene")
        return BatchTask::Intervene;
    throw UsageError("--task must be maps, values, rank or intervene, not '" + name + "'");
}

const char* toString(BatchTask task) {
    switch (task) {
        case BatchTask::Maps:
            return "maps";
        case BatchTask::Values:
            return "values";
        case BatchTask::Rank:
            return "rank";
        case BatchTask::Intervene:
            return "intervene";
    }
    return "maps";
}

Manifest readManifest(const std::string& path, BatchTask task) {
    std::ifstream in(path);
    if (!in)
        throw IoError("cannot read the manifest '" + path + "'");
    Manifest manifest;
    manifest.path = path;
    const fs::path folder = fs::path(path).parent_path();
    std::set<std::string> ids;
    std::string text;
    int line = 0;
    while (std::getline(in, text)) {
        ++line;
        if (text.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        std::string id;
        try {
            BatchItem item = parseItem(text, line, folder, task, id);
            if (!ids.insert(item.id).second)
                throw Error("id '" + item.id + "' repeats an earlier line's");
            manifest.order.push_back({true, static_cast<int>(manifest.items.size())});
            manifest.items.push_back(std::move(item));
        } catch (const Error& e) {
            manifest.order.push_back({false, static_cast<int>(manifest.problems.size())});
            manifest.problems.push_back({line, id, e.what()});
        }
    }
    return manifest;
}

}  // namespace infolens::cli
