// Acquisition functions against hand-derived values (standard normal tables:
// phi(0) = 0.3989422804014327, Phi(1) = 0.8413447460685429, phi(1) = 0.24197072451914337,
// Phi^-1(0.975) = 1.959963984540054).
#include <catch2/catch.hpp>
#include <cmath>

#include "gp/acquisition.hpp"
#include "gp/error.hpp"

using namespace ionscreen::gp;

TEST_CASE("expected improvement and probability of improvement", "[unit][acquisition]") {
  const Scorer ei({AcquisitionKind::ei});
  CHECK(ei(0.0, 1.0, 0.0) == Approx(0.3989422804014327).epsilon(1e-14));
  // gain 1, sd 1: 1 * Phi(1) + phi(1)
  CHECK(ei(-1.0, 1.0, 0.0) == Approx(0.8413447460685429 + 0.24197072451914337).epsilon(1e-14));
  // scale invariance: EI(a mean, a sd, a best) = a EI(mean, sd, best)
  CHECK(ei(-0.2, 0.2, 0.0) == Approx(0.2 * ei(-1.0, 1.0, 0.0)).epsilon(1e-14));
  CHECK(ei(1.0, 0.0, 0.0) == 0.0);
  CHECK(ei(-0.5, 0.0, 0.0) == Approx(0.5));
  AcquisitionConfig margin{AcquisitionKind::ei};
  margin.xi = 1.0;
  CHECK(Scorer(margin)(-1.0, 1.0, 1.0) == Approx(ei(-1.0, 1.0, 0.0)));
  const Scorer pi({AcquisitionKind::pi});
  CHECK(pi(-1.0, 1.0, 0.0) == Approx(0.8413447460685429).epsilon(1e-14));
  CHECK(pi(0.0, 1.0, 0.0) == Approx(0.5));
}

TEST_CASE("lower confidence bound and straddle", "[unit][acquisition]") {
  AcquisitionConfig c{AcquisitionKind::lcb};
  c.kappa = 3.0;
  CHECK(Scorer(c)(0.4, 0.1, 0.0) == Approx(-(0.4 - 0.3)));
  c.kind = AcquisitionKind::straddle;
  c.threshold = 0.3;
  CHECK(Scorer(c)(0.5, 0.1, 0.0) == Approx(1.96 * 0.1 - 0.2));
}

TEST_CASE("normal quantile inverts the cdf", "[unit][acquisition]") {
  CHECK(normal_quantile(0.975) == Approx(1.959963984540054).epsilon(1e-12));
  CHECK(normal_quantile(0.5) == Approx(0.0).margin(1e-14));
  for (double p : {1e-6, 0.01, 0.3, 0.9, 0.999999})
    CHECK(normal_cdf(normal_quantile(p)) == Approx(p).epsilon(1e-10));
  CHECK_THROWS_AS(normal_quantile(1.0), InvalidInput);
}

TEST_CASE("level-set labels and ambiguity", "[unit][acquisition]") {
  AcquisitionConfig c{AcquisitionKind::lse};
  c.threshold = 0.3;
  c.delta = 0.05;  // z = 1.96
  const Scorer lse(c);
  CHECK(lse.classify(0.1, 0.1) == Label::below);        // 0.296 < 0.3
  CHECK(lse.classify(0.1, 0.103) == Label::undecided);  // 0.302 > 0.3
  CHECK(lse.classify(0.6, 0.15) == Label::above);       // 0.306 > 0.3
  CHECK(lse.classify(0.3, 0.01) == Label::undecided);
  // Ambiguity: min(upper - t, t - lower) for undecided, -inf for decided candidates.
  const double z = 1.959963984540054;
  CHECK(lse(0.25, 0.1, 0.0) == Approx(std::min(0.25 + z * 0.1 - 0.3, 0.3 - 0.25 + z * 0.1)));
  CHECK(std::isinf(lse(0.1, 0.01, 0.0)));
}

TEST_CASE("acquisition names and bad settings", "[unit][acquisition]") {
  for (auto k : {AcquisitionKind::ei, AcquisitionKind::pi, AcquisitionKind::lcb,
                 AcquisitionKind::thompson, AcquisitionKind::straddle, AcquisitionKind::lse})
    CHECK(parse_acquisition(to_string(k)) == k);
  CHECK_THROWS_WITH(parse_acquisition("ucb"), Catch::Contains("known: ei, pi, lcb"));
  AcquisitionConfig c;
  c.delta = 0.0;
  CHECK_THROWS_AS(Scorer(c), InvalidInput);
  c.delta = 0.05;
  c.kappa = -1.0;
  CHECK_THROWS_AS(Scorer(c), InvalidInput);
}
