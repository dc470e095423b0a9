#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace infolens::cli {

// How the processes of one batch run share the items. The MPI implementation (BatchMpi.cpp, built
// with -DINFOLENS_WITH_MPI=ON) is used when the process was started by mpirun; otherwise there is
// one process and a local counter.
class BatchComm {
  public:
    virtual ~BatchComm() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    virtual int localRank() const = 0;  // index among the ranks on this node (picks the GPU)
    // The next item index to work on (0, 1, 2, ... across all ranks, each handed out once).
    virtual std::int64_t nextIndex() = 0;
    // Counts a finished item, and reads how many have finished on all ranks so far.
    virtual void itemDone() = 0;
    virtual std::int64_t doneCount() = 0;
    // Waits until every rank has called it, calling `idle` about every `periodMs` meanwhile
    // (rank 0 prints progress there) without spinning a core.
    virtual void waitAll(const std::function<void()>& idle, int periodMs) = 0;
    // Rank 0's value on every rank.
    virtual int broadcast(int value) = 0;
};

// MPI when built with it and launched by mpirun (OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK in
// the environment), else a single-process communicator.
std::unique_ptr<BatchComm> makeBatchComm();
// Whether this build can use MPI at all.
bool batchHasMpi();

}  // namespace infolens::cli
