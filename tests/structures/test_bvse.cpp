// BVSE barriers (structures/bvse.hpp) and the percolation search (structures/percolation.hpp).
// Reference values: /work/shared/docs/BVSE.md (bvlain's published Li3PO4 example).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "structures/bvse.hpp"
#include "structures/cif.hpp"
#include "structures/crystal.hpp"
#include "structures/error.hpp"
#include "structures/percolation.hpp"
#include "tavorite_fixture.hpp"

using namespace ionscreen::structures;
using Catch::Matchers::Contains;
using ionscreen::structures::testing::message_of;

namespace {

const std::filesystem::path kSource(IONSCREEN_SOURCE_DIR);

const BvseTables& tables() {
  static const BvseTables t =
      BvseTables::load(kSource / "inputs/bvse", ElementTable::load(kSource / "inputs/elements"));
  return t;
}

Crystal li3po4() { return read_cif(kSource / "tests/fixtures/structures/Li3PO4_mp-2878.cif"); }

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kStep = 10.0 / 1024.0;  // resolution of the bisection on [0, 10] eV

/// A periodic synthetic grid: value(i mod m0, j mod m1, k mod m2) with m = n - 1, so the end
/// planes repeat the first ones as in a BVSE grid.
template <class F>
std::vector<float> periodic_grid(const Eigen::Vector3i& n, F value) {
  std::vector<float> g(static_cast<std::size_t>(n.prod()));
  for (int k = 0; k < n(2); ++k)
    for (int j = 0; j < n(1); ++j)
      for (int i = 0; i < n(0); ++i)
        g[static_cast<std::size_t>(i + n(0) * (j + n(1) * k))] =
            static_cast<float>(value(i % (n(0) - 1), j % (n(1) - 1), k % (n(2) - 1)));
  return g;
}

/// The literal definition (BVSE.md steps 3-4): tile 2x2x2, label with 26-neighbour connectivity
/// by breadth-first search inside the block, join the identical points on opposite faces of the
/// block, then count the shifted copies of each point of the first cell in its region.
int literal_dimension(const std::vector<float>& e, const Eigen::Vector3i& n, double t) {
  const Eigen::Vector3i m = 2 * n;
  const auto idx = [&](int i, int j, int k) { return i + m(0) * (j + m(1) * k); };
  const auto below = [&](int i, int j, int k) {
    return e[static_cast<std::size_t>(i % n(0) + n(0) * (j % n(1) + n(1) * (k % n(2))))] < t;
  };
  std::vector<int> label(static_cast<std::size_t>(m.prod()), -1);
  int next = 0;
  for (int k0 = 0; k0 < m(2); ++k0)
    for (int j0 = 0; j0 < m(1); ++j0)
      for (int i0 = 0; i0 < m(0); ++i0) {
        if (!below(i0, j0, k0) || label[static_cast<std::size_t>(idx(i0, j0, k0))] >= 0) continue;
        std::vector<Eigen::Vector3i> stack{{i0, j0, k0}};
        label[static_cast<std::size_t>(idx(i0, j0, k0))] = next;
        while (!stack.empty()) {
          const Eigen::Vector3i p = stack.back();
          stack.pop_back();
          std::vector<Eigen::Vector3i> nb;
          for (int dk = -1; dk <= 1; ++dk)
            for (int dj = -1; dj <= 1; ++dj)
              for (int di = -1; di <= 1; ++di) nb.emplace_back(p(0) + di, p(1) + dj, p(2) + dk);
          for (int a = 0; a < 3; ++a) {  // the periodic faces of the block: the same points
            Eigen::Vector3i q = p;
            if (p(a) == 0) q(a) = m(a) - 1;
            if (p(a) == m(a) - 1) q(a) = 0;
            nb.push_back(q);
          }
          for (const Eigen::Vector3i& q : nb) {
            if ((q.array() < 0).any() || (q.array() >= m.array()).any()) continue;
            if (!below(q(0), q(1), q(2))) continue;
            int& l = label[static_cast<std::size_t>(idx(q(0), q(1), q(2)))];
            if (l >= 0) continue;
            l = next;
            stack.push_back(q);
          }
        }
        ++next;
      }
  int best = 0;
  for (int k = 0; k < n(2); ++k)
    for (int j = 0; j < n(1); ++j)
      for (int i = 0; i < n(0); ++i) {
        if (!below(i, j, k)) continue;
        const int own = label[static_cast<std::size_t>(idx(i, j, k))];
        int copies = 0;
        for (int s = 0; s < 8; ++s)
          copies +=
              label[static_cast<std::size_t>(idx(i + (s & 1 ? n(0) : 0), j + (s & 2 ? n(1) : 0),
                                                 k + (s & 4 ? n(2) : 0)))] == own;
        best = std::max(best, copies == 8 ? 3 : copies == 4 ? 2 : copies == 2 ? 1 : 0);
      }
  return best;
}

}  // namespace

TEST_CASE("percolation of synthetic channel grids", "[unit][bvse]") {
  const Eigen::Vector3i n(9, 9, 9);
  SECTION("a straight channel along a") {
    const auto g = periodic_grid(n, [](int, int j, int k) { return j == 3 && k == 5 ? 0.0 : 5.0; });
    const PercolationBarriers b = percolation_barriers(g, n);
    CHECK(b.e1d == kStep);        // the first bisection point above 0
    CHECK(b.e2d == 513 * kStep);  // E < t is strict: t = 5 exactly does not count
    CHECK(b.e3d == 513 * kStep);
  }
  SECTION("a channel with a 0.5 eV bump") {
    const auto g = periodic_grid(
        n, [](int i, int j, int k) { return j == 3 && k == 5 ? (i == 4 ? 0.5 : 0.0) : 5.0; });
    const PercolationBarriers b = percolation_barriers(g, n);
    CHECK(b.e1d == 52 * kStep);  // 0.5078 eV: the smallest multiple of 10/1024 above 0.5
    CHECK(b.e2d == 513 * kStep);
  }
  SECTION("a diagonal channel along a + b is 1D") {
    const auto g =
        periodic_grid(n, [](int i, int j, int k) { return i == j && k == 2 ? 0.0 : 7.0; });
    const PercolationBarriers b = percolation_barriers(g, n);
    CHECK(b.e1d == kStep);
    CHECK(b.e2d == 717 * kStep);  // 7.0020 eV
  }
  SECTION("a slab in the ab plane is 2D, then 3D through a 1 eV window") {
    const auto g =
        periodic_grid(n, [](int, int j, int k) { return k == 4 ? 0.0 : (j == 2 ? 1.0 : 3.0); });
    const PercolationBarriers b = percolation_barriers(g, n);
    CHECK(b.e1d == kStep);
    CHECK(b.e2d == kStep);
    CHECK(b.e3d == 103 * kStep);  // 1.0059 eV
    CHECK(percolation_dimension(g, n, 0.5) == 2);
    CHECK(percolation_dimension(g, n, 2.0) == 3);
  }
  SECTION("an isolated pocket never percolates below 10 eV") {
    const auto g = periodic_grid(
        n, [](int i, int j, int k) { return i == 4 && j == 4 && k == 4 ? 0.0 : 20.0; });
    const PercolationBarriers b = percolation_barriers(g, n);
    CHECK(b.e1d == kInf);
    CHECK(b.e2d == kInf);
    CHECK(b.e3d == kInf);
  }
  SECTION("a flat grid percolates in 3D at once") {
    const auto g = periodic_grid(n, [](int, int, int) { return 0.0; });
    const PercolationBarriers b = percolation_barriers(g, n);
    CHECK(b.e3d == kStep);
  }
  SECTION("bad grids are rejected") {
    CHECK_THROWS_AS(percolation_barriers(std::vector<float>(10), n), std::invalid_argument);
    CHECK_THROWS_AS(percolation_barriers(std::vector<float>(9), Eigen::Vector3i(1, 3, 3)),
                    std::invalid_argument);
  }
}

TEST_CASE("the single-cell percolation agrees with a literal 2x2x2 labelling", "[unit][bvse]") {
  std::mt19937 rng(12345);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 12; ++trial) {
    const Eigen::Vector3i n(4 + trial % 3, 5 + trial % 2, 4 + trial % 4);
    std::vector<double> base(static_cast<std::size_t>((n.array() - 1).prod()));
    for (double& v : base) v = u(rng);
    const auto g = periodic_grid(n, [&](int i, int j, int k) {
      return base[static_cast<std::size_t>(i + (n(0) - 1) * (j + (n(1) - 1) * k))];
    });
    for (double t = 0.1; t < 1.0; t += 0.1) {
      INFO("trial " << trial << " threshold " << t);
      CHECK(percolation_dimension(g, n, t) == literal_dimension(g, n, t));
    }
  }
}

TEST_CASE("BVSE tables", "[unit][bvse]") {
  const MorsePair& m = tables().morse("Li", 1, "O", -2);
  CHECK(m.d0 == Approx(0.98816));
  CHECK(m.rmin == Approx(1.940013));
  CHECK(m.alpha == Approx(1.937984));
  CHECK(tables().morse("Li", 1, "F", -1).d0 == Approx(0.49611));
  CHECK_FALSE(tables().has_morse("Be", 2, "S", -2));  // an inactive ('#') row
  const std::string msg = message_of<InputError>([] { (void)tables().morse("Li", 1, "O", -3); });
  CHECK_THAT(msg, Contains("Li+ - O3-") && Contains("bvse_pairs.dat"));
}

TEST_CASE("BVSE reproduces bvlain's Li3PO4 example", "[unit][bvse]") {
  const BvseResult r = bvse_barriers(li3po4(), "Li", 1, tables());
  WARN("Li3PO4: E1D " << r.e1d << " E2D " << r.e2d << " E3D " << r.e3d << " grid "
                      << r.grid.transpose());
  CHECK(r.grid == Eigen::Vector3i(24, 30, 52));
  CHECK(r.e1d == Approx(0.4785).margin(0.005));
  CHECK(r.e2d == Approx(0.4785).margin(0.005));
  CHECK(r.e3d == Approx(0.8008).margin(0.005));
  CHECK(r.energy.empty());
}

TEST_CASE("BVSE barriers do not depend on the cell description", "[unit][bvse]") {
  const Crystal c = li3po4();
  const BvseResult ref = bvse_barriers(c, "Li", 1, tables());
  const auto same = [&](const Crystal& other, const char* what) {
    const BvseResult r = bvse_barriers(other, "Li", 1, tables());
    INFO(what << ": " << r.e1d << " " << r.e2d << " " << r.e3d);
    CHECK(r.e1d == Approx(ref.e1d).margin(0.03));
    CHECK(r.e2d == Approx(ref.e2d).margin(0.03));
    CHECK(r.e3d == Approx(ref.e3d).margin(0.03));
  };
  same(supercell(c, 1, 1, 2), "1x1x2 supercell");
  Crystal permuted = c;
  std::reverse(permuted.sites.begin(), permuted.sites.end());
  std::rotate(permuted.sites.begin(), permuted.sites.begin() + 7, permuted.sites.end());
  same(permuted, "permuted sites");
  Crystal shifted = c;
  for (Site& s : shifted.sites) s.frac += Eigen::Vector3d(1.0, -2.0, 3.0);
  same(shifted, "shifted by a lattice vector");
  Crystal origin = c;
  for (Site& s : origin.sites) s.frac += Eigen::Vector3d(0.013, 0.29, 0.071);
  same(origin, "origin moved off the grid");
}

TEST_CASE("BVSE input errors", "[unit][bvse]") {
  Crystal c = li3po4();
  SECTION("a missing Morse pair names the pair") {
    for (Site& s : c.sites)
      if (s.element == "O") s.oxidation = -3;
    const std::string msg = message_of<InputError>([&] { bvse_barriers(c, "Li", 1, tables()); });
    CHECK_THAT(msg, Contains("Missing bond-valence pair") && Contains("Li+ - O3-") &&
                        Contains("bvse_pairs.dat"));
  }
  SECTION("a site without an oxidation state is named") {
    c.sites[17].oxidation = 0;
    const std::string msg = message_of<InputError>([&] { bvse_barriers(c, "Li", 1, tables()); });
    CHECK_THAT(msg, Contains(c.sites[17].label) && Contains("oxidation"));
  }
  SECTION("a grid too coarse for the cell") {
    BvseOptions o;
    o.grid_spacing = 6.0;
    CHECK_THROWS_AS(bvse_barriers(c, "Li", 1, tables(), o), InputError);
  }
}

TEST_CASE("BVSE of the LiFeSO4F tavorite prototype", "[unit][bvse]") {
  Crystal c = read_cif(kSource / "inputs/prototypes/LiFeSO4F_tavorite.cif");
  const std::map<std::string, int> oxidation{{"Li", 1}, {"Fe", 2}, {"S", 6}, {"O", -2}, {"F", -1}};
  for (Site& s : c.sites) {
    CHECK(s.oxidation == 0);  // the prototype file carries none
    s.oxidation = oxidation.at(s.element);
  }
  BvseOptions o;
  o.keep_grid = true;
  const BvseResult r = bvse_barriers(c, "Li", 1, tables(), o);
  WARN("LiFeSO4F: E1D " << r.e1d << " E2D " << r.e2d << " E3D " << r.e3d << " grid "
                        << r.grid.transpose());
  CHECK(r.e1d == Approx(0.57).margin(0.1));
  CHECK(r.e1d <= r.e2d);
  CHECK(r.e2d <= r.e3d);
  // The typed-in fixture (no CIF reader) gives the same landscape.
  const BvseResult typed = bvse_barriers(testing::lifeso4f(), "Li", 1, tables());
  CHECK(typed.e1d == r.e1d);
  CHECK(typed.e3d == r.e3d);

  SECTION("the grid and its cube file") {
    REQUIRE(r.energy.size() == static_cast<std::size_t>(r.grid.prod()));
    CHECK(*std::min_element(r.energy.begin(), r.energy.end()) == 0.0f);
    // The end planes repeat the first ones.
    const auto at = [&](int i, int j, int k) {
      return r.energy[static_cast<std::size_t>(i + r.grid(0) * (j + r.grid(1) * k))];
    };
    CHECK(at(r.grid(0) - 1, 3, 4) == at(0, 3, 4));
    CHECK(at(2, r.grid(1) - 1, r.grid(2) - 1) == at(2, 0, 0));
    const std::string cube = write_cube(c, r);
    std::istringstream in(cube);
    std::string line;
    std::getline(in, line);
    std::getline(in, line);
    int atoms = 0;
    double x0 = 0, y0 = 0, z0 = 0;
    in >> atoms >> x0 >> y0 >> z0;
    CHECK(atoms == static_cast<int>(c.sites.size()));
    Eigen::Matrix3d voxel;
    Eigen::Vector3i counts;
    for (int i = 0; i < 3; ++i) in >> counts(i) >> voxel(i, 0) >> voxel(i, 1) >> voxel(i, 2);
    CHECK(counts == (r.grid.array() - 1).matrix());
    // Voxel vectors in Bohr span exactly one cell.
    const Eigen::Matrix3d cell = counts.cast<double>().asDiagonal() * voxel * 0.529177210903;
    CHECK((cell - c.lattice).norm() < 1e-4);
    for (int a = 0; a < atoms; ++a) {
      double z, q, x, y, w;
      in >> z >> q >> x >> y >> w;
    }
    std::size_t values = 0;
    double v = 0, biggest = 0;
    while (in >> v) {
      ++values;
      biggest = std::max(biggest, v);
    }
    CHECK(values == static_cast<std::size_t>(counts.prod()));
    CHECK(biggest > 1.0);
  }
  SECTION("write_cube needs the grid") {
    const BvseResult no_grid = bvse_barriers(c, "Li", 1, tables());
    CHECK_THROWS_AS(write_cube(c, no_grid), InputError);
  }
}

TEST_CASE("bvse: a grid too large to compute is refused before anything is allocated",
          "[unit][bvse]") {
  // Review finding D9: a long cell ran for hours. A 400 Å cell at 0.05 Å would need 8000 x 92 x
  // 92 points; the limit is 2e7.
  Crystal crystal;
  crystal.name = "long";
  crystal.lattice << 400, 0, 0, 0, 4.61, 0, 0, 0, 4.61;
  crystal.sites = {{"Li", {0, 0, 0}, 1, "Li1"}, {"O", {0.5, 0.5, 0.5}, -2, "O1"}};
  const auto elements = ElementTable::load(kSource / "inputs/elements");
  const auto tables = BvseTables::load(kSource / "inputs/bvse", elements);
  BvseOptions options;
  options.grid_spacing = 0.05;
  CHECK_THROWS_WITH(
      bvse_barriers(crystal, "Li", 1, tables, options),
      Catch::Contains("long") && Catch::Contains("grid points") && Catch::Contains("coarser grid"));
}
