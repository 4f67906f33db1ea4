// Space-group analysis, symmetrisation, standardisation and structure equivalence (the spglib
// adapter) on structures built here from published crystallography.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>

#include "structures/crystal.hpp"
#include "structures/error.hpp"
#include "structures/symmetry.hpp"
#include "tavorite_fixture.hpp"

using namespace ionscreen::structures;

namespace {

Site site(std::string element, int oxidation, std::string label, double x, double y, double z) {
  Site s;
  s.element = std::move(element);
  s.oxidation = oxidation;
  s.label = std::move(label);
  s.frac = Eigen::Vector3d(x, y, z);
  return s;
}

/// Rock salt NaCl, conventional cell. International Tables for Crystallography Vol. A, Fm-3m
/// (No. 225): Na on 4a (0,0,0), Cl on 4b (1/2,1/2,1/2), plus the F-centring translations;
/// a = 5.640 Å, the textbook room-temperature lattice parameter.
Crystal rock_salt(double a = 5.640) {
  Crystal c;
  c.name = "NaCl rock salt";
  c.lattice = Eigen::Matrix3d::Identity() * a;
  const double f[4][3] = {{0, 0, 0}, {0, 0.5, 0.5}, {0.5, 0, 0.5}, {0.5, 0.5, 0}};
  for (int i = 0; i < 4; ++i) c.sites.push_back(site("Na", 1, "Na1", f[i][0], f[i][1], f[i][2]));
  for (int i = 0; i < 4; ++i)
    c.sites.push_back(site("Cl", -1, "Cl1", f[i][0] + 0.5, f[i][1], f[i][2]));
  return c;
}

/// Rutile TiO2, conventional cell. ITA Vol. A, P4_2/mnm (No. 136): Ti on 2a (0,0,0),
/// (1/2,1/2,1/2); O on 4f (x,x,0), (-x,-x,0), (-x+1/2,x+1/2,1/2), (x+1/2,-x+1/2,1/2);
/// a = 4.594 Å, c = 2.959 Å, x = 0.305 (rounded from Abrahams & Bernstein, J. Chem. Phys. 55,
/// 3206 (1971): a = 4.5937, c = 2.9587, x = 0.30478).
Crystal rutile(double a = 4.594, double c = 2.959, double u = 0.305) {
  Crystal r;
  r.name = "TiO2 rutile";
  r.lattice = Eigen::Vector3d(a, a, c).asDiagonal();
  r.sites = {site("Ti", 4, "Ti1", 0, 0, 0),
             site("Ti", 4, "Ti1", 0.5, 0.5, 0.5),
             site("O", -2, "O1", u, u, 0),
             site("O", -2, "O1", 1 - u, 1 - u, 0),
             site("O", -2, "O1", 0.5 - u, 0.5 + u, 0.5),
             site("O", -2, "O1", 0.5 + u, 0.5 - u, 0.5)};
  return r;
}

/// Every site displaced by a vector uniform in the cube [-amplitude, amplitude]^3 Å. The numbers
/// come straight from mt19937 (whose output the standard fixes), not from a distribution whose
/// output depends on the standard library.
Crystal perturbed(const Crystal& c, double amplitude, std::uint32_t seed) {
  std::mt19937 gen(seed);
  Crystal p = c;
  for (auto& s : p.sites) {
    Eigen::Vector3d d;
    for (int k = 0; k < 3; ++k)
      d[k] = amplitude * (2.0 * static_cast<double>(gen()) / 4294967296.0 - 1.0);
    s.frac = p.fractional(p.cartesian(s.frac) + d);
  }
  return p;
}

Crystal shifted(Crystal c, const Eigen::Vector3d& shift) {
  for (auto& s : c.sites) s.frac += shift;
  return c;
}

/// The same crystal described with lattice rows M L (M integer, |det M| = 1).
Crystal rebased(const Crystal& c, const Eigen::Matrix3d& M) {
  Crystal r = c;
  r.lattice = M * c.lattice;
  const Eigen::Matrix3d to_new = M.inverse().transpose();
  for (auto& s : r.sites) s.frac = wrap(to_new * s.frac);
  return r;
}

double max_displacement(const Crystal& a, const Crystal& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.sites.size(); ++i)
    worst = std::max(worst, a.distance(a.sites[i].frac, b.sites[i].frac));
  return worst;
}

}  // namespace

TEST_CASE("rock salt: Fm-3m with 192 operations in the conventional cell", "[unit][symmetry]") {
  const Crystal nacl = rock_salt();
  const SymmetryInfo info = analyze(nacl);
  CHECK(info.number == 225);
  CHECK(info.international == "Fm-3m");
  CHECK(info.hall == "-F 4 2 3");
  CHECK(info.operations == 192);  // 48 point operations x 4 centring translations
  CHECK(info.equivalent_atoms == std::vector<int>{0, 0, 0, 0, 4, 4, 4, 4});

  // Oxidation states are part of the species: one Na2+ breaks the F-centring.
  Crystal charged = nacl;
  charged.sites[0].oxidation = 2;
  const SymmetryInfo lower = analyze(charged);
  CHECK(lower.operations < 192);
  CHECK(lower.number != 225);

  const Crystal primitive = standardize(nacl, 1e-3, true);
  REQUIRE(primitive.sites.size() == 2);
  CHECK(primitive.volume() == Approx(std::pow(5.640, 3) / 4));
  CHECK(primitive.formula() == "NaCl");
  CHECK(primitive.sites[0].label == "Na1");
  CHECK(primitive.sites[0].oxidation == 1);
  CHECK(primitive.sites[1].oxidation == -1);
  CHECK(analyze(primitive).number == 225);
  CHECK(analyze(primitive).operations == 48);

  const Crystal conventional = standardize(primitive, 1e-3);
  CHECK(conventional.sites.size() == 8);
  CHECK(conventional.volume() == Approx(std::pow(5.640, 3)));
  CHECK(conventional.parameters().a == Approx(5.640));
}

TEST_CASE("rutile: P4_2/mnm with 16 operations", "[unit][symmetry]") {
  const Crystal r = rutile();
  const SymmetryInfo info = analyze(r);
  CHECK(info.number == 136);
  CHECK(info.international == "P4_2/mnm");
  CHECK(info.hall == "-P 4n 2n");
  CHECK(info.operations == 16);
  CHECK(info.equivalent_atoms == std::vector<int>{0, 0, 2, 2, 2, 2});

  // A setting with c along x: standardize() puts the 4_2 axis back along z.
  Eigen::Matrix3d cyclic;
  cyclic << 0, 0, 1, 1, 0, 0, 0, 1, 0;  // new a, b, c = old c, a, b
  const Crystal odd_setting = rebased(r, cyclic);
  CHECK(odd_setting.parameters().a == Approx(2.959));
  const Crystal s = standardize(odd_setting, 1e-3);
  REQUIRE(s.sites.size() == 6);
  const CellParameters p = s.parameters();
  CHECK(p.a == Approx(4.594));
  CHECK(p.b == Approx(4.594));
  CHECK(p.c == Approx(2.959));
  CHECK(s.lattice(2, 2) == Approx(2.959));  // spglib's standard orientation: c along z
  CHECK(s.formula() == "Ti2O4");
}

TEST_CASE("tavorite LiFeSO4F: P-1, each Fe its own orbit", "[unit][symmetry]") {
  const Crystal t = ionscreen::structures::testing::lifeso4f();
  REQUIRE(t.sites.size() == 16);
  CHECK(t.formula() == "Li2Fe2S2O8F2");
  // The derived coordinates are chemically sensible: S-O about 1.47 Å, Fe-O/F about 2.0-2.2 Å.
  const auto nearest = [&](std::size_t i, const std::string& element) {
    double best = 1e9;
    for (const auto& s : t.sites)
      if (s.element == element) best = std::min(best, t.distance(t.sites[i].frac, s.frac));
    return best;
  };
  const std::size_t s1 = 4, fe1 = 2, fe2 = 3;  // indices after the x -> -x completion
  REQUIRE(t.sites[s1].label == "S1");
  REQUIRE(t.sites[fe1].label == "Fe1");
  REQUIRE(t.sites[fe2].label == "Fe2");
  CHECK(nearest(s1, "O") == Approx(1.47).margin(0.05));
  CHECK(nearest(fe1, "O") == Approx(2.1).margin(0.15));
  CHECK(nearest(fe2, "F") == Approx(2.0).margin(0.15));

  const SymmetryInfo info = analyze(t);
  CHECK(info.number == 2);
  CHECK(info.international == "P-1");
  CHECK(info.hall == "-P 1");
  CHECK(info.operations == 2);
  REQUIRE(info.equivalent_atoms.size() == 16);
  CHECK(info.equivalent_atoms[fe1] == static_cast<int>(fe1));
  CHECK(info.equivalent_atoms[fe2] == static_cast<int>(fe2));
  // Every other site is paired with its inversion image, the next site.
  for (std::size_t i : {0u, 4u, 6u, 8u, 10u, 12u, 14u}) {
    CHECK(info.equivalent_atoms[i] == static_cast<int>(i));
    CHECK(info.equivalent_atoms[i + 1] == static_cast<int>(i));
  }
}

TEST_CASE("symmetrize restores a perturbed rutile", "[unit][symmetry]") {
  const Crystal ideal = rutile();
  Crystal noisy = perturbed(ideal, 0.005, 20240611u);
  noisy.sites[0].fixed = {true, false, true};
  REQUIRE(max_displacement(ideal, noisy) > 0.002);
  CHECK(analyze(noisy, 1e-3).operations < 16);

  const Crystal sym = symmetrize(noisy, 0.05);
  const SymmetryInfo info = analyze(sym, 1e-3);
  CHECK(info.number == 136);
  CHECK(info.operations == 16);
  CHECK(analyze(sym, 1e-8).number == 136);  // exactly symmetric, not just within tolerance
  CHECK(max_displacement(ideal, sym) < 0.01);
  CHECK(sym.lattice.isApprox(ideal.lattice, 1e-12));
  REQUIRE(sym.sites.size() == noisy.sites.size());
  for (std::size_t i = 0; i < sym.sites.size(); ++i) {
    CHECK(sym.sites[i].label == noisy.sites[i].label);
    CHECK(sym.sites[i].oxidation == noisy.sites[i].oxidation);
  }
  CHECK(sym.sites[0].fixed == std::array<bool, 3>{true, false, true});

  // A lattice with a != b by 0.007 Å comes back tetragonal, in the same orientation.
  Crystal strained = noisy;
  strained.lattice(0, 0) += 0.004;
  strained.lattice(1, 1) -= 0.003;
  const Crystal fixed = symmetrize(strained, 0.05);
  const CellParameters p = fixed.parameters();
  CHECK(p.a == Approx(p.b).epsilon(1e-12));
  CHECK(p.a == Approx(4.5945).margin(2e-4));
  CHECK(p.gamma == Approx(90.0).epsilon(1e-12));
  CHECK(fixed.lattice.isDiagonal(1e-12));
  CHECK(analyze(fixed, 1e-8).number == 136);

  // Symmetrising a symmetric structure changes nothing.
  const Crystal again = symmetrize(ideal, 1e-3);
  CHECK(max_displacement(ideal, again) < 1e-12);
  CHECK(again.lattice.isApprox(ideal.lattice, 1e-14));
}

TEST_CASE("equivalent: same structure up to order, origin and setting", "[unit][symmetry]") {
  const Crystal r = rutile();

  Crystal permuted = r;
  std::swap(permuted.sites[0], permuted.sites[5]);
  std::swap(permuted.sites[2], permuted.sites[3]);
  CHECK(equivalent(r, permuted));

  CHECK(equivalent(r, shifted(r, {1, 0, -1})));          // lattice vector
  CHECK(equivalent(r, shifted(r, {0.5, 0.5, 0.5})));     // Ti on the other inversion centre
  CHECK(equivalent(r, shifted(r, {0.13, 0.27, 0.41})));  // any origin

  Eigen::Matrix3d swap_ab;
  swap_ab << 0, 1, 0, 1, 0, 0, 0, 0, -1;  // a' = b, b' = a, c' = -c (keeps the cell right-handed)
  CHECK(equivalent(r, rebased(r, swap_ab)));
  Eigen::Matrix3d swap_left;
  swap_left << 0, 1, 0, 1, 0, 0, 0, 0, 1;  // a' = b, b' = a: a left-handed description
  CHECK(equivalent(r, rebased(r, swap_left)));

  // Triclinic: another basis of the tavorite lattice (a, a + b, c), permuted and shifted.
  const Crystal t = ionscreen::structures::testing::lifeso4f();
  Eigen::Matrix3d sheared;
  sheared << 1, 0, 0, 1, 1, 0, 0, 0, 1;
  Crystal other = shifted(rebased(t, sheared), {0.31, -0.2, 0.05});
  std::swap(other.sites[1], other.sites[9]);
  std::swap(other.sites[0], other.sites[15]);
  CHECK(equivalent(t, other));
  CHECK(equivalent(other, t));

  // A conventional cell and its primitive cell are the same structure.
  CHECK(equivalent(rock_salt(), standardize(rock_salt(), 1e-3, true)));
  // Noise below the tolerances does not matter.
  CHECK(equivalent(r, perturbed(r, 0.005, 7u), 0.05));
}

TEST_CASE("equivalent: different structures", "[unit][symmetry]") {
  const Crystal r = rutile();

  Crystal missing_o = r;  // Ti2O3 from a TiO2 cell: different composition
  missing_o.sites.pop_back();
  CHECK_FALSE(equivalent(r, missing_o));
  CHECK_FALSE(equivalent(r, rock_salt()));

  // 3% isotropic strain moves a by 0.14 Å and c by 0.09 Å: beyond length_tol = 0.05 Å, inside
  // 0.2 Å (the fractional coordinates are unchanged).
  Crystal strained = r;
  strained.lattice *= 1.03;
  CHECK_FALSE(equivalent(r, strained, 1e-3, 0.05));
  CHECK(equivalent(r, strained, 1e-3, 0.2));

  // Same rutile frame, different internal parameter x: same group, same cell, other structure
  // (O moves by 0.2 Å).
  CHECK_FALSE(equivalent(r, rutile(4.594, 2.959, 0.275)));

  // Li vs Na on the same tavorite frame.
  CHECK_FALSE(equivalent(ionscreen::structures::testing::lifeso4f("Li"),
                         ionscreen::structures::testing::lifeso4f("Na")));
  CHECK(equivalent(ionscreen::structures::testing::lifeso4f("Na"),
                   ionscreen::structures::testing::lifeso4f("Na")));

  // Species are element + oxidation state.
  Crystal t3 = ionscreen::structures::testing::lifeso4f();
  for (auto& s : t3.sites)
    if (s.element == "Fe") s.oxidation = 3;
  CHECK_FALSE(equivalent(ionscreen::structures::testing::lifeso4f(), t3));
}

TEST_CASE("unusable cells throw StructureError naming the problem", "[unit][symmetry]") {
  Crystal on_top = rock_salt();
  on_top.sites.push_back(site("Cl", -1, "Cl9", 0.5, 0.5, 0.5));  // on top of Cl at (1/2,1/2,1/2)
  CHECK_THROWS_AS(analyze(on_top), StructureError);
  CHECK_THROWS_WITH(analyze(on_top), Catch::Contains("overlapping atoms") &&
                                         Catch::Contains("Cl9") && Catch::Contains("Na4Cl5"));
  CHECK_THROWS_AS(symmetrize(on_top, 1e-3), StructureError);
  CHECK_THROWS_AS(standardize(on_top, 1e-3), StructureError);
  CHECK_THROWS_AS(equivalent(on_top, on_top), StructureError);

  Crystal flat = rutile();
  flat.lattice.row(2) = flat.lattice.row(0) + flat.lattice.row(1);  // c in the ab plane
  CHECK_THROWS_WITH(analyze(flat),
                    Catch::Contains("degenerate lattice") && Catch::Contains("TiO2"));

  Crystal tiny = rock_salt();  // a 0.3 Å cell: each site sits on its own periodic image
  tiny.lattice = Eigen::Matrix3d::Identity() * 0.3;
  tiny.sites.resize(1);
  CHECK_THROWS_WITH(analyze(tiny, 0.5),
                    Catch::Contains("overlapping atoms") && Catch::Contains("periodic image"));

  Crystal empty;
  empty.lattice = Eigen::Matrix3d::Identity();
  CHECK_THROWS_WITH(analyze(empty), Catch::Contains("no sites"));
  CHECK_THROWS_WITH(analyze(rutile(), 0.0), Catch::Contains("symprec"));
}
