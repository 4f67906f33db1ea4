// Thresholds for BVSE landscapes and the linear calibration to DFT, by hand derivation.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <limits>

#include "pipeline/error.hpp"
#include "pipeline/threshold.hpp"

using namespace ionscreen::pipeline;

TEST_CASE("threshold texts", "[unit][threshold]") {
  CHECK(parse_threshold("0.3").kind == Threshold::Kind::absolute);
  CHECK(parse_threshold("0.3eV").value == 0.3);
  CHECK(parse_threshold("q0.05").kind == Threshold::Kind::quantile);
  CHECK(parse_threshold("5%").value == Approx(0.05));
  CHECK(Threshold{}.value == Approx(17.0 / 318.0));  // the DFT+BO study's qualifying fraction
  for (const char* bad : {"", "abc", "q1.5", "0%", "q", "nan"})
    CHECK_THROWS_WITH(parse_threshold(bad), Catch::Contains("threshold '"));
}

TEST_CASE("a quantile threshold leaves round(q N) finite values below it", "[unit][threshold]") {
  std::vector<double> v;
  for (int i = 0; i < 100; ++i) v.push_back(0.01 * (99 - i));  // 0.00 .. 0.99, shuffled order
  v.push_back(std::numeric_limits<double>::infinity());        // no percolation: ignored
  const double t = resolve({Threshold::Kind::quantile, 0.05}, v);
  CHECK(t == Approx(0.045));
  CHECK(std::count_if(v.begin(), v.end(), [&](double e) { return e < t; }) == 5);
  CHECK(resolve({Threshold::Kind::absolute, 0.3}, v) == 0.3);
  CHECK_THROWS_AS(resolve({Threshold::Kind::quantile, 0.05}, {1.0}), InputError);
}

TEST_CASE("linear calibration by least squares", "[unit][threshold]") {
  // dft = 0.8 bvse - 0.1 exactly: slope and intercept recovered, no residual.
  const LinearCalibration exact = fit_calibration({0.5, 1.0, 1.5}, {0.3, 0.7, 1.1});
  CHECK(exact.slope == Approx(0.8));
  CHECK(exact.intercept == Approx(-0.1));
  CHECK(exact.rms == Approx(0.0).margin(1e-12));
  CHECK(exact.apply(2.0) == Approx(1.5));
  // Hand-computed: x = 0, 1, 2; y = 0, 2, 1 -> slope 0.5, intercept 0.5, residuals -0.5, 1, -0.5.
  const LinearCalibration noisy = fit_calibration({0, 1, 2}, {0, 2, 1});
  CHECK(noisy.slope == Approx(0.5));
  CHECK(noisy.intercept == Approx(0.5));
  CHECK(noisy.rms == Approx(std::sqrt(1.5 / 3.0)));
  CHECK_THROWS_AS(fit_calibration({1.0}, {1.0}), InputError);
  CHECK_THROWS_AS(fit_calibration({1.0, 1.0}, {1.0, 2.0}), InputError);
}
