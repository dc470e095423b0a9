#include "infolens/io/ResultExport.h"

#include <charconv>
#include <cstdint>
#include <filesystem>

#include "infolens/Error.h"
#include "infolens/io/AtomicFile.h"
#include "infolens/io/Npy.h"

namespace infolens {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
// Written in reading order (format, prompt, values, provenance last) rather than sorted.
using ordered = nlohmann::ordered_json;

void requireValid(const std::string& path, const LiveResult& result) {
    if (!result.error.empty()) {
        throw Error("cannot export to '" + path + "': the computation failed (" + result.error +
                    ")");
    }
}

const char* modeName(WordMode mode) {
    return mode == WordMode::Placeholder ? "placeholder" : "omit";
}

const char* kindOf(const WordResult& word) {
    return word.span.isWord ? "word" : "symbol";
}

// Shortest round-trip text, so a value read back from the CSV is the double that was computed.
std::string numberText(double value) {
    char buffer[64];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return ec == std::errc() ? std::string(buffer, end) : std::string("nan");
}

std::string csvField(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos)
        return text;
    std::string quoted = "\"";
    for (const char c : text) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

ordered valuesOf(const WordResult& w) {
    return {{"bits", w.bits},
            {"seBits", w.seBits},
            {"standardBits", w.standardBits},
            {"standardSeBits", w.standardSeBits}};
}

// nlohmann throws on invalid UTF-8 when dumping; a prompt from the app is valid UTF-8, but a
// result built elsewhere might not be, and the user should get a message rather than a crash.
std::string dumpJson(const std::string& path, const ordered& j) {
    try {
        return j.dump(2) + "\n";
    } catch (const json::exception& e) {
        throw Error("cannot export to '" + path + "': " + e.what());
    }
}

// Provenance arrives as nlohmann::json (keys sorted); the document around it keeps its order.
ordered reordered(const std::string& path, const json& j) {
    try {
        return ordered::parse(j.dump());
    } catch (const json::exception& e) {
        throw Error("cannot export to '" + path + "': " + e.what());
    }
}

// Names the target in every failure; writeFileAtomically's own message names its temporary.
template <class Write>
void writeNamed(const std::string& path, Write&& write) {
    const fs::path folder = fs::absolute(path).parent_path();
    std::error_code ec;
    if (!fs::is_directory(folder, ec))
        throw Error("cannot export to '" + path + "': the folder '" + folder.string() +
                    "' does not exist");
    try {
        write();
    } catch (const Error& e) {
        throw Error("cannot export to '" + path + "': " + e.what());
    }
}

}  // namespace

void writeMapsNpy(const std::string& path, const LiveResult& result) {
    requireValid(path, result);
    const std::size_t cells = result.mapWidth > 0 && result.mapHeight > 0
                                  ? std::size_t(result.mapWidth) * std::size_t(result.mapHeight)
                                  : 0;
    if (cells == 0 || result.mi.map.empty())
        throw Error("cannot export maps to '" + path + "': the result has no maps yet");
    std::vector<float> values;
    values.reserve(cells * (result.words.size() + 1));
    auto append = [&](const WordResult& w, const std::string& what) {
        if (w.map.size() != cells) {
            throw Error("cannot export maps to '" + path + "': the map of " + what + " has " +
                        std::to_string(w.map.size()) + " values, expected " +
                        std::to_string(result.mapWidth) + " x " + std::to_string(result.mapHeight));
        }
        values.insert(values.end(), w.map.begin(), w.map.end());
    };
    append(result.mi, "the whole prompt");
    for (std::size_t k = 0; k < result.words.size(); ++k)
        append(result.words[k],
               "word " + std::to_string(k + 1) + " '" + result.words[k].text + "'");
    const std::vector<std::int64_t> shape = {std::int64_t(result.words.size() + 1),
                                             result.mapHeight, result.mapWidth};
    writeNamed(path, [&] { writeNpyFloat32(path, values, shape); });
}

void writeValuesCsv(const std::string& path, const LiveResult& result) {
    requireValid(path, result);
    std::string text =
        "index,word,kind,begin,end,mode,unknown,i_o_bits,i_o_se_bits,i_s_bits,i_s_se_bits\n";
    auto row = [&](std::size_t index, const std::string& word, const char* kind, int begin, int end,
                   const char* mode, bool unknown, const WordResult& w) {
        text += std::to_string(index) + "," + csvField(word) + "," + kind + "," +
                std::to_string(begin) + "," + std::to_string(end) + "," + mode + "," +
                (unknown ? "true" : "false") + "," + numberText(w.bits) + "," +
                numberText(w.seBits) + "," + numberText(w.standardBits) + "," +
                numberText(w.standardSeBits) + "\n";
    };
    row(0, result.prompt, "mi", 0, static_cast<int>(result.prompt.size()), "", false, result.mi);
    for (std::size_t k = 0; k < result.words.size(); ++k) {
        const WordResult& w = result.words[k];
        row(k + 1, w.text, kindOf(w), w.span.begin, w.span.end, modeName(w.mode), w.unknown, w);
    }
    writeNamed(path, [&] { writeFileAtomically(path, text); });
}

void writeValuesJson(const std::string& path, const LiveResult& result, const json& provenance) {
    requireValid(path, result);
    if (!provenance.is_object() && !provenance.is_null())
        throw Error("cannot export to '" + path + "': the provenance must be a JSON object");
    ordered words = ordered::array();
    for (std::size_t k = 0; k < result.words.size(); ++k) {
        const WordResult& w = result.words[k];
        ordered entry = {{"index", k + 1},          {"text", w.text},    {"begin", w.span.begin},
                         {"end", w.span.end},       {"kind", kindOf(w)}, {"unknown", w.unknown},
                         {"mode", modeName(w.mode)}};
        entry.update(valuesOf(w));
        words.push_back(std::move(entry));
    }
    ordered mi = {{"text", result.prompt}};
    mi.update(valuesOf(result.mi));
    const ordered j = {
        {"format", "infolens-values"},
        {"version", 1},
        {"units", "bits"},
        {"forms",
         {{"bits",
           "i_o, the orthogonal form: how far the text moves the model's prediction "
           "(never negative); the maps are i_o"},
          {"standardBits",
           "i_s, the standard form: log p(image | text) - log p(image | without "
           "it), how much better the text explains the image (can be "
           "negative)"}}},
        {"prompt", result.prompt},
        {"drawsDone", result.drawsDone},
        {"sampleCap", result.sampleCap},
        {"evaluations", result.evaluations},
        {"finished", result.finished},
        {"converged", result.converged},
        {"elapsedMs", result.elapsedMs},
        {"map",
         {{"width", result.mapWidth},
          {"height", result.mapHeight},
          {"imagePixelsPerCell", result.imagePixelsPerCell}}},
        {"mi", std::move(mi)},
        {"words", std::move(words)},
        {"provenance", provenance.is_null() ? ordered::object() : reordered(path, provenance)},
    };
    const std::string text = dumpJson(path, j);
    writeNamed(path, [&] { writeFileAtomically(path, text); });
}

}  // namespace infolens
