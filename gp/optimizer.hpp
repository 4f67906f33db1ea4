#pragma once
/// The ask/tell Bayesian optimiser over a discrete candidate pool.
///
///   Optimizer opt(config, pool, groups);
///   Proposal p = opt.propose(q);          // ask: q candidates (pending-aware)
///   opt.observe(id, barrier);             // tell, whenever a calculation finishes
///   opt.observe_failure(id);              // a calculation that failed for good
///
/// Everything that changes is in OptimizerState, a plain value (observations, pending, failures,
/// hyperparameters, kernel spec, RNG state) with an exact text form: an optimiser rebuilt from a
/// saved state with the same config and pool makes exactly the proposals the original would have.
///
/// Each model-based proposal fits the GP here, then has the whole pool scored by a PoolScoring
/// (pool_scoring.hpp: in this process by default, or shared between MPI ranks by
/// pipeline::MpiPoolScoring) and chooses the batch among the shortlist it returns. Every scorer
/// gives the same shortlist, so the proposals do not depend on where the pool was scored.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gp/acquisition.hpp"
#include "gp/batch.hpp"
#include "gp/hyperfit.hpp"
#include "gp/pool_scoring.hpp"
#include "gp/transfer.hpp"

namespace ionscreen::gp {

struct OptimizerConfig {
  std::string kernel = "se";  ///< kernel spec over the pool's column groups
  AcquisitionConfig acquisition;
  BatchMethod batch = BatchMethod::kriging_believer;
  int initial_design = 5;  ///< random candidates before the first model (>= 2)
  FitOptions fit;
  std::map<std::string, Prior> priors;  ///< by hyperparameter name
  /// Give every kernel variance and length scale without a prior lognormal(0, 1.5) (inputs and
  /// targets are standardised, so 1 is the natural scale). With a handful of points, maximum
  /// likelihood alone tends to pick over-smooth, over-confident models.
  bool weak_priors = true;
  std::set<std::string> fixed;  ///< hyperparameters never fitted
  TransferConfig transfer;
  Eigen::Index shortlist = 1024;  ///< candidates a batch is chosen among (see batch.hpp)
  std::uint64_t seed = 0;
};

struct Observation {
  Eigen::Index id;
  double y;
};

struct OptimizerState {
  static constexpr int kSchemaVersion = 1;
  Eigen::Index pool_size = 0;
  std::uint64_t pool_fingerprint = 0;  ///< guards against resuming on a different pool
  std::string kernel_spec;
  std::vector<Observation> observations;
  std::vector<Eigen::Index> pending;
  std::vector<Eigen::Index> failed;
  NamedValues hyperparameters;  ///< of the last fit (empty before the first)
  std::string transfer_used;    ///< the mode of the last fit (what auto chose)
  std::string rng;              ///< Rng::state()
  int proposals = 0;            ///< propose() calls so far
};

/// Exact text form (round-trips bit for bit) and its strict reader.
std::string to_text(const OptimizerState& state);
OptimizerState state_from_text(const std::string& text);

struct Proposal {
  std::vector<Pick> picks;      ///< may be fewer than q (pool exhausted, waiting, or all decided)
  std::string reason;           ///< "initial design", "ei", "waiting for initial results", ...
  NamedValues hyperparameters;  ///< of the model behind the picks (empty for random picks)
  std::string transfer_used;
  double log_likelihood = 0.0;
  bool fit_fell_back = false;  ///< the hyperparameter fit failed and the last good ones were used
  /// Threshold search only: labels of the pool (observed candidates labelled by their values).
  std::optional<ThresholdSummary> threshold;
};

class Optimizer {
 public:
  /// `pool`: one row of raw descriptors per candidate; columns are standardised internally (a
  /// constant column is an error naming it). `source` is needed by every transfer mode but none.
  Optimizer(OptimizerConfig config, const Eigen::MatrixXd& pool, ColumnGroups groups,
            std::optional<SourceTask> source = std::nullopt,
            std::optional<OptimizerState> resume_from = std::nullopt);

  /// Up to q new candidates, never observed, failed or pending (state's or `extra_pending`).
  Proposal propose(int q, const std::vector<Eigen::Index>& extra_pending = {});
  void observe(Eigen::Index id, double y);
  void observe_failure(Eigen::Index id);

  const OptimizerState& state() const { return state_; }
  const OptimizerConfig& config() const { return config_; }
  /// Lowest observed value and its candidate, if any.
  std::optional<Observation> best() const;
  /// Labels of every candidate from the last model-based proposal in threshold search (empty
  /// otherwise): observed candidates by their values, the others from the posterior. The Optimizer
  /// asks its PoolScoring for them in every threshold-search proposal, so they are there whatever
  /// scores the pool (the MPI scorer gathers one byte per candidate).
  const std::vector<Label>& labels() const { return labels_; }

  /// Where the pool is scored for each model-based proposal; nullptr restores the default,
  /// LocalPoolScoring. The scorer may be shared between optimisers.
  void set_pool_scoring(std::shared_ptr<PoolScoring> scoring);

 private:
  enum class Status : char { open, pending, observed, failed };
  void check_id(Eigen::Index id, const char* what) const;
  Proposal random_picks(int count, const std::vector<Eigen::Index>& pending);
  Proposal model_picks(int q, const std::vector<Eigen::Index>& pending);

  OptimizerConfig config_;
  ColumnGroups groups_;
  Eigen::MatrixXd pool_;  // standardised (plus a task column of ones for multitask/auto)
  std::optional<TransferContext> transfer_;
  OptimizerState state_;
  std::vector<Status> status_;
  Rng rng_;
  std::vector<Label> labels_;
  std::shared_ptr<PoolScoring> scoring_;
  std::uint64_t pool_id_;  // ScoringPool::id: unique to this optimiser's pool
};

}  // namespace ionscreen::gp
