#pragma once
/// Collecting per-trial results on rank 0 when trials are dealt round-robin over MPI ranks
/// (trial t on rank t % ranks). Without MPI (ranks == 1) it returns its input.
#include <cstdint>
#include <vector>

namespace ionscreen::pipeline {

/// The rank that runs trial t of `ranks`: t % ranks (a pure function, unit-testable).
inline bool runs_trial(int trial, int rank, int ranks) { return trial % ranks == rank; }

/// Collective over MPI_COMM_WORLD when ranks > 1. `mine[t]` holds trial t's sequence for the
/// trials this rank ran (others empty); rank 0 gets every trial's, the other ranks nothing.
std::vector<std::vector<std::int64_t>> gather_trials(std::vector<std::vector<std::int64_t>> mine,
                                                     int rank, int ranks);

}  // namespace ionscreen::pipeline
