// The only file that includes MPI. Without INFOLENS_WITH_MPI it provides the single-process
// communicator alone.
#include <chrono>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>

#include "BatchComm.h"
#include "infolens/Error.h"

#ifdef INFOLENS_WITH_MPI
#include <mpi.h>
#endif

namespace infolens::cli {

namespace {

class LocalComm : public BatchComm {
  public:
    int rank() const override { return 0; }
    int size() const override { return 1; }
    int localRank() const override { return 0; }
    std::int64_t nextIndex() override { return m_next++; }
    void itemDone() override { ++m_done; }
    std::int64_t doneCount() override { return m_done; }
    void waitAll(const std::function<void()>&, int) override {}
    int broadcast(int value) override { return value; }

  private:
    std::int64_t m_next = 0;
    std::int64_t m_done = 0;
};

#ifdef INFOLENS_WITH_MPI

void check(int code, const char* what) {
    if (code != MPI_SUCCESS)
        throw Error(std::string("MPI: ") + what + " failed");
}

// Two counters in a window on rank 0 (next item, items done), advanced with passive-target
// MPI_Fetch_and_op: a rank that is free takes the next index itself, so rank 0 works on items too
// and no rank spins waiting for a server.
class MpiComm : public BatchComm {
  public:
    MpiComm() {
        int provided = 0;
        check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init");
        MPI_Comm_rank(MPI_COMM_WORLD, &m_rank);
        MPI_Comm_size(MPI_COMM_WORLD, &m_size);
        MPI_Comm local;
        MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, m_rank, MPI_INFO_NULL, &local);
        MPI_Comm_rank(local, &m_localRank);
        MPI_Comm_free(&local);
        const MPI_Aint bytes = m_rank == 0 ? 2 * sizeof(std::int64_t) : 0;
        check(MPI_Win_allocate(bytes, sizeof(std::int64_t), MPI_INFO_NULL, MPI_COMM_WORLD, &m_base,
                               &m_window),
              "MPI_Win_allocate");
        if (m_rank == 0) {
            MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, m_window);
            m_base[0] = 0;
            m_base[1] = 0;
            MPI_Win_unlock(0, m_window);
        }
        MPI_Barrier(MPI_COMM_WORLD);
        MPI_Win_lock_all(0, m_window);
    }
    ~MpiComm() override {
        // A rank leaving with an error (e.g. the model failed to load) would leave the others
        // waiting in waitAll() forever: end the whole job instead.
        if (std::uncaught_exceptions() > 0)
            MPI_Abort(MPI_COMM_WORLD, 1);
        MPI_Win_unlock_all(m_window);
        MPI_Win_free(&m_window);
        MPI_Finalize();
    }
    int rank() const override { return m_rank; }
    int size() const override { return m_size; }
    int localRank() const override { return m_localRank; }
    std::int64_t nextIndex() override { return fetchAdd(0, 1); }
    void itemDone() override { fetchAdd(1, 1); }
    std::int64_t doneCount() override { return fetchAdd(1, 0); }
    void waitAll(const std::function<void()>& idle, int periodMs) override {
        MPI_Request request;
        MPI_Ibarrier(MPI_COMM_WORLD, &request);
        auto last = std::chrono::steady_clock::now();
        for (;;) {
            int done = 0;
            MPI_Test(&request, &done, MPI_STATUS_IGNORE);
            if (done)
                return;
            // A blocking barrier would busy-poll a core the other ranks need.
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (idle &&
                std::chrono::steady_clock::now() - last > std::chrono::milliseconds(periodMs)) {
                idle();
                last = std::chrono::steady_clock::now();
            }
        }
    }
    int broadcast(int value) override {
        MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
        return value;
    }

  private:
    std::int64_t fetchAdd(int slot, std::int64_t add) {
        std::int64_t old = 0;
        MPI_Fetch_and_op(&add, &old, MPI_INT64_T, 0, slot, add == 0 ? MPI_NO_OP : MPI_SUM,
                         m_window);
        MPI_Win_flush(0, m_window);
        return old;
    }
    int m_rank = 0;
    int m_size = 1;
    int m_localRank = 0;
    std::int64_t* m_base = nullptr;
    MPI_Win m_window = MPI_WIN_NULL;
};

bool launchedByMpirun() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
        if (std::getenv(name))
            return true;
    }
    return false;
}

#endif

}  // namespace

bool batchHasMpi() {
#ifdef INFOLENS_WITH_MPI
    return true;
#else
    return false;
#endif
}

std::unique_ptr<BatchComm> makeBatchComm() {
#ifdef INFOLENS_WITH_MPI
    if (launchedByMpirun())
        return std::make_unique<MpiComm>();
#endif
    return std::make_unique<LocalComm>();
}

}  // namespace infolens::cli
