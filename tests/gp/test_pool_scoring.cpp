// Pool scoring in shards: shards of whole blocks tile the pool, and scoring it in shards (each from
// copies of its own rows, with the kernel rebuilt from its spec, as an MPI worker does) then
// merging gives bitwise the proposals, threshold counts and labels of scoring it whole.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>

#include "gp/error.hpp"
#include "gp/optimizer.hpp"
#include "gp/pool_scoring.hpp"
#include "test_helpers.hpp"

using namespace ionscreen::gp;
using ionscreen::gp::testing::additive_landscape;
using ionscreen::gp::testing::drive;
using ionscreen::gp::testing::two_groups;
using ionscreen::gp::testing::uniform_points;

namespace {

/// Scores the pool in `parts` shards in this process and merges them, as the MPI scorer does
/// across ranks.
class ShardedScoring final : public PoolScoring {
 public:
  explicit ShardedScoring(int parts) : parts_(parts) {}
  Shortlist score(const ScoringRequest& r) override {
    validate(r);
    const Eigen::Index N = r.pool.features.rows();
    const Predictor whole = make_predictor(r.fit, N);
    std::vector<Shortlist> shards;
    for (int k = 0; k < parts_; ++k) {
      Predictor rebuilt = whole;  // what a worker receives: the spec and hyperparameters
      rebuilt.kernel = parse_kernel(whole.kernel.spec(), r.pool.groups);
      rebuilt.kernel.set_theta(whole.kernel.theta());
      const RowRange rows = shard_rows(N, parts_, k);
      const Eigen::MatrixXd features = r.pool.features.middleRows(rows.begin, rows.size());
      const Eigen::MatrixXd basis =
          r.use_basis ? Eigen::MatrixXd(r.pool.basis.middleRows(rows.begin, rows.size()))
                      : Eigen::MatrixXd();
      shards.push_back(score_rows(rebuilt, features, basis, rows.begin, N, r.task));
    }
    ++calls;
    return merge_shortlists(std::move(shards), r.task.shortlist);
  }
  int calls = 0;

 private:
  int parts_;
};

const Eigen::MatrixXd& pool() {  // four blocks of kScoringBlock rows, the last one short
  static const Eigen::MatrixXd p = uniform_points(3500, 4, 9);
  return p;
}

struct Outcome {
  std::vector<Proposal> proposals;
  std::vector<std::vector<Label>> labels;
};

/// The proposals (and labels after each) of a driven optimiser (test_helpers.hpp: drive).
Outcome run(const OptimizerConfig& config, int q, std::shared_ptr<PoolScoring> scoring,
            std::optional<SourceTask> source = std::nullopt, int model_rounds = 4) {
  static const Eigen::VectorXd truth = additive_landscape(pool());
  Optimizer opt(config, pool(), two_groups(), std::move(source));
  opt.set_pool_scoring(std::move(scoring));
  Outcome out;
  drive(opt, truth, q, model_rounds, 13, [&](int, const Proposal& p) {
    out.proposals.push_back(p);
    out.labels.push_back(opt.labels());
  });
  return out;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void require_identical(const Outcome& a, const Outcome& b) {
  REQUIRE(a.proposals.size() == b.proposals.size());
  for (std::size_t r = 0; r < a.proposals.size(); ++r) {
    INFO("proposal " << r);
    const Proposal &x = a.proposals[r], &y = b.proposals[r];
    CHECK(x.reason == y.reason);
    REQUIRE(x.picks.size() == y.picks.size());
    for (std::size_t k = 0; k < x.picks.size(); ++k) {
      INFO("pick " << k);
      CHECK(x.picks[k].index == y.picks[k].index);
      CHECK(same_bits(x.picks[k].acquisition, y.picks[k].acquisition));
      CHECK(same_bits(x.picks[k].mean, y.picks[k].mean));
      CHECK(same_bits(x.picks[k].variance, y.picks[k].variance));
    }
    REQUIRE(x.threshold.has_value() == y.threshold.has_value());
    if (x.threshold) {
      CHECK(x.threshold->below == y.threshold->below);
      CHECK(x.threshold->above == y.threshold->above);
      CHECK(x.threshold->undecided == y.threshold->undecided);
    }
    CHECK(a.labels[r] == b.labels[r]);
  }
}

OptimizerConfig config(AcquisitionKind kind) {
  OptimizerConfig c;
  c.kernel = "sum(se[A], se[B])";
  c.acquisition.kind = kind;
  c.acquisition.threshold = 1.0;
  c.fit.restarts = 1;
  c.shortlist = 100;
  c.seed = 99;
  return c;
}

}  // namespace

TEST_CASE("pool_scoring: shards are whole blocks that tile the pool in order",
          "[unit][pool_scoring]") {
  for (const Eigen::Index N :
       {Eigen::Index(0), Eigen::Index(1), Eigen::Index(1023), Eigen::Index(1024),
        Eigen::Index(1025), Eigen::Index(5000), Eigen::Index(1000000)}) {
    const Eigen::Index blocks = (N + kScoringBlock - 1) / kScoringBlock;
    for (int parts = 1; parts <= 7; ++parts) {
      INFO("N = " << N << ", parts = " << parts);
      Eigen::Index next = 0, smallest = N, largest = 0;
      for (int k = 0; k < parts; ++k) {
        const RowRange r = shard_rows(N, parts, k);
        CHECK(r.begin == next);
        CHECK(r.end >= r.begin);
        if (r.size() > 0) CHECK(r.begin % kScoringBlock == 0);
        next = r.end;
        const Eigen::Index whole = (r.size() + kScoringBlock - 1) / kScoringBlock;
        smallest = std::min(smallest, whole);
        largest = std::max(largest, whole);
      }
      CHECK(next == N);
      CHECK(largest - smallest <= 1);
      CHECK(largest == (blocks + parts - 1) / parts);
    }
  }
  CHECK_THROWS_AS(shard_rows(10, 2, 2), InvalidInput);
  CHECK_THROWS_AS(shard_rows(10, 0, 0), InvalidInput);
}

TEST_CASE("pool_scoring: predicting in pieces cut on the block grid gives bitwise the whole",
          "[unit][pool_scoring]") {
  // Off the grid the same rows fall in other blocks, and Eigen's blocked products round some of
  // them differently (on the development machine, about 1 row in 60 in the last bit).
  const Eigen::MatrixXd X = uniform_points(300, 4, 12);
  const Fit fit = condition(Model(parse_kernel("sum(se[A], matern52[B])", two_groups())), X,
                            additive_landscape(X));
  const Predictor predictor = make_predictor(fit, pool().rows());
  REQUIRE_FALSE(predictor.inverse);  // 3500 < 16 n: the solve path
  const Eigen::MatrixXd none;
  for (const bool inverse : {false, true}) {
    Predictor p = predictor;
    if (inverse) p = make_predictor(fit, 16 * X.rows());
    const Prediction whole = predict(p, pool(), none, kScoringBlock);
    for (const Eigen::Index cut : {kScoringBlock, 3 * kScoringBlock}) {
      const Prediction a = predict(p, pool().topRows(cut), none, kScoringBlock);
      const Prediction b = predict(p, pool().bottomRows(pool().rows() - cut), none, kScoringBlock);
      for (Eigen::Index i = 0; i < pool().rows(); ++i) {
        const Prediction& part = i < cut ? a : b;
        const Eigen::Index j = i < cut ? i : i - cut;
        if (!same_bits(part.mean[j], whole.mean[i]) ||
            !same_bits(part.variance[j], whole.variance[i]))
          FAIL("row " << i << " differs when the pool is cut at " << cut);
      }
    }
  }
}

TEST_CASE("pool_scoring: merged shortlists rank by key, then by lower index",
          "[unit][pool_scoring]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Shortlist a, b;
  a.best = {{5, 2.0, 0.0, 1.0}, {7, 1.0, 0.0, 1.0}};
  b.best = {{1, 2.0, 0.0, 1.0}, {2000, 1.5, 0.0, 1.0}, {3000, 1.0, 0.0, 1.0}};
  a.pending = {{9, nan, 0.5, 0.1}};
  b.pending = {{3, nan, 0.7, 0.2}};
  a.counts = {1, 2, 3};
  b.counts = {10, 20, 30};
  a.labels = {Label::below, Label::above};
  b.labels = {Label::undecided};
  const Shortlist m = merge_shortlists({a, b}, 4);
  REQUIRE(m.best.size() == 4);
  CHECK(m.best[0].index == 1);
  CHECK(m.best[1].index == 5);
  CHECK(m.best[2].index == 2000);
  CHECK(m.best[3].index == 7);
  REQUIRE(m.pending.size() == 2);
  CHECK(m.pending[0].index == 3);
  CHECK(m.pending[1].index == 9);
  CHECK(m.counts.below == 11);
  CHECK(m.counts.above == 22);
  CHECK(m.counts.undecided == 33);
  CHECK(m.labels == std::vector<Label>{Label::below, Label::above, Label::undecided});
  // The shards' order does not matter for the best.
  const Shortlist r = merge_shortlists({b, a}, 4);
  for (std::size_t k = 0; k < 4; ++k) CHECK(r.best[k].index == m.best[k].index);
}

TEST_CASE("pool_scoring: a shard must start on the block grid", "[unit][pool_scoring]") {
  const Model model(parse_kernel("se", ColumnGroups::all(4)));
  const Fit fit = condition(model, pool().topRows(5), additive_landscape(pool().topRows(5)));
  const Predictor predictor = make_predictor(fit, pool().rows());
  const Eigen::MatrixXd rows = pool().middleRows(100, 50);
  CHECK_THROWS_AS(score_rows(predictor, rows, Eigen::MatrixXd(), 100, pool().rows(), {}),
                  InvalidInput);
  CHECK_THROWS_AS(score_rows(predictor, rows, Eigen::MatrixXd(), 3490, pool().rows(), {}),
                  InvalidInput);
  CHECK_NOTHROW(score_rows(predictor, rows, Eigen::MatrixXd(), 2048, pool().rows(), {}));
}

TEST_CASE("pool_scoring: scoring in shards gives bitwise the proposals of scoring the whole pool",
          "[unit][pool_scoring]") {
  const auto kind = GENERATE(AcquisitionKind::ei, AcquisitionKind::lcb, AcquisitionKind::thompson,
                             AcquisitionKind::lse);
  const int q = GENERATE(1, 4);
  INFO(to_string(kind) << ", q = " << q);
  const Outcome whole = run(config(kind), q, nullptr);
  for (const int parts : {3, 5}) {  // 5 parts of a 4-block pool: one shard is empty
    INFO(parts << " shards");
    auto sharded = std::make_shared<ShardedScoring>(parts);
    require_identical(whole, run(config(kind), q, sharded));
    CHECK(sharded->calls >= 4);
  }
  if (kind == AcquisitionKind::lse) {
    REQUIRE(whole.proposals.back().threshold);
    CHECK(whole.proposals.back().threshold->undecided > 0);
    CHECK(whole.labels.back().size() == static_cast<std::size_t>(pool().rows()));
  }
}

TEST_CASE("pool_scoring: scoring in shards gives the proposals of scoring whole under transfer",
          "[unit][pool_scoring]") {
  // posterior: the prior mean uses the source posterior over the pool (a sharded mean basis);
  // multitask: the coregionalised kernel over a task column.
  const auto mode = GENERATE(TransferMode::posterior, TransferMode::multitask);
  INFO(to_string(mode));
  const Eigen::MatrixXd sx = uniform_points(60, 4, 10);
  const SourceTask source{sx, 0.8 * additive_landscape(sx).array() + 0.1, "sum(se[A], se[B])", {}};
  OptimizerConfig c = config(AcquisitionKind::ei);
  c.transfer.mode = mode;
  const Outcome whole = run(c, 2, nullptr, source, 3);
  CHECK(whole.proposals.back().transfer_used == to_string(mode));
  require_identical(whole, run(c, 2, std::make_shared<ShardedScoring>(3), source, 3));
}
