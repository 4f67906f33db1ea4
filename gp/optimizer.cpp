#include "gp/optimizer.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>

#include "gp/error.hpp"
#include "gp/text.hpp"

namespace ionscreen::gp {
namespace {

/// FNV-1a over the bits of every value: a cheap identity for "the same pool".
std::uint64_t fingerprint(const Eigen::MatrixXd& pool) {
  std::uint64_t h = 1469598103934665603ULL;
  for (Eigen::Index i = 0; i < pool.size(); ++i) {
    std::uint64_t bits;
    std::memcpy(&bits, pool.data() + i, sizeof bits);
    for (int b = 0; b < 8; ++b) {
      h ^= (bits >> (8 * b)) & 0xffU;
      h *= 1099511628211ULL;
    }
  }
  return h;
}

/// A process-wide unique id per optimiser for ScoringPool::id (never 0).
std::uint64_t next_pool_id() {
  static std::atomic<std::uint64_t> next{1};
  return next++;
}

std::string group_of(const ColumnGroups& groups, Eigen::Index column) {
  for (std::size_t g = 0; g < groups.names.size(); ++g)
    for (int c : groups.columns[g])
      if (c == column) return " (group " + groups.names[g] + ")";
  return "";
}

}  // namespace

Optimizer::Optimizer(OptimizerConfig config, const Eigen::MatrixXd& pool, ColumnGroups groups,
                     std::optional<SourceTask> source, std::optional<OptimizerState> resume_from)
    : config_(std::move(config)),
      groups_(std::move(groups)),
      rng_(config_.seed),
      scoring_(std::make_shared<LocalPoolScoring>()),
      pool_id_(next_pool_id()) {
  const Eigen::Index N = pool.rows(), d = pool.cols();
  if (N == 0) throw InvalidInput("the candidate pool is empty");
  if (d != groups_.num_features)
    throw InvalidInput("the pool has " + std::to_string(d) +
                       " columns, the column groups describe " +
                       std::to_string(groups_.num_features));
  if (config_.initial_design < 2)
    throw InvalidInput("initial_design must be >= 2 (a GP fit needs two observations), got " +
                       std::to_string(config_.initial_design));
  if (!pool.allFinite()) throw InvalidInput("the candidate pool has non-finite descriptors");
  require_distinct_rows(pool, "candidate pool");

  // Standardise columns over the pool so length scales and their bounds mean the same everywhere.
  const Eigen::RowVectorXd mean = pool.colwise().mean();
  const Eigen::RowVectorXd sd = (pool.rowwise() - mean).colwise().norm() / std::sqrt(double(N));
  for (Eigen::Index j = 0; j < d; ++j)
    if (!(sd[j] > 0.0))
      throw InvalidInput("descriptor column " + std::to_string(j) + group_of(groups_, j) +
                         " is constant over the pool (" + format_double(mean[j]) +
                         "); drop it, it cannot inform the model");
  const bool task_column = source && (config_.transfer.mode == TransferMode::multitask ||
                                      config_.transfer.mode == TransferMode::automatic);
  const auto standardise = [&](const Eigen::MatrixXd& raw, double task) {
    Eigen::MatrixXd out(raw.rows(), d + (task_column ? 1 : 0));
    out.leftCols(d) = (raw.rowwise() - mean).array().rowwise() / sd.array();
    if (task_column) out.col(d).setConstant(task);
    return out;
  };
  pool_ = standardise(pool, 1.0);
  if (task_column) {
    groups_.num_features = static_cast<int>(d + 1);
    groups_.add("task", {static_cast<int>(d)});
  }
  if (source) {
    if (source->X.cols() != d)
      throw InvalidInput("source task has " + std::to_string(source->X.cols()) +
                         " descriptor columns, the pool " + std::to_string(d));
    if (!source->X.allFinite() || !source->y.allFinite())
      throw InvalidInput("source task has non-finite descriptors or targets");
    source->X = standardise(source->X, 0.0);
  }

  Model base(parse_kernel(config_.kernel, groups_));
  base.priors = config_.priors;
  if (config_.weak_priors)
    for (const auto& p : base.kernel.parameters()) {
      const bool scale =
          p.name.ends_with(".variance") || p.name.find(".length_scale[") != std::string::npos;
      if (scale && !base.priors.count(p.name)) base.priors[p.name] = LogNormalPrior{0.0, 1.5};
    }
  base.fixed = config_.fixed;
  base.validate();
  transfer_.emplace(base, groups_, config_.transfer, std::move(source), pool_);

  status_.assign(static_cast<std::size_t>(N), Status::open);
  if (!resume_from) {
    state_.pool_size = N;
    state_.pool_fingerprint = fingerprint(pool);
    state_.kernel_spec = base.kernel.spec();
    state_.rng = rng_.state();
    return;
  }
  state_ = std::move(*resume_from);
  if (state_.pool_size != N || state_.pool_fingerprint != fingerprint(pool))
    throw InvalidInput("saved optimiser state belongs to a different candidate pool (" +
                       std::to_string(state_.pool_size) + " candidates, fingerprint " +
                       std::to_string(state_.pool_fingerprint) + ")");
  if (state_.kernel_spec != base.kernel.spec())
    throw InvalidInput("saved optimiser state used kernel '" + state_.kernel_spec +
                       "', the configuration says '" + base.kernel.spec() + "'");
  rng_.restore(state_.rng);
  const auto mark = [&](Eigen::Index id, Status s, const char* what) {
    check_id(id, what);
    if (status_[id] != Status::open)
      throw InvalidInput(std::string("saved optimiser state lists candidate ") +
                         std::to_string(id) + " twice");
    status_[id] = s;
  };
  for (const auto& o : state_.observations) mark(o.id, Status::observed, "saved observation");
  for (auto id : state_.pending) mark(id, Status::pending, "saved pending candidate");
  for (auto id : state_.failed) mark(id, Status::failed, "saved failed candidate");
}

void Optimizer::check_id(Eigen::Index id, const char* what) const {
  if (id < 0 || id >= static_cast<Eigen::Index>(status_.size()))
    throw InvalidInput(std::string(what) + ": candidate " + std::to_string(id) +
                       " is outside the pool (0.." + std::to_string(status_.size() - 1) + ")");
}

Proposal Optimizer::propose(int q, const std::vector<Eigen::Index>& extra_pending) {
  if (q < 1) throw InvalidInput("propose: q must be >= 1, got " + std::to_string(q));
  std::vector<Eigen::Index> pending = state_.pending;
  for (auto id : extra_pending) {
    check_id(id, "propose: pending");
    if (status_[id] == Status::observed)
      throw InvalidInput("propose: candidate " + std::to_string(id) +
                         " is listed as pending but has an observation");
    if (status_[id] == Status::open) pending.push_back(id);
  }
  std::sort(pending.begin(), pending.end());
  pending.erase(std::unique(pending.begin(), pending.end()), pending.end());

  const auto observed = static_cast<int>(state_.observations.size());
  Proposal proposal;
  if (observed < config_.initial_design) {
    const int missing = config_.initial_design - observed - static_cast<int>(pending.size());
    if (missing > 0) {
      proposal = random_picks(std::min(q, missing), pending);
    } else {
      proposal.reason = "waiting for initial design results";
    }
  } else {
    proposal = model_picks(q, pending);
  }
  for (const auto& p : proposal.picks) {
    status_[p.index] = Status::pending;
    state_.pending.push_back(p.index);
  }
  ++state_.proposals;
  state_.rng = rng_.state();
  return proposal;
}

Proposal Optimizer::random_picks(int count, const std::vector<Eigen::Index>& pending) {
  std::vector<Eigen::Index> open;
  for (Eigen::Index i = 0; i < static_cast<Eigen::Index>(status_.size()); ++i)
    if (status_[i] == Status::open && !std::binary_search(pending.begin(), pending.end(), i))
      open.push_back(i);
  Proposal p;
  p.reason = "initial design";
  const auto n = std::min<std::size_t>(open.size(), static_cast<std::size_t>(count));
  for (std::size_t k = 0; k < n; ++k) {  // partial Fisher-Yates
    std::swap(open[k], open[k + rng_.below(open.size() - k)]);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    p.picks.push_back({open[k], nan, nan, nan});
  }
  return p;
}

Proposal Optimizer::model_picks(int q, const std::vector<Eigen::Index>& pending) {
  std::vector<Eigen::Index> rows;
  Eigen::VectorXd y(static_cast<Eigen::Index>(state_.observations.size()));
  for (const auto& o : state_.observations) {
    y[static_cast<Eigen::Index>(rows.size())] = o.y;
    rows.push_back(o.id);
  }
  const TransferFit chosen =
      fit_with_transfer(*transfer_, pool_, rows, y, state_.hyperparameters, config_.fit, rng_);
  const TransferMode chosen_mode = chosen.mode;
  const Fit& fit = chosen.report.fit;
  state_.hyperparameters = named_theta(fit.model);
  state_.transfer_used = to_string(chosen_mode);

  const Scorer scorer(config_.acquisition, status_.size());
  const Observation best_seen = *best();
  const BatchOptions options{q, config_.batch, config_.shortlist, best_seen.y, best_seen.y};

  // Score the pool (wherever scoring_ does it): every candidate not observed, failed or pending is
  // eligible; the pending ones are conditioned on.
  ScoringTask task;
  task.acquisition = config_.acquisition;
  task.best = best_seen.y;
  task.shortlist = shortlist_size(options);
  for (const auto& o : state_.observations) task.observed.push_back(o.id);
  std::sort(task.observed.begin(), task.observed.end());
  task.ineligible = task.observed;
  task.ineligible.insert(task.ineligible.end(), state_.failed.begin(), state_.failed.end());
  task.ineligible.insert(task.ineligible.end(), pending.begin(), pending.end());
  std::sort(task.ineligible.begin(), task.ineligible.end());
  task.ineligible.erase(std::unique(task.ineligible.begin(), task.ineligible.end()),
                        task.ineligible.end());
  task.pending = pending;
  task.threshold = is_threshold_search(config_.acquisition.kind);
  const ScoringPool pool{pool_id_, pool_, transfer_->pool_basis(TransferMode::posterior), groups_};
  Shortlist shortlist =
      scoring_->score({pool, fit, chosen_mode == TransferMode::posterior, std::move(task)});

  Proposal p;
  p.hyperparameters = state_.hyperparameters;
  p.transfer_used = state_.transfer_used;
  p.log_likelihood = fit.log_likelihood;
  p.fit_fell_back = chosen.report.fell_back;
  if (is_threshold_search(config_.acquisition.kind)) {
    if (shortlist.labels.size() != status_.size())
      throw Error("pool scoring returned " + std::to_string(shortlist.labels.size()) +
                  " threshold labels for a pool of " + std::to_string(status_.size()));
    labels_ = std::move(shortlist.labels);
    ThresholdSummary summary = shortlist.counts;  // the candidates not observed
    for (const auto& o : state_.observations) {
      const bool below = o.y < config_.acquisition.threshold;
      labels_[o.id] = below ? Label::below : Label::above;
      ++(below ? summary.below : summary.above);
    }
    p.threshold = summary;
  }
  p.picks = choose_batch(fit, pool_, shortlist, scorer, options, rng_);
  p.reason = to_string(config_.acquisition.kind);
  if (p.picks.empty())
    p.reason = config_.acquisition.kind == AcquisitionKind::lse
                   ? "threshold search complete: nothing undecided"
                   : "no candidate left to propose";
  return p;
}

void Optimizer::observe(Eigen::Index id, double y) {
  check_id(id, "observe");
  if (!std::isfinite(y))
    throw InvalidInput("observe: candidate " + std::to_string(id) + " value " + format_double(y) +
                       " is not finite; report a failed calculation with observe_failure");
  if (status_[id] == Status::observed || status_[id] == Status::failed)
    throw InvalidInput("observe: candidate " + std::to_string(id) + " already has an outcome");
  std::erase(state_.pending, id);
  status_[id] = Status::observed;
  state_.observations.push_back({id, y});
}

void Optimizer::observe_failure(Eigen::Index id) {
  check_id(id, "observe_failure");
  if (status_[id] == Status::observed || status_[id] == Status::failed)
    throw InvalidInput("observe_failure: candidate " + std::to_string(id) +
                       " already has an outcome");
  std::erase(state_.pending, id);
  status_[id] = Status::failed;
  state_.failed.push_back(id);
}

void Optimizer::set_pool_scoring(std::shared_ptr<PoolScoring> scoring) {
  scoring_ = scoring ? std::move(scoring) : std::make_shared<LocalPoolScoring>();
}

std::optional<Observation> Optimizer::best() const {
  if (state_.observations.empty()) return std::nullopt;
  return *std::min_element(state_.observations.begin(), state_.observations.end(),
                           [](const Observation& a, const Observation& b) { return a.y < b.y; });
}

}  // namespace ionscreen::gp
