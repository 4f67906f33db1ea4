// Migration hops and NEB images: geometry by hand derivation and on the tavorite prototype.
#include <catch2/catch.hpp>
#include <cmath>

#include "structures/error.hpp"
#include "structures/hops.hpp"
#include "tavorite_fixture.hpp"

using namespace ionscreen::structures;

TEST_CASE("supercells reach the requested perpendicular width, no more", "[unit][hops]") {
  const Crystal c = testing::lifeso4f();
  const Eigen::Vector3i m = supercell_for_width(c.lattice, 8.0);
  const Crystal s = supercell(c, m[0], m[1], m[2]);
  CHECK(perpendicular_widths(s.lattice).minCoeff() >= 8.0);
  for (int i = 0; i < 3; ++i) {
    if (m[i] == 1) continue;
    Eigen::Vector3i smaller = m;
    --smaller[i];
    CHECK(perpendicular_widths(supercell(c, smaller[0], smaller[1], smaller[2]).lattice)[i] < 8.0);
  }
  CHECK(s.sites.size() == 16u * static_cast<unsigned>(m.prod()));
}

TEST_CASE("distinct hops on a simple cubic carrier lattice", "[unit][hops]") {
  // One Li per 3 Å cube: neighbours at a (6), a sqrt2 (12), a sqrt3 (8) within 5.5 Å.
  Crystal c;
  c.lattice = Eigen::Matrix3d::Identity() * 3.0;
  c.sites = {{"Li", {0, 0, 0}, 1, "Li1"}};
  const auto hops = distinct_hops(c, "Li", {0}, 5.5);
  REQUIRE(hops.size() == 3);
  CHECK(hops[0].length == Approx(3.0));
  CHECK(hops[0].multiplicity == 6);
  CHECK(hops[1].length == Approx(3.0 * std::sqrt(2.0)));
  CHECK(hops[1].multiplicity == 12);
  CHECK(hops[2].length == Approx(3.0 * std::sqrt(3.0)));
  CHECK(hops[2].multiplicity == 8);
  CHECK_THROWS_AS(distinct_hops(c, "Na", {0}, 5.5), StructureError);
}

namespace {

/// Cordero et al., Dalton Trans. 2008, 2832 covalent radii (Fe: high spin) of the prototype's
/// atoms.
double covalent_radius(const std::string& element) {
  if (element == "Li") return 1.28;
  if (element == "Fe") return 1.52;
  if (element == "S") return 1.05;
  if (element == "O") return 0.66;
  if (element == "F") return 0.57;
  FAIL("no covalent radius for " << element);
  return 0.0;
}

/// min over pairs of distance / (r_i + r_j), and the moving ion's nearest-neighbour distance.
std::pair<double, double> clearance(const Crystal& c, int moving) {
  double ratio = 1e9, mover = 1e9;
  for (std::size_t i = 0; i < c.sites.size(); ++i)
    for (std::size_t j = i + 1; j < c.sites.size(); ++j) {
      const double d = c.distance(c.sites[i].frac, c.sites[j].frac);
      ratio = std::min(
          ratio, d / (covalent_radius(c.sites[i].element) + covalent_radius(c.sites[j].element)));
      if (static_cast<int>(i) == moving || static_cast<int>(j) == moving)
        mover = std::min(mover, d);
    }
  return {ratio, mover};
}

}  // namespace

TEST_CASE("hop end points differ only by the moving ion; images keep atoms apart", "[unit][hops]") {
  const Crystal cell = testing::lifeso4f();
  // The two Li of the cell are inversion images: one orbit. Other sites are their own orbits here.
  std::vector<int> orbits(cell.sites.size());
  for (std::size_t i = 0; i < orbits.size(); ++i) orbits[i] = static_cast<int>(i);
  orbits[1] = 0;
  const auto hops = distinct_hops(cell, "Li", orbits, 5.5);
  REQUIRE(!hops.empty());
  const Eigen::Vector3i m = supercell_for_width(cell.lattice, 8.0);
  const double bulk_shortest = shortest_distance(cell);
  for (const Hop& hop : hops) {
    INFO("hop of " << hop.length << " Å");
    const HopEndpoints ends = hop_endpoints(cell, hop, m);
    REQUIRE(ends.start.sites.size() == 16u * static_cast<unsigned>(m.prod()) - 1u);
    REQUIRE(ends.end.sites.size() == ends.start.sites.size());
    for (std::size_t i = 0; i < ends.start.sites.size(); ++i) {
      const double moved = ends.start.distance(ends.start.sites[i].frac, ends.end.sites[i].frac);
      if (static_cast<int>(i) == ends.moving)
        CHECK(moved == Approx(hop.length).margin(1e-9));
      else
        CHECK(moved < 1e-12);
    }
    CHECK(ends.start.sites[static_cast<std::size_t>(ends.moving)].element == "Li");
    // Images: no pair closer than 0.7 x the sum of covalent radii (the structure check of the
    // issue), and IDPP gives the moving ion at least the room linear interpolation gives it.
    const auto linear = linear_images(ends.start, ends.end, 5);
    const auto idpp = idpp_images(ends.start, ends.end, 5);
    REQUIRE(idpp.size() == 5);
    double linear_mover = 1e9, idpp_mover = 1e9, idpp_ratio = 1e9;
    for (int k = 0; k < 5; ++k) {
      linear_mover = std::min(linear_mover,
                              clearance(linear[static_cast<std::size_t>(k)], ends.moving).second);
      const auto [ratio, mover] = clearance(idpp[static_cast<std::size_t>(k)], ends.moving);
      idpp_ratio = std::min(idpp_ratio, ratio);
      idpp_mover = std::min(idpp_mover, mover);
    }
    INFO("bulk shortest " << bulk_shortest << " Å; moving ion's nearest neighbour: linear "
                          << linear_mover << " Å, idpp " << idpp_mover << " Å; idpp distance / "
                          << "covalent sum >= " << idpp_ratio);
    CHECK(idpp_ratio > 0.7);
    CHECK(idpp_mover >= linear_mover - 1e-3);
  }
}

TEST_CASE("interpolation refuses mismatched end points", "[unit][hops]") {
  Crystal a = testing::lifeso4f(), b = a;
  b.sites.pop_back();
  CHECK_THROWS_WITH(linear_images(a, b, 3), Catch::Contains("16 and 15 atoms"));
  b = a;
  b.sites[0].element = "Na";
  CHECK_THROWS_WITH(idpp_images(a, b, 3), Catch::Contains("same order"));
}
