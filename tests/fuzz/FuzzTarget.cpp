// libFuzzer entry point; INFOLENS_FUZZ_ENTRY (set per target in CMakeLists.txt) picks the entry.
#include "FuzzEntries.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    infolens::fuzz::INFOLENS_FUZZ_ENTRY(data, size);
    return 0;
}
