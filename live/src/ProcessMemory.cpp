#include "infolens/live/ProcessMemory.h"

#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace infolens {

namespace {
// Two arenas: the UI (or CLI) thread and the worker thread. The soak with four model reloads per
// 1000 edits grew 1.6 MB per 100 edits with glibc's default and stayed flat with two.
constexpr int kMallocArenas = 2;
}  // namespace

void limitMallocArenas() {
#if defined(__GLIBC__)
    if (std::getenv("MALLOC_ARENA_MAX") == nullptr)
        mallopt(M_ARENA_MAX, kMallocArenas);
#endif
}

void releaseFreedMemory() {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

}  // namespace infolens
