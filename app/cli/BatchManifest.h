#pragma once

#include <string>
#include <vector>

namespace infolens::cli {

enum class BatchTask { Maps, Values, Rank, Intervene };
BatchTask batchTaskFromString(const std::string& name);  // throws UsageError
const char* toString(BatchTask task);

// One valid manifest line.
struct BatchItem {
    int line = 0;       // 1-based line of the manifest
    std::string id;     // "id", or "line-N" when absent: names the output folder, seeds the item
    std::string image;  // the path as written (relative to the manifest's folder)
    std::string path;   // the file to open
    std::string prompt;
    std::vector<std::string> words;     // words to decompose; empty = all
    std::vector<std::string> captions;  // rank
    std::string word;                   // intervene
};

// A manifest line that cannot run, with why.
struct ManifestProblem {
    int line = 0;
    std::string id;  // when the line gave one
    std::string message;
};

// Items and problems in manifest order: `order` lists, per non-blank line, whether it is an item
// (index into items) or a problem (index into problems).
struct Manifest {
    std::string path;
    std::vector<BatchItem> items;
    std::vector<ManifestProblem> problems;
    struct Entry {
        bool isItem = true;
        int index = 0;
    };
    std::vector<Entry> order;
};

// Reads a JSON Lines manifest: {"id"?, "image", "prompt", "words"?, "captions"?, "word"?} per
// line. Lines that are not valid JSON objects, lack what the task needs, name a missing image or
// repeat an id become problems with their line number; the rest are items. Throws
// infolens::IoError only when the manifest itself cannot be read.
Manifest readManifest(const std::string& path, BatchTask task);

}  // namespace infolens::cli
