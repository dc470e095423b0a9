// Replays every committed corpus file (corpus/<target>/*) through the fuzz entry functions,
// compiled normally: CI checks in seconds that no input found by fuzzing, and no seed, regresses.
// Usage: infolens_fuzz_replay CORPUS_DIR. Exits non-zero naming the file on an unexpected
// exception (an invariant failure or a crash ends the process with a signal).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "FuzzEntries.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: infolens_fuzz_replay CORPUS_DIR\n";
        return 2;
    }
    int files = 0;
    for (const auto& target : infolens::fuzz::targets()) {
        const fs::path folder = fs::path(argv[1]) / target.name;
        if (!fs::is_directory(folder)) {
            std::cerr << "no corpus folder " << folder << "\n";
            return 1;
        }
        int here = 0;
        for (const auto& entry : fs::directory_iterator(folder)) {
            if (!entry.is_regular_file())
                continue;
            std::ifstream in(entry.path(), std::ios::binary);
            const std::string bytes{std::istreambuf_iterator<char>(in),
                                    std::istreambuf_iterator<char>()};
            try {
                target.entry(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
            } catch (const std::exception& e) {
                std::cerr << entry.path() << ": unexpected exception: " << e.what() << "\n";
                return 1;
            }
            ++here;
        }
        if (here == 0) {
            std::cerr << "corpus folder " << folder << " is empty\n";
            return 1;
        }
        std::cout << target.name << ": " << here << " inputs\n";
        files += here;
    }
    std::cout << "replayed " << files << " inputs\n";
    return 0;
}
