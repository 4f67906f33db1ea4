// Bond-valence relaxation: analytic gradient, the prototype, and cells that fit their ions.
#include <catch2/catch.hpp>

#include "structures/bv_objective.hpp"
#include "structures/bv_relax.hpp"
#include "tavorite_fixture.hpp"

using namespace ionscreen::structures;

namespace {
const BondValenceTable& table() {
  static const BondValenceTable t = BondValenceTable::load(IONSCREEN_SOURCE_DIR "/inputs/bvse");
  return t;
}
Crystal with_carrier(Crystal c, const std::string& carrier) {
  for (auto& s : c.sites)
    if (s.element == "Li") s.element = carrier;
  return c;
}
}  // namespace

TEST_CASE("the relaxation objective's gradient matches finite differences", "[unit][bv_relax]") {
  const auto carrier = GENERATE(std::string("Li"), std::string("Na"));
  const Crystal start = with_carrier(testing::lifeso4f(), carrier);
  const BondValenceObjective objective(start, table(), {});
  Eigen::VectorXd x = objective.initial();
  x[0] += 0.01;  // away from the start, where the like-charge floors are inactive
  x[7] += 0.003;
  Eigen::VectorXd g(x.size()), scratch(x.size());
  objective(x, g);
  for (Eigen::Index k = 0; k < x.size(); ++k) {
    Eigen::VectorXd up = x, down = x;
    up[k] += 1e-6;
    down[k] -= 1e-6;
    const double numeric = (objective(up, scratch) - objective(down, scratch)) / 2e-6;
    INFO("parameter " << k);
    CHECK(g[k] == Approx(numeric).epsilon(1e-5).margin(1e-6));
  }
}

TEST_CASE("inversion pairs of the prototype", "[unit][bv_relax]") {
  const Crystal c = testing::lifeso4f();
  const auto pairs = inversion_pairs(c);
  int centres = 0;
  for (const auto& [i, j] : pairs) {
    CHECK(c.sites[i].element == c.sites[j].element);
    centres += i == j;
  }
  CHECK(centres == 2);  // Fe1 at (0,0,1/2) and Fe2 at the origin
  CHECK(pairs.size() == 9);
  Crystal broken = c;
  broken.sites[0].frac += Eigen::Vector3d(0.1, 0, 0);
  CHECK_THROWS_WITH(inversion_pairs(broken),
                    Catch::Contains("Li1") && Catch::Contains("inversion"));
}

TEST_CASE("relaxing the prototype keeps it and lowers GII", "[unit][bv_relax]") {
  const RelaxReport r = relax_bond_valence(testing::lifeso4f(), table());
  INFO("GII " << r.gii_before << " -> " << r.gii_after << ", volume " << r.volume_before << " -> "
              << r.volume_after << ", worst BVS deviation " << r.worst_deviation);
  CHECK(r.gii_after < r.gii_before);
  CHECK(r.worst_deviation < 0.10);
  CHECK(std::abs(r.volume_after / r.volume_before - 1.0) < 0.05);  // it was already good
  CHECK(r.shortest_before == Approx(1.43886).epsilon(1e-4));       // S-O in the published cell
  CHECK(r.shortest_after > 1.3);
}

TEST_CASE("a Na tavorite relaxes to a larger cell than its Li analogue", "[unit][bv_relax]") {
  const RelaxReport li = relax_bond_valence(testing::lifeso4f(), table());
  const Crystal na_start = with_carrier(testing::lifeso4f(), "Na");
  const RelaxReport na = relax_bond_valence(na_start, table());
  INFO("Li cell " << li.volume_after << " A^3, Na cell " << na.volume_after << " A^3; Na GII "
                  << na.gii_before << " -> " << na.gii_after << ", worst " << na.worst_deviation);
  CHECK(na.volume_after > 1.05 * li.volume_after);
  CHECK(na.gii_after < na.gii_before);
  CHECK(na.worst_deviation < 0.10);
}
