// Save / restore: an optimiser rebuilt from its saved text continues exactly as the original.
#include <catch2/catch.hpp>

#include "gp/error.hpp"
#include "gp/optimizer.hpp"
#include "test_helpers.hpp"

using namespace ionscreen::gp;
using ionscreen::gp::testing::additive_landscape;
using ionscreen::gp::testing::uniform_points;

namespace {

const Eigen::MatrixXd& pool() {
  static const Eigen::MatrixXd p = uniform_points(150, 4, 21);
  return p;
}
ColumnGroups groups() {
  ColumnGroups g = ColumnGroups::all(4);
  g.add("A", {0, 1});
  g.add("B", {2, 3});
  return g;
}
OptimizerConfig config(AcquisitionKind kind) {
  OptimizerConfig c;
  c.kernel = "sum(se[A], se[B])";
  c.acquisition.kind = kind;
  c.acquisition.threshold = 1.0;
  c.fit.restarts = 2;
  c.seed = 1234;
  return c;
}

/// One round: propose q, then observe all but the last proposed (left pending across a save).
std::vector<Eigen::Index> round(Optimizer& opt, const Eigen::VectorXd& truth,
                                std::vector<Eigen::Index>& carried) {
  std::vector<Eigen::Index> ids;
  const Proposal p = opt.propose(3);
  for (const auto& pick : p.picks) ids.push_back(pick.index);
  for (auto id : carried) opt.observe(id, truth[id]);
  carried.clear();
  for (std::size_t k = 0; k < ids.size(); ++k) {
    if (k + 1 == ids.size())
      carried.push_back(ids[k]);
    else if (ids[k] % 7 == 0)
      opt.observe_failure(ids[k]);
    else
      opt.observe(ids[k], truth[ids[k]]);
  }
  return ids;
}

}  // namespace

TEST_CASE("restore and continue gives the proposals of an uninterrupted run", "[unit][state]") {
  const auto kind = GENERATE(AcquisitionKind::ei, AcquisitionKind::thompson, AcquisitionKind::lse);
  const Eigen::VectorXd truth = additive_landscape(pool());
  Optimizer straight(config(kind), pool(), groups());
  std::vector<Eigen::Index> carried_a, carried_b;
  std::vector<std::vector<Eigen::Index>> expected;
  for (int r = 0; r < 8; ++r) expected.push_back(round(straight, truth, carried_a));

  auto first = std::make_unique<Optimizer>(config(kind), pool(), groups());
  for (int r = 0; r < 4; ++r) CHECK(round(*first, truth, carried_b) == expected[r]);
  const std::string saved = to_text(first->state());
  first.reset();  // the process dies; only the text survives
  Optimizer resumed(config(kind), pool(), groups(), std::nullopt, state_from_text(saved));
  CHECK(to_text(resumed.state()) == saved);
  for (int r = 4; r < 8; ++r) CHECK(round(resumed, truth, carried_b) == expected[r]);
  CHECK(to_text(resumed.state()) == to_text(straight.state()));
}

TEST_CASE("state text round-trips bit for bit", "[unit][state]") {
  OptimizerState s;
  s.pool_size = 5;
  s.pool_fingerprint = 18446744073709551557ULL;
  s.kernel_spec = "sum(se[A], matern52[B,C])";
  s.transfer_used = "posterior";
  s.proposals = 3;
  s.rng = Rng(5).state();
  s.hyperparameters = {{"se[A].variance", 0.1}, {"noise.variance", -9.210340371976182}};
  s.observations = {{0, 0.30000000000000004}, {4, -1e-300}};
  s.pending = {2};
  s.failed = {1};
  const std::string text = to_text(s);
  const OptimizerState back = state_from_text(text);
  CHECK(back.observations[0].y == 0.30000000000000004);
  CHECK(back.observations[1].y == -1e-300);
  CHECK(back.pool_fingerprint == s.pool_fingerprint);
  CHECK(to_text(back) == text);
}

TEST_CASE("bad saved states are rejected with the line and the reason", "[unit][state]") {
  Optimizer opt(config(AcquisitionKind::ei), pool(), groups());
  const std::string good = to_text(opt.state());
  std::string newer = good;
  newer.replace(newer.find(" 1\n"), 3, " 2\n");
  CHECK_THROWS_WITH(state_from_text(newer),
                    Catch::Contains("line 1") && Catch::Contains("schema version 2"));
  CHECK_THROWS_WITH(state_from_text(good.substr(0, good.size() / 2)),
                    Catch::Contains("optimiser state, line"));
  // A state saved for another pool is refused, not silently applied.
  const Eigen::MatrixXd other = uniform_points(150, 4, 22);
  CHECK_THROWS_WITH(
      Optimizer(config(AcquisitionKind::ei), other, groups(), std::nullopt, state_from_text(good)),
      Catch::Contains("different candidate pool"));
  OptimizerConfig changed = config(AcquisitionKind::ei);
  changed.kernel = "se";
  CHECK_THROWS_WITH(Optimizer(changed, pool(), groups(), std::nullopt, state_from_text(good)),
                    Catch::Contains("used kernel"));
}
