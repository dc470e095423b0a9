#include <cstdlib>
#include <string>

#include "FuzzEntries.h"
#include "infolens/Error.h"
#include "infolens/model/ModelBundle.h"
#include "infolens/models/sd/ClipTokenizer.h"
#include "infolens/text/WordSpans.h"
#include "infolens/text/WordTokenizer.h"

namespace infolens::fuzz {

namespace {

const ClipTokenizer& clip() {
    static const ClipTokenizer tokenizer = ClipTokenizer::fromMergesFile(
        std::string(INFOLENS_SD_SOURCE_DATA_DIR) + "/clip-bpe-merges.txt");
    return tokenizer;
}

const WordTokenizer& words() {
    static const WordTokenizer tokenizer({"a", "red", "blue", "circle", "square", "left", "of"});
    return tokenizer;
}

}  // namespace

void bundle(const std::uint8_t* data, std::size_t size) {
    try {
        const BundleManifest m = parseBundleManifest(
            std::string(reinterpret_cast<const char*>(data), size), "/nonexistent/fuzz-bundle");
        require(m.imageWidth >= 1 && m.imageHeight >= 1 && m.dataShape.size() == 3);
        require(m.logSnrRange.hi > m.logSnrRange.lo);
        for (const auto& [role, file] : m.files)
            require(!file.path.empty() && file.path.front() != '/');
    } catch (const Error&) {
    }
}

void prompt(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        int last = 0;
        for (const Span& s : segmentPrompt(text)) {
            require(s.begin >= last && s.end > s.begin && s.end <= static_cast<int>(size));
            last = s.end;
        }
        const Tokenization t = words().tokenize(text);
        for (const Token& token : t.tokens)
            require(token.begin >= 0 && token.end <= static_cast<int>(size));
        for (const ClipToken& token : clip().encode(text))
            require(token.begin >= 0 && token.end <= static_cast<int>(size));
    } catch (const Error&) {
    }
}

const std::vector<Target>& targets() {
    static const std::vector<Target> all = {
        {"image", image},   {"session", session},         {"npy", npy},
        {"bundle", bundle}, {"safetensors", safetensors}, {"prompt", prompt},
    };
    return all;
}

}  // namespace infolens::fuzz
