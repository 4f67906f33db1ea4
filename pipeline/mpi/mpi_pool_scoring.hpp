#pragma once
/// Pool scoring shared by the ranks of an MPI communicator: the MPI side of gp's PoolScoring seam.
///
/// Rank 0 coordinates: it runs the Optimizer (GP fits, batch selection, the random stream) and
/// gives it this scorer; every other rank calls serve(), which scores its shard of the pool for
/// each proposal until rank 0 calls stop(). Every rank constructs the scorer:
///
///   pipeline::MpiSession mpi(argc, argv, true);  // MPI_Init_thread(FUNNELED) under mpirun
///   {
///     auto scoring = std::make_shared<pipeline::MpiPoolScoring>();
///     if (scoring->rank() == 0) {
///       gp::Optimizer opt(config, pool, groups);  // the pool is needed on rank 0 only
///       opt.set_pool_scoring(scoring);
///       ... opt.propose(q), opt.observe(id, y) ...
///       scoring->stop();  // the destructor does it too
///     } else {
///       scoring->serve();
///     }
///   }
///   // ~MpiSession: MPI_Finalize
///
/// Protocol. Rank 0 holds the whole pool; each other rank holds only its shard (whole blocks of
/// gp::kScoringBlock rows, gp::shard_rows), which rank 0 sends once per optimiser
/// (gp::ScoringPool::id), the first time that optimiser scores: the standardised features as the
/// Optimizer made them, the mean basis of posterior transfer, the column groups. Any number of
/// optimisers may use one scorer in turn; a new one's pool replaces the last. For each proposal
/// rank 0 broadcasts the predictor (kernel spec and hyperparameters, training inputs, weights and
/// the triangular factor: n x n + n x d numbers) and the task (acquisition, best value, the
/// ineligible, observed and pending ids); every rank, rank 0 included, scores its shard and keeps
/// its best `shortlist`; rank 0 receives the others' and merges them (score, then lower index),
/// adds the threshold counts and, in threshold search, concatenates the labels (one byte per
/// candidate). Shards are whole blocks and each block is computed the same way wherever it is, so
/// the result is bitwise that of gp::LocalPoolScoring for any number of ranks (on ranks that run
/// the same binary on the same kind of CPU).
///
/// Only the calling thread uses MPI (MPI_THREAD_FUNNELED suffices); scoring a shard uses OpenMP.
/// A rank waiting for the next request sleeps between polls (up to 2 ms), leaving its core to rank
/// 0 while it fits the GP.
///
/// Failures. A failure while scoring a shard on any rank (the kernel cannot be rebuilt, memory
/// runs out) is collective: every rank still answers, rank 0 throws MpiScoringError naming the
/// ranks and their messages, and the workers wait for the next request. A failure that leaves the
/// ranks out of step (a shard that cannot be received, a garbled request) calls MPI_Abort with a
/// message on stderr. MPI's own errors abort (its default handler).
#include <cstdint>
#include <memory>
#include <vector>

#include "gp/pool_scoring.hpp"
#include "pipeline/base/error.hpp"

namespace ionscreen::pipeline {

/// Where the time of one score() went, for logs and benchmarks.
struct ScoringTimes {
  double seconds = 0.0;           ///< wall time of the call on rank 0
  std::vector<double> shard_cpu;  ///< CPU seconds each rank (by rank) spent scoring its shard
};

/// One or more ranks failed to score their shard; every rank is still serving.
class MpiScoringError : public Error {
 public:
  explicit MpiScoringError(const std::string& message) : Error(ErrorKind::internal, message) {}
};

class MpiPoolScoring final : public gp::PoolScoring {
 public:
  /// Collective: every rank of MPI_COMM_WORLD constructs one (MPI initialised). The scorer works
  /// on a duplicate of the communicator, so its messages never meet the caller's; <mpi.h> stays
  /// in the .cpp.
  MpiPoolScoring();
  /// On rank 0, stops the workers if stop() was not called. Call it before MPI_Finalize.
  ~MpiPoolScoring() override;
  MpiPoolScoring(const MpiPoolScoring&) = delete;
  MpiPoolScoring& operator=(const MpiPoolScoring&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  /// Rank 0 only: the shortlist of the whole pool, scored by every rank.
  gp::Shortlist score(const gp::ScoringRequest& request) override;
  /// Every rank but 0: score requests until rank 0 calls stop().
  void serve();
  /// Rank 0 only: release the workers from serve(). Later calls do nothing.
  void stop();
  /// Rank 0: the times of the last successful score().
  const ScoringTimes& last_times() const { return times_; }

 private:
  void distribute_pool(const gp::ScoringPool& pool);
  void receive_pool(const std::vector<char>& message);
  std::vector<char> score_shard(const std::vector<char>& message) const;

  struct Shard {
    std::uint64_t id = 0;
    Eigen::Index pool_size = 0;
    gp::RowRange rows;
    gp::ColumnGroups groups;
    Eigen::MatrixXd features, basis;
  };

  struct Communicator;  // the duplicated MPI_Comm
  std::unique_ptr<Communicator> comm_;
  int rank_ = 0;
  int size_ = 1;
  bool stopped_ = false;
  std::uint64_t distributed_ = 0;  // rank 0: the pool id the workers hold (0: none)
  ScoringTimes times_;             // rank 0: of the last score()
  Shard shard_;                    // workers: their part of the pool
};

}  // namespace ionscreen::pipeline
