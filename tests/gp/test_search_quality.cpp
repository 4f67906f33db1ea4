// Search quality over many seeded trials: BO finds a known minimum in fewer evaluations than
// random search, and threshold search recovers the below-threshold set. (Labelled slow.)
#include <catch2/catch.hpp>
#include <set>

#include "gp/optimizer.hpp"
#include "test_helpers.hpp"

using namespace ionscreen::gp;
using ionscreen::gp::testing::additive_landscape;
using ionscreen::gp::testing::uniform_points;

namespace {

constexpr int kTrials = 50;

ColumnGroups site_groups() {
  ColumnGroups g = ColumnGroups::all(6);
  g.add("A", {0, 1});
  g.add("M", {2, 3});
  g.add("X", {4, 5});
  return g;
}

/// Evaluations until `target` is observed, for a run of `opt` on `truth`.
int evaluations_to_find(Optimizer& opt, const Eigen::VectorXd& truth, Eigen::Index target) {
  for (int evals = 0;;) {
    const Proposal p = opt.propose(1);
    REQUIRE(p.picks.size() == 1);
    const Eigen::Index id = p.picks[0].index;
    opt.observe(id, truth[id]);
    ++evals;
    if (id == target) return evals;
  }
}

}  // namespace

TEST_CASE("BO reaches a known minimum faster than random search", "[slow][search]") {
  const Eigen::MatrixXd pool = uniform_points(200, 6, 99);
  const Eigen::VectorXd truth = additive_landscape(pool);
  Eigen::Index target;
  truth.minCoeff(&target);
  double bo_total = 0.0, random_total = 0.0;
  int bo_wins = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    OptimizerConfig c;
    c.kernel = "sum(se[A], se[M], se[X])";
    c.fit.restarts = 2;
    c.seed = 1000 + static_cast<std::uint64_t>(trial);
    Optimizer bo(c, pool, site_groups());
    const int bo_evals = evaluations_to_find(bo, truth, target);
    // Random search: the position of the target in a seeded random order of the pool.
    c.initial_design = static_cast<int>(pool.rows());  // never leaves the random design
    Optimizer random(c, pool, site_groups());
    const int random_evals = evaluations_to_find(random, truth, target);
    bo_total += bo_evals;
    random_total += random_evals;
    bo_wins += bo_evals < random_evals;
  }
  const double bo_mean = bo_total / kTrials, random_mean = random_total / kTrials;
  INFO("mean evaluations to the minimum over "
       << kTrials << " trials: BO " << bo_mean << ", random " << random_mean
       << " (expected (N+1)/2 = 100.5); BO faster in " << bo_wins);
  CHECK(random_mean > 70.0);  // sanity: random search behaves like random search
  CHECK(bo_mean < 0.4 * random_mean);
  CHECK(bo_wins >= 40);
}

TEST_CASE("threshold search recovers the below-threshold set", "[slow][search]") {
  const Eigen::MatrixXd pool = uniform_points(200, 6, 98);
  const Eigen::VectorXd truth = additive_landscape(pool);
  Eigen::VectorXd sorted = truth;
  std::sort(sorted.data(), sorted.data() + sorted.size());
  const double threshold = 0.5 * (sorted[19] + sorted[20]);  // exactly 20 below (10%)
  std::set<Eigen::Index> hits;
  for (Eigen::Index i = 0; i < truth.size(); ++i)
    if (truth[i] < threshold) hits.insert(i);
  REQUIRE(hits.size() == 20);
  int total_evals = 0, total_found = 0, total_wrong = 0;
  constexpr int kThresholdTrials = 10;
  for (int trial = 0; trial < kThresholdTrials; ++trial) {
    OptimizerConfig c;
    c.kernel = "sum(se[A], se[M], se[X])";
    c.fit.restarts = 2;
    c.seed = 2000 + static_cast<std::uint64_t>(trial);
    c.acquisition.kind = AcquisitionKind::lse;
    c.acquisition.threshold = threshold;
    c.acquisition.delta = 0.05;
    Optimizer opt(c, pool, site_groups());
    int evals = 0;
    for (;; ++evals) {
      const Proposal p = opt.propose(1);
      if (p.picks.empty()) break;
      REQUIRE(evals < pool.rows());
      opt.observe(p.picks[0].index, truth[p.picks[0].index]);
    }
    const Proposal done = opt.propose(1);
    CHECK(done.threshold->undecided == 0);
    for (Eigen::Index i = 0; i < truth.size(); ++i) {
      const bool labelled_below = opt.labels()[i] == Label::below;
      total_found += labelled_below && hits.count(i);
      total_wrong += labelled_below != static_cast<bool>(hits.count(i));
    }
    total_evals += evals;
  }
  const double recall = double(total_found) / (20.0 * kThresholdTrials);
  INFO("threshold search: mean evaluations " << double(total_evals) / kThresholdTrials
                                             << " of 200, recall " << recall << ", mislabelled "
                                             << total_wrong);
  CHECK(recall >= 0.95);
  CHECK(total_wrong <= 2 * kThresholdTrials);
  CHECK(total_evals < 0.6 * 200 * kThresholdTrials);
}
