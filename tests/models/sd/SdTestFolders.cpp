#include "SdTestFolders.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "infolens/io/SafeTensors.h"

#include <unistd.h>

namespace fs = std::filesystem;

namespace infolens::sdtest {

std::string dataFile(const std::string& name) {
    return std::string(INFOLENS_SOURCE_DIR) + "/tests/data/sd/" + name;
}

TempDir::TempDir(const std::string& tag) {
    static std::atomic<int> counter{0};
    const fs::path p =
        fs::temp_directory_path() /
        ("infolens-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(p);
    fs::create_directories(p);
    m_path = p.string();
}

TempDir::~TempDir() {
    std::error_code error;
    fs::remove_all(m_path, error);
}

void writeText(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out)
        throw std::runtime_error("cannot write " + path);
}

void writeDiffusersCopy(int version, const std::string& folder) {
    const fs::path recipeDir = dataFile("tiny-sd" + std::to_string(version) + "-diffusers");
    for (const auto& entry : fs::recursive_directory_iterator(recipeDir)) {
        if (!entry.is_regular_file() || entry.path().filename() == "weights.json")
            continue;
        const fs::path target = fs::path(folder) / fs::relative(entry.path(), recipeDir);
        fs::create_directories(target.parent_path());
        fs::copy_file(entry.path(), target, fs::copy_options::overwrite_existing);
    }
    std::ifstream in(recipeDir / "weights.json");
    std::stringstream text;
    text << in.rdbuf();
    const nlohmann::json recipe = nlohmann::json::parse(text.str());
    const SafeTensorsFile source(dataFile(recipe.at("source").get<std::string>()));
    for (const auto& [file, entries] : recipe.at("files").items()) {
        std::vector<SafeTensorToWrite> tensors;
        for (const nlohmann::json& e : entries) {
            const TensorInfo* t = source.find(e.at(1).get<std::string>());
            if (!t)
                throw std::runtime_error("recipe names a missing tensor");
            std::vector<unsigned char> bytes(t->end - t->begin);
            source.copyBytes(*t, bytes.data());
            if (!e.at(3).is_null()) {
                const std::size_t row = bytes.size() / static_cast<std::size_t>(t->shape.at(0));
                const auto first = e.at(3).at(0).get<std::size_t>() * row;
                const auto end = e.at(3).at(1).get<std::size_t>() * row;
                bytes = std::vector<unsigned char>(bytes.begin() + first, bytes.begin() + end);
            }
            tensors.push_back(SafeTensorToWrite{e.at(0).get<std::string>(), t->dtype,
                                                e.at(2).get<std::vector<std::int64_t>>(),
                                                std::move(bytes)});
        }
        writeText((fs::path(folder) / file).string(), encodeSafeTensors(tensors, {}));
    }
}

}  // namespace infolens::sdtest
