// Bad input gets an error that names the problem; never a crash or a silent NaN.
#include <catch2/catch.hpp>
#include <limits>

#include "gp/error.hpp"
#include "gp/optimizer.hpp"
#include "test_helpers.hpp"

using namespace ionscreen::gp;
using Catch::Contains;
using ionscreen::gp::testing::uniform_points;

namespace {
Model se_model(int d) { return Model(parse_kernel("se", ColumnGroups::all(d))); }
}  // namespace

TEST_CASE("non-finite targets and inputs are named", "[unit][bad_input]") {
  const Eigen::MatrixXd X = uniform_points(6, 3, 1);
  Eigen::VectorXd y = Eigen::VectorXd::LinSpaced(6, 0.0, 1.0);
  y[3] = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(condition(se_model(3), X, y), Contains("target 3 is nan"));
  y[3] = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(condition(se_model(3), X, y), Contains("target 3 is inf"));
  y[3] = 0.5;
  Eigen::MatrixXd Xbad = X;
  Xbad(2, 1) = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(condition(se_model(3), Xbad, y), Contains("row 2 column 1"));
}

TEST_CASE("duplicate rows, too few points and mismatched shapes", "[unit][bad_input]") {
  Eigen::MatrixXd X = uniform_points(6, 3, 2);
  const Eigen::VectorXd y = Eigen::VectorXd::LinSpaced(6, 0.0, 1.0);
  X.row(4) = X.row(1);
  CHECK_THROWS_WITH(condition(se_model(3), X, y), Contains("rows 1 and 4 are identical"));
  CHECK_THROWS_WITH(condition(se_model(3), X.topRows(1), y.head(1)),
                    Contains("at least 2 observations"));
  const Eigen::MatrixXd X2 = uniform_points(6, 3, 3);
  CHECK_THROWS_WITH(condition(se_model(3), X2, y.head(5)), Contains("6 rows but targets have 5"));
  CHECK_THROWS_WITH(condition(se_model(4), X2, y), Contains("expects 4"));
  const Fit fit = condition(se_model(3), X2, y);
  CHECK_THROWS_WITH(predict(fit, uniform_points(4, 2, 4)), Contains("2 columns"));
}

TEST_CASE("unknown kernels, groups and hyperparameters list what is known", "[unit][bad_input]") {
  ColumnGroups g = ColumnGroups::all(4);
  g.add("A", {0, 1});
  CHECK_THROWS_WITH(parse_kernel("sum(se[A], rbf)", g),
                    Contains("unknown kernel 'rbf'") && Contains("matern52"));
  CHECK_THROWS_WITH(parse_kernel("se[Q]", g), Contains("known groups: A"));
  Model m(parse_kernel("se[A]", g));
  CHECK_THROWS_WITH(m.set("se[A].length_scale[7]", 0.0), Contains("se[A].length_scale[1]"));
  m.priors["se.variance"] = LogNormalPrior{};
  CHECK_THROWS_WITH(m.validate(), Contains("no hyperparameter 'se.variance'"));
  CHECK_THROWS_WITH(parse_prior("normal(0, 1)"), Contains("lognormal(mu, sigma)"));
}

TEST_CASE("indefinite covariance is a numerical error, not NaN", "[unit][bad_input]") {
  const Eigen::MatrixXd X = uniform_points(5, 2, 5);
  Model m = se_model(2);
  m.set("se.variance", 800.0);  // exp(800) overflows to inf
  CHECK_THROWS_AS(condition(m, X, Eigen::VectorXd::LinSpaced(5, 0, 1)), NumericalError);
}

TEST_CASE("the optimiser refuses unusable pools and observations", "[unit][bad_input]") {
  Eigen::MatrixXd pool = uniform_points(30, 3, 6);
  ColumnGroups g = ColumnGroups::all(3);
  g.add("M", {2});
  Eigen::MatrixXd constant = pool;
  constant.col(2).setConstant(1.5);
  CHECK_THROWS_WITH(Optimizer({}, constant, g), Contains("column 2 (group M) is constant"));
  Eigen::MatrixXd twins = pool;
  twins.row(9) = twins.row(2);
  CHECK_THROWS_WITH(Optimizer({}, twins, g), Contains("rows 2 and 9"));
  CHECK_THROWS_WITH(Optimizer({}, pool, ColumnGroups::all(4)), Contains("3 columns"));
  OptimizerConfig one;
  one.initial_design = 1;
  CHECK_THROWS_WITH(Optimizer(one, pool, g), Contains("initial_design must be >= 2"));
  OptimizerConfig needs_source;
  needs_source.transfer.mode = TransferMode::posterior;
  CHECK_THROWS_WITH(Optimizer(needs_source, pool, g), Contains("needs a source task"));

  Optimizer opt({}, pool, g);
  CHECK_THROWS_WITH(opt.observe(30, 0.1), Contains("outside the pool"));
  CHECK_THROWS_WITH(opt.observe(3, std::numeric_limits<double>::quiet_NaN()),
                    Contains("observe_failure"));
  opt.observe(3, 0.2);
  CHECK_THROWS_WITH(opt.observe(3, 0.2), Contains("already has an outcome"));
  CHECK_THROWS_WITH(opt.propose(0), Contains("q must be >= 1"));
}
