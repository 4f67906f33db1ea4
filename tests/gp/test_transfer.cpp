// Transfer from a related source task: each mode must predict a related target better than no
// transfer from a handful of target observations, and auto must not pick a harmful source.
#include <catch2/catch.hpp>
#include <set>

#include "gp/hyperfit.hpp"
#include "gp/optimizer.hpp"
#include "gp/transfer.hpp"
#include "test_helpers.hpp"

using namespace ionscreen::gp;
using ionscreen::gp::testing::additive_landscape;
using ionscreen::gp::testing::uniform_points;

namespace {

struct Tasks {
  Eigen::MatrixXd pool = uniform_points(200, 4, 31);     // target candidates
  Eigen::MatrixXd source_X = uniform_points(80, 4, 32);  // source observations
  Eigen::VectorXd target =
      1.3 * additive_landscape(pool).array() + 0.8;  // related: scaled, shifted
  Eigen::VectorXd source_y = additive_landscape(source_X);
};

/// `count` target observations, a different random set per seed.
std::vector<Eigen::Index> six_seen(std::uint64_t seed, std::size_t count = 6) {
  Rng rng(seed);
  std::set<Eigen::Index> s;
  while (s.size() < count) s.insert(static_cast<Eigen::Index>(rng.below(200)));
  return {s.begin(), s.end()};
}

ColumnGroups groups(bool task) {
  ColumnGroups g = ColumnGroups::all(task ? 5 : 4);
  g.default_columns = {0, 1, 2, 3};
  if (task) g.add("task", {4});
  return g;
}

/// Root-mean-square error over the pool of the model `mode` fits on the `seen` target points.
double pool_rmse(const Tasks& t, TransferMode mode, const Eigen::VectorXd& source_y,
                 const std::vector<Eigen::Index>& seen) {
  const bool task = mode == TransferMode::multitask || mode == TransferMode::automatic;
  Eigen::MatrixXd pool(t.pool.rows(), task ? 5 : 4), sx(t.source_X.rows(), task ? 5 : 4);
  pool.leftCols(4) = t.pool;
  sx.leftCols(4) = t.source_X;
  if (task) {
    pool.col(4).setOnes();
    sx.col(4).setZero();
  }
  // Source hyperparameters: fitted on the source alone.
  Model source_model(parse_kernel("se", groups(task)));
  Rng rng(4);
  const FitReport source_fit = fit_hyperparameters(source_model, sx, source_y, {3, 200}, rng);
  const SourceTask source{sx, source_y, "se", named_theta(source_fit.fit.model)};
  const TransferConfig tc{mode, true};
  const TransferContext ctx(Model(parse_kernel("se", groups(task))), groups(task), tc, source,
                            pool);
  const TransferFit fit = fit_with_transfer(ctx, pool, seen, t.target(seen), {}, {3, 200}, rng);
  const Prediction pred = predict(fit.report.fit, pool, ctx.pool_basis(fit.mode));
  return std::sqrt((pred.mean - t.target).squaredNorm() / double(t.target.size()));
}

}  // namespace

TEST_CASE("transfer from a related source beats no transfer with few target points",
          "[unit][transfer]") {
  const Tasks t;
  const auto mean_rmse = [&](TransferMode mode) {
    double total = 0.0;
    for (std::uint64_t seed = 0; seed < 5; ++seed)
      total += pool_rmse(t, mode, t.source_y, six_seen(seed));
    return total / 5.0;
  };
  const double alone = mean_rmse(TransferMode::none);
  for (auto mode : {TransferMode::hp, TransferMode::posterior, TransferMode::multitask}) {
    const double with = mean_rmse(mode);
    INFO("mode " << to_string(mode) << ": mean rmse " << with << " vs " << alone << " alone");
    // Fixed source hyperparameters only stop six points from being over-fitted; the posterior
    // and multitask modes carry the source's shape itself.
    CHECK(with < (mode == TransferMode::hp ? 1.0 : 0.5) * alone);
  }
}

TEST_CASE("hp transfer holds source hyperparameters fixed or centres priors on them",
          "[unit][transfer]") {
  const Tasks t;
  const NamedValues source_hp{{"se.variance", 0.7},         {"se.length_scale[0]", -0.9},
                              {"se.length_scale[1]", 0.2},  {"se.length_scale[2]", 1.1},
                              {"se.length_scale[3]", -0.1}, {"noise.variance", -5.0}};
  const SourceTask source{t.source_X, t.source_y, "se", source_hp};
  for (bool fixed : {true, false}) {
    const TransferContext ctx(Model(parse_kernel("se", groups(false))), groups(false),
                              {TransferMode::hp, fixed, 0.3}, source, t.pool);
    const auto seen = six_seen(1);
    const TrainingProblem p = ctx.problem(TransferMode::hp, t.pool, seen, t.target(seen), {});
    for (const auto& [name, value] : source_hp) {
      if (name == "noise.variance") {
        CHECK(!p.model.fixed.count(name));  // noise is each task's own
        continue;
      }
      CHECK(p.model.get(name) == value);
      CHECK(p.model.fixed.count(name) == (fixed ? 1u : 0u));
      CHECK(p.model.priors.count(name) == (fixed ? 0u : 1u));
    }
  }
}

TEST_CASE("an uninformative source costs little in any mode; auto uses a helpful one",
          "[unit][transfer]") {
  Tasks t;
  // A source with nothing to say about the target: pure noise. A fixed mode can be led astray by
  // it; auto, choosing by leave-one-out, must not do much worse than no transfer once it has a
  // dozen target points (with six it still picks the noise source in about one case in five).
  Eigen::VectorXd noise_y(t.source_y.size());
  Rng noise(77);
  for (Eigen::Index i = 0; i < noise_y.size(); ++i) noise_y[i] = noise.normal();
  const auto mean_rmse = [&](TransferMode mode) {
    double total = 0.0;
    for (std::uint64_t seed = 10; seed < 15; ++seed)
      total += pool_rmse(t, mode, noise_y, six_seen(seed, 12));
    return total / 5.0;
  };
  const double alone = mean_rmse(TransferMode::none);
  const double with = mean_rmse(TransferMode::automatic);
  INFO("noise source, auto: mean rmse " << with << " vs " << alone << " alone");
  CHECK(with < 1.15 * alone);

  OptimizerConfig c;
  c.fit.restarts = 2;
  c.initial_design = 8;
  c.transfer.mode = TransferMode::automatic;
  Optimizer opt(c, t.pool, groups(false), SourceTask{t.source_X, t.source_y, "se", {}});
  for (int i = 0; i < 4; ++i) {
    const Proposal p = opt.propose(4);
    for (const auto& pick : p.picks) opt.observe(pick.index, t.target[pick.index]);
  }
  CHECK(opt.propose(1).transfer_used != "none");
}
