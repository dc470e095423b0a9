#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

// One entry function per input path (FuzzEntriesIo.cpp: files read by io/, no LibTorch;
// FuzzEntriesModel.cpp: bundles and tokenizers). libFuzzer targets (fuzz_<name>.cpp,
// -DINFOLENS_FUZZ=ON, clang) call them with mutated bytes; the corpus replay (FuzzReplay.cpp, every
// build) calls them with each committed corpus file. An entry returns normally when the input is
// accepted or refused with infolens::Error (the documented outcome); anything else (another
// exception, a broken invariant: std::abort, a sanitizer report) is a finding.
namespace infolens::fuzz {

using Entry = void (*)(const std::uint8_t* data, std::size_t size);

void image(const std::uint8_t* data, std::size_t size);        // decodeImage
void session(const std::uint8_t* data, std::size_t size);      // parseSession (+ round trip)
void npy(const std::uint8_t* data, std::size_t size);          // parseNpyFloat32
void bundle(const std::uint8_t* data, std::size_t size);       // parseBundleManifest
void safetensors(const std::uint8_t* data, std::size_t size);  // parseSafeTensors
void prompt(const std::uint8_t* data, std::size_t size);       // segmentPrompt, WordTokenizer, CLIP

// An invariant of an accepted input; a failure aborts so both libFuzzer and the replay see it.
inline void require(bool condition) {
    if (!condition)
        std::abort();
}

struct Target {
    const char* name;  // also the corpus folder: corpus/<name>/
    Entry entry;
};
const std::vector<Target>& targets();

}  // namespace infolens::fuzz
