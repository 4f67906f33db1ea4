// Batch selection: the rank-1 fantasy updates must pick exactly what a full refit with the
// fantasy observation added would pick, and never an observed or pending candidate.
#include <catch2/catch.hpp>
#include <set>

#include "gp/batch.hpp"
#include "gp/kernel.hpp"
#include "test_helpers.hpp"

using namespace ionscreen::gp;
using ionscreen::gp::testing::additive_landscape;
using ionscreen::gp::testing::uniform_points;

namespace {

struct Problem {
  Eigen::MatrixXd pool = uniform_points(120, 4, 7);
  Eigen::VectorXd truth = additive_landscape(pool);
  std::vector<Eigen::Index> observed{3, 17, 40, 55, 71, 90, 101};
  Model model{parse_kernel("sum(se[A], matern52[B])", groups())};

  static ColumnGroups groups() {
    ColumnGroups g = ColumnGroups::all(4);
    g.add("A", {0, 1});
    g.add("B", {2, 3});
    return g;
  }
  Problem() {
    model.standardize = false;  // a refit must not re-standardise: compare like with like
    model.set("se[A].length_scale[0]", std::log(0.4));
    model.set("matern52[B].length_scale[1]", std::log(0.7));
  }
  Fit fit_on(const std::vector<Eigen::Index>& rows, const Eigen::VectorXd& y) const {
    return condition(model, pool(rows, Eigen::all), y);
  }
  Eigen::VectorXd observed_y() const { return truth(observed); }
};

/// Index of the best eligible candidate under a posterior, by brute force.
Eigen::Index brute_force_best(const Prediction& post, const Scorer& scorer, double best,
                              const std::vector<bool>& eligible) {
  Eigen::Index arg = -1;
  double top = -1e300;
  for (Eigen::Index i = 0; i < post.mean.size(); ++i) {
    if (!eligible[i]) continue;
    const double s = scorer(post.mean[i], std::sqrt(post.variance[i]), best);
    if (s > top) {
      top = s;
      arg = i;
    }
  }
  return arg;
}

}  // namespace

TEST_CASE("batch picks equal greedy picks with full refits on the fantasies", "[unit][batch]") {
  const Problem p;
  const auto kind = GENERATE(AcquisitionKind::ei, AcquisitionKind::lcb, AcquisitionKind::pi,
                             AcquisitionKind::straddle);
  const auto method = GENERATE(BatchMethod::kriging_believer, BatchMethod::constant_liar);
  AcquisitionConfig ac{kind};
  ac.threshold = 1.0;
  const Scorer scorer(ac);
  const Fit fit = p.fit_on(p.observed, p.observed_y());
  const Prediction post = predict(fit, p.pool);
  std::vector<bool> eligible(120, true);
  for (auto i : p.observed) eligible[i] = false;
  const double best = p.observed_y().minCoeff();
  Rng rng(1);
  const Eigen::MatrixXd no_basis(120, 0);
  const auto picks = select_batch({fit, p.pool, no_basis, post}, eligible, {}, scorer,
                                  {4, method, 1000, best, best - 0.5}, rng);
  REQUIRE(picks.size() == 4);

  // Replay: refit with each pick's fantasy added, and pick by brute force over the whole pool.
  std::vector<Eigen::Index> rows = p.observed;
  Eigen::VectorXd y = p.observed_y();
  std::vector<bool> open = eligible;
  Prediction current = post;
  for (const auto& pick : picks) {
    CHECK(pick.index == brute_force_best(current, scorer, best, open));
    const double fantasy =
        method == BatchMethod::kriging_believer ? current.mean[pick.index] : best - 0.5;
    rows.push_back(pick.index);
    y.conservativeResize(y.size() + 1);
    y[y.size() - 1] = fantasy;
    open[pick.index] = false;
    current = predict(p.fit_on(rows, y), p.pool);
  }
}

TEST_CASE("batches avoid observed and pending candidates and condition on pending",
          "[unit][batch]") {
  const Problem p;
  const Fit fit = p.fit_on(p.observed, p.observed_y());
  const Prediction post = predict(fit, p.pool);
  const Scorer scorer({AcquisitionKind::ei});
  const double best = p.observed_y().minCoeff();
  const Eigen::MatrixXd no_basis(120, 0);
  std::vector<bool> eligible(120, true);
  for (auto i : p.observed) eligible[i] = false;
  Rng rng(3);
  const auto first = select_batch({fit, p.pool, no_basis, post}, eligible, {}, scorer,
                                  {1, BatchMethod::kriging_believer, 1000, best, best}, rng);
  REQUIRE(first.size() == 1);
  // With the first pick pending, the next batch must differ from it and match a q=2 batch's second.
  const Eigen::Index pending = first[0].index;
  eligible[pending] = false;
  const auto next = select_batch({fit, p.pool, no_basis, post}, eligible, {pending}, scorer,
                                 {1, BatchMethod::kriging_believer, 1000, best, best}, rng);
  eligible[pending] = true;
  const auto pair = select_batch({fit, p.pool, no_basis, post}, eligible, {}, scorer,
                                 {2, BatchMethod::kriging_believer, 1000, best, best}, rng);
  REQUIRE(next.size() == 1);
  REQUIRE(pair.size() == 2);
  CHECK(pair[0].index == pending);
  CHECK(next[0].index == pair[1].index);

  const auto kind = GENERATE(AcquisitionKind::ei, AcquisitionKind::thompson);
  const Scorer any(AcquisitionConfig{kind});
  const auto many = select_batch({fit, p.pool, no_basis, post}, eligible, {}, any,
                                 {50, BatchMethod::kriging_believer, 10, best, best}, rng);
  CHECK(many.size() == 50);
  std::set<Eigen::Index> distinct;
  for (const auto& pk : many) {
    CHECK(eligible[pk.index]);
    distinct.insert(pk.index);
  }
  CHECK(distinct.size() == many.size());
  // Asking for more than remain gives every eligible candidate once.
  const auto all = select_batch({fit, p.pool, no_basis, post}, eligible, {}, any,
                                {500, BatchMethod::kriging_believer, 10, best, best}, rng);
  CHECK(all.size() == 120 - p.observed.size());
}

TEST_CASE("Thompson batches are reproducible from the random state", "[unit][batch]") {
  const Problem p;
  const Fit fit = p.fit_on(p.observed, p.observed_y());
  const Prediction post = predict(fit, p.pool);
  const Scorer ts(AcquisitionConfig{AcquisitionKind::thompson});
  std::vector<bool> eligible(120, true);
  for (auto i : p.observed) eligible[i] = false;
  const Eigen::MatrixXd no_basis(120, 0);
  Rng a(11), b(11);
  const BatchOptions opt{5, BatchMethod::kriging_believer, 1000, 0.0, 0.0};
  const auto pa = select_batch({fit, p.pool, no_basis, post}, eligible, {}, ts, opt, a);
  const auto pb = select_batch({fit, p.pool, no_basis, post}, eligible, {}, ts, opt, b);
  REQUIRE(pa.size() == 5);
  for (std::size_t i = 0; i < pa.size(); ++i) CHECK(pa[i].index == pb[i].index);
}
