#include "pipeline/mpi/trial_gather.hpp"

#include <mpi.h>

#include <stdexcept>

namespace ionscreen::pipeline {
namespace {

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) throw std::runtime_error(std::string(what) + " failed");
}

}  // namespace

std::vector<std::vector<std::int64_t>> gather_trials(std::vector<std::vector<std::int64_t>> mine,
                                                     int rank, int ranks) {
  if (ranks <= 1) return mine;
  const int trials = static_cast<int>(mine.size());
  // This rank's trials, in trial order, as [length, items..., length, items...].
  std::vector<std::int64_t> flat;
  for (int t = 0; t < trials; ++t)
    if (runs_trial(t, rank, ranks)) {
      flat.push_back(static_cast<std::int64_t>(mine[static_cast<std::size_t>(t)].size()));
      flat.insert(flat.end(), mine[static_cast<std::size_t>(t)].begin(),
                  mine[static_cast<std::size_t>(t)].end());
    }
  const int count = static_cast<int>(flat.size());
  std::vector<int> counts(static_cast<std::size_t>(ranks)),
      offsets(static_cast<std::size_t>(ranks));
  check(MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Gather");
  std::vector<std::int64_t> all;
  if (rank == 0) {
    int total = 0;
    for (int r = 0; r < ranks; ++r)
      offsets[static_cast<std::size_t>(r)] = total, total += counts[static_cast<std::size_t>(r)];
    all.resize(static_cast<std::size_t>(total));
  }
  check(MPI_Gatherv(flat.data(), count, MPI_INT64_T, all.data(), counts.data(), offsets.data(),
                    MPI_INT64_T, 0, MPI_COMM_WORLD),
        "MPI_Gatherv");
  if (rank != 0) return {};
  std::vector<std::vector<std::int64_t>> out(static_cast<std::size_t>(trials));
  for (int r = 0; r < ranks; ++r) {
    std::size_t at = static_cast<std::size_t>(offsets[static_cast<std::size_t>(r)]);
    for (int t = r; t < trials; t += ranks) {
      const auto n = static_cast<std::size_t>(all[at++]);
      out[static_cast<std::size_t>(t)].assign(all.begin() + static_cast<std::ptrdiff_t>(at),
                                              all.begin() + static_cast<std::ptrdiff_t>(at + n));
      at += n;
    }
  }
  return out;
}

}  // namespace ionscreen::pipeline
