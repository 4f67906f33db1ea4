// Thresholds for BVSE landscapes, by hand derivation.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "pipeline/base/error.hpp"
#include "pipeline/campaign/threshold.hpp"

using namespace ionscreen::pipeline;

TEST_CASE("threshold texts", "[unit][threshold]") {
  CHECK(parse_threshold("0.3").kind == Threshold::Kind::absolute);
  CHECK(parse_threshold("0.3eV").value == 0.3);
  CHECK(parse_threshold("q0.05").kind == Threshold::Kind::quantile);
  CHECK(parse_threshold("5%").value == Approx(0.05));
  CHECK(Threshold{}.value == Approx(17.0 / 318.0));    // the DFT+BO study's qualifying fraction
  CHECK(to_string(parse_threshold("5%")) == "q0.05");  // what a campaign file stores
  CHECK(parse_threshold(to_string(parse_threshold("0.3eV"))) == parse_threshold("0.3"));
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
