// Posterior mean, variance and log marginal likelihood at fixed hyperparameters against
// scikit-learn 1.2.1 (fixtures from tests/fixtures/gp/make_sklearn_fixtures.py).
//
// Tolerance, for every compared number: |ours - sklearn| <= 1e-8 * max(1, |sklearn|), i.e.
// absolute 1e-8 for magnitudes up to 1 and relative 1e-8 above (log likelihoods are O(10-100),
// targets O(1-5)).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "fixture_reader.hpp"
#include "gp/regression.hpp"

namespace gp = ionscreen::gp;

namespace {

constexpr double kTolerance = 1e-8;

double scaled_error(double ours, double reference) {
  return std::abs(ours - reference) / std::max(1.0, std::abs(reference));
}

}  // namespace

TEST_CASE("posterior and log likelihood agree with scikit-learn", "[sklearn][unit]") {
  const std::string name =
      GENERATE(as<std::string>{}, "se_ard", "matern52_ard", "sum_se_linear_const_white",
               "prod_se_matern52", "additive_groups");
  const std::string path =
      std::string(IONSCREEN_SOURCE_DIR) + "/tests/fixtures/gp/sklearn_" + name + ".txt";
  INFO("fixture " << path);
  const ionscreen::test::Fixture fx = ionscreen::test::read_fixture(path);

  const Eigen::MatrixXd& X = fx.matrix("X");
  const Eigen::VectorXd& y = fx.vector("y");
  const Eigen::MatrixXd& Xstar = fx.matrix("Xstar");
  const Eigen::VectorXd& mean = fx.vector("mean");
  const Eigen::VectorXd& variance = fx.vector("variance");
  REQUIRE(y.size() == X.rows());
  REQUIRE(mean.size() == Xstar.rows());
  REQUIRE(variance.size() == Xstar.rows());

  const gp::ColumnGroups groups = fx.column_groups(static_cast<int>(X.cols()));
  gp::Model model(gp::parse_kernel(fx.spec, groups));
  model.standardize = fx.standardize;
  // Every hyperparameter of the model must be set by the fixture, exactly once.
  std::set<std::string> seen;
  for (const auto& [pname, value] : fx.params) {
    INFO("parameter " << pname);
    REQUIRE(seen.insert(pname).second);
    model.set(pname, value);
  }
  for (const auto& info : model.parameters()) {
    INFO("model parameter " << info.name << " missing from the fixture");
    CHECK(seen.count(info.name) == 1);
  }
  REQUIRE(seen.size() == model.parameters().size());

  const gp::Fit fit = gp::condition(model, X, y);
  // sklearn adds no jitter; a jittered fit would not be the same model.
  REQUIRE(fit.jitter == 0.0);
  const gp::Prediction pred = gp::predict(fit, Xstar);

  double worst_mean = 0.0, worst_var = 0.0;
  for (Eigen::Index i = 0; i < Xstar.rows(); ++i) {
    INFO("test point " << i);
    const double em = scaled_error(pred.mean[i], mean[i]);
    const double ev = scaled_error(pred.variance[i], variance[i]);
    worst_mean = std::max(worst_mean, em);
    worst_var = std::max(worst_var, ev);
    CHECK(em <= kTolerance);
    CHECK(ev <= kTolerance);
  }
  const double reference_lml = fx.scalar("log_likelihood");
  const double elml = scaled_error(fit.log_likelihood, reference_lml);
  CHECK(elml <= kTolerance);
  // Reported with -s: the largest scaled discrepancy of each quantity.
  WARN("sklearn " << name << ": max scaled error mean " << worst_mean << ", variance " << worst_var
                  << ", log likelihood " << elml << " (ours " << fit.log_likelihood << ", sklearn "
                  << reference_lml << ")");
}

TEST_CASE("fixture reader rejects malformed fixtures", "[sklearn][unit]") {
  // The reader must not silently accept truncated data, or the comparison above could pass on
  // partial fixtures.
  const std::string dir = std::string(IONSCREEN_SOURCE_DIR) + "/tests/fixtures/gp/";
  CHECK_THROWS(ionscreen::test::read_fixture(dir + "does_not_exist.txt"));
  const ionscreen::test::Fixture fx =
      ionscreen::test::read_fixture(dir + "sklearn_additive_groups.txt");
  CHECK(fx.spec == "sum(se[A], se[B], matern52[C])");
  REQUIRE(fx.groups.size() == 3);
  CHECK(fx.groups[2].first == "C");
  CHECK(fx.groups[2].second == std::vector<int>{1, 4});
  CHECK(fx.standardize);
  CHECK(fx.matrix("X").rows() == 30);
  CHECK(fx.matrix("X").cols() == 5);
  CHECK_THROWS(fx.matrix("nope"));

  // A truncated matrix, a bad number and an unknown keyword are errors naming the line.
  const auto tmp = std::filesystem::temp_directory_path() / "ionscreen_bad_fixture.txt";
  const auto write = [&](const std::string& text) {
    std::ofstream(tmp) << text;
    return tmp.string();
  };
  CHECK_THROWS_WITH(ionscreen::test::read_fixture(write("spec se\nmatrix X 2 2\n1 2\n3\n")),
                    Catch::Contains("still expected"));
  CHECK_THROWS_WITH(ionscreen::test::read_fixture(write("spec se\n# c\nvector y 2\n1 2x\n")),
                    Catch::Contains(":4:") && Catch::Contains("2x"));
  CHECK_THROWS_WITH(ionscreen::test::read_fixture(write("spec se\nvector y 1\n1 2\n")),
                    Catch::Contains("more numbers"));
  CHECK_THROWS_WITH(ionscreen::test::read_fixture(write("spec se\nbogus 1\n")),
                    Catch::Contains(":2:") && Catch::Contains("bogus"));
  const auto good = ionscreen::test::read_fixture(
      write("# c\nspec  sum(se, white) \nparam se#2.variance -1.5\nscalar s 2.5e-3\n"));
  CHECK(good.spec == "sum(se, white)");
  REQUIRE(good.params.size() == 1);
  CHECK(good.params[0].first == "se#2.variance");
  CHECK(good.params[0].second == -1.5);
  CHECK(good.scalar("s") == 2.5e-3);
  std::filesystem::remove(tmp);
}
