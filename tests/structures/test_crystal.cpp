// The crystal value type: cell geometry by hand derivation.
#include <catch2/catch.hpp>
#include <cmath>

#include "structures/crystal.hpp"
#include "structures/error.hpp"

using namespace ionscreen::structures;

TEST_CASE("cell parameters round-trip through the standard orientation", "[unit][crystal]") {
  const CellParameters p{5.18005, 5.49165, 7.22890, 106.49, 107.19, 97.91};
  Crystal c;
  c.lattice = lattice_from_parameters(p);
  const CellParameters q = c.parameters();
  CHECK(q.a == Approx(p.a));
  CHECK(q.b == Approx(p.b));
  CHECK(q.c == Approx(p.c));
  CHECK(q.alpha == Approx(p.alpha));
  CHECK(q.beta == Approx(p.beta));
  CHECK(q.gamma == Approx(p.gamma));
  // The prototype CIF states V = 182.784 A^3 for these parameters.
  CHECK(c.volume() == Approx(182.784).epsilon(1e-5));
  CHECK_THROWS_AS(lattice_from_parameters({1, 1, 1, 10, 10, 170}), InputError);
}

TEST_CASE("periodic distances, wrapping, supercells and widths", "[unit][crystal]") {
  Crystal c;
  c.lattice = Eigen::Matrix3d::Identity() * 4.0;
  CHECK(c.distance({0.05, 0, 0}, {0.95, 0, 0}) == Approx(0.4));
  CHECK(c.distance({0.5, 0.5, 0.5}, {0, 0, 0}) == Approx(std::sqrt(12.0)));
  CHECK(wrap({-0.25, 1.25, -1e-17}).isApprox(Eigen::Vector3d(0.75, 0.25, 0.0)));
  c.sites = {{"Na", {0, 0, 0}, 1, "Na1"}, {"Cl", {0.5, 0.5, 0.5}, -1, "Cl1"}};
  const Crystal s = supercell(c, 2, 1, 3);
  CHECK(s.sites.size() == 12);
  CHECK(s.volume() == Approx(6 * 64.0));
  CHECK(s.formula() == "Na6Cl6");
  CHECK(perpendicular_widths(s.lattice).isApprox(Eigen::Vector3d(8, 4, 12)));
  // A sheared cell: the width across b is shorter than |b|.
  Eigen::Matrix3d L;
  L << 4, 0, 0, 2, 4, 0, 0, 0, 4;
  CHECK(perpendicular_widths(L)[1] == Approx(4.0));
  CHECK(perpendicular_widths(L)[0] == Approx(16.0 / std::sqrt(20.0)));
}
