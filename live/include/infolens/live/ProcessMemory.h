#pragma once

namespace infolens {

// glibc gives each thread that allocates its own malloc arena (up to 8 per core) and keeps what is
// freed there for reuse. Every model load runs on a new worker thread, so without a limit each
// reload can leave its weights' worth of pages resident in yet another arena. Call once at the top
// of main, before any thread starts; a MALLOC_ARENA_MAX in the environment wins. No-op off glibc.
void limitMallocArenas();

// Returns memory that free() kept to the system (all arenas). Called after a model is unloaded.
void releaseFreedMemory();

}  // namespace infolens
