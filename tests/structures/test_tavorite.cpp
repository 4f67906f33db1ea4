// The tavorite candidate space: enumeration, the spaces file, the prototype and substitution.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "structures/error.hpp"
#include "structures/tavorite.hpp"
#include "tavorite_fixture.hpp"

namespace is = ionscreen::structures;

namespace {

const std::filesystem::path kDefault =
    std::filesystem::path(IONSCREEN_SOURCE_DIR) / "inputs/spaces/default.ini";

using ionscreen::structures::testing::lifeso4f;

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const auto p = std::filesystem::temp_directory_path() / ("ionscreen_space_" + name + ".ini");
  std::ofstream(p) << text;
  return p;
}

std::string load_error(const std::string& text, const std::string& carrier = "Li") {
  const auto p = write_temp("bad", text);
  try {
    is::load_space(p, carrier);
  } catch (const is::InputError& e) {
    std::filesystem::remove(p);
    return e.what();
  }
  std::filesystem::remove(p);
  return "no error";
}

}  // namespace

TEST_CASE("default space: every composition balanced, count pinned per carrier", "[unit][space]") {
  for (const std::string carrier : {"Li", "Na"}) {
    const is::SpaceSpec spec = is::load_space(kDefault, carrier);
    const auto all = is::enumerate(spec);
    std::printf("default tavorite space, carrier %s: %zu compositions\n", carrier.c_str(),
                all.size());
    // M: 9 x 2+, 11 x 3+, 7 x 4+, 5 x 5+; X: 5 x 6+, 3 x 5+, 2 x 4+; Z: F, OH, O.
    // v_M + v_X = 8 (F, OH): 9*5 + 11*3 + 7*2 = 92 each; = 9 (O): 11*5 + 7*3 + 5*2 = 86.
    // 92 + 92 + 86 = 270.
    CHECK(all.size() == 270);
    std::set<std::string> seen;
    for (const auto& c : all) {
      // Independent recomputation: total cation charge equals total anion charge per formula unit.
      const int anion = 4 * 2 + (c.Z == is::Bridge::O ? 2 : 1);
      CHECK(c.A.oxidation + c.M.oxidation + c.X.oxidation == anion);
      CHECK(c.A.element == carrier);
      seen.insert(c.formula() + is::to_string(c.M) + is::to_string(c.X));
    }
    CHECK(seen.size() == all.size());
  }
}

TEST_CASE("composition formulas", "[unit][space]") {
  CHECK(is::Composition{{"Li", 1}, {"Fe", 2}, {"S", 6}, is::Bridge::F}.formula() == "LiFeSO4F");
  CHECK(is::Composition{{"Na", 1}, {"V", 4}, {"P", 5}, is::Bridge::O}.formula() == "NaVPO4O");
  CHECK(is::Composition{{"Li", 1}, {"Al", 3}, {"P", 5}, is::Bridge::OH}.formula() == "LiAlPO4OH");
}

TEST_CASE("enumerate: small spec, exact set", "[unit][space]") {
  is::SpaceSpec spec{"Li",
                     {{"Fe", 2}, {"Fe", 3}, {"V", 4}},
                     {{"S", 6}, {"P", 5}},
                     {is::Bridge::F, is::Bridge::O},
                     {},
                     {}};
  const auto all = is::enumerate(spec);
  std::set<std::string> got;
  for (const auto& c : all) got.insert(is::to_string(c.M) + c.formula());
  CHECK(got == std::set<std::string>{"Fe2+LiFeSO4F", "Fe3+LiFePO4F", "Fe3+LiFeSO4O", "V4+LiVPO4O"});
}

TEST_CASE("bad input: carrier, unbalanceable, duplicates", "[unit][space]") {
  is::SpaceSpec spec{"K", {{"Fe", 2}}, {{"S", 6}}, {is::Bridge::F}, {}, {}};
  CHECK_THROWS_WITH(is::enumerate(spec),
                    Catch::Contains("unknown carrier 'K'") && Catch::Contains("Li, Na"));
  CHECK_THROWS_AS(is::load_space(kDefault, "K"), is::InputError);
  spec.carrier = "Na";
  spec.X = {{"P", 5}};  // 2 + 5 = 7, neither 8 nor 9
  CHECK_THROWS_WITH(is::enumerate(spec), Catch::Contains("no charge-balanced composition") &&
                                             Catch::Contains("v_M + v_X = 8"));
  spec.X = {{"S", 6}, {"S", 6}};
  CHECK_THROWS_WITH(is::enumerate(spec), Catch::Contains("listed twice"));
  spec.X = {{"S", -2}};
  CHECK_THROWS_WITH(is::enumerate(spec), Catch::Contains("not a cation"));
}

TEST_CASE("validator hook: a missing ion is an input error naming it, file and key",
          "[unit][space]") {
  const is::SpaceSpec spec = is::load_space(kDefault, "Li");
  const auto table = [](const std::string& e, int v) { return !(e == "Sb" && v == 5); };
  try {
    is::enumerate_checked(spec, table);
    FAIL("expected an InputError");
  } catch (const is::InputError& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Catch::Contains("Sb5+") && Catch::Contains("default.ini:") &&
                         Catch::Contains("key 'M'") && Catch::Contains("element table"));
  }
  const auto no_h = [](const std::string& e, int) { return e != "H"; };
  CHECK_THROWS_WITH(is::check_ions(spec, no_h),
                    Catch::Contains("H1+") && Catch::Contains("key 'Z'"));
  CHECK(is::enumerate_checked(spec, [](const std::string&, int) { return true; }).size() == 270);
}

TEST_CASE("malformed spaces file: file, line, key, value, accepted", "[unit][space]") {
  const std::string head = "carriers = Li Na\nX = S6+ P5+\nZ = F\n";
  std::string e = load_error(head + "M = Fe2+ Fe2\n");
  CHECK_THAT(e, Catch::Contains(".ini:4") && Catch::Contains("key 'M'") &&
                    Catch::Contains("value 'Fe2'") && Catch::Contains("e.g. Fe2+"));
  e = load_error(head + "M = Xx2+\n");
  CHECK_THAT(e, Catch::Contains(".ini:4") && Catch::Contains("unknown element 'Xx'"));
  e = load_error(head + "Q = 1\n");
  CHECK_THAT(e, Catch::Contains(".ini:4") && Catch::Contains("unknown key 'Q'") &&
                    Catch::Contains("accepted: carriers, M, X, Z"));
  e = load_error("M = Fe2+\nX = S6+\nZ = Cl\n");
  CHECK_THAT(e, Catch::Contains(".ini:3") && Catch::Contains("value 'Cl'") &&
                    Catch::Contains("accepted: F, OH, O"));
  e = load_error(head + "[K]\n");
  CHECK_THAT(e, Catch::Contains(".ini:4") && Catch::Contains("accepted: [Li], [Na]"));
  e = load_error(head + "just words\n");
  CHECK_THAT(e, Catch::Contains(".ini:4") && Catch::Contains("key = value"));
  e = load_error(head);
  CHECK_THAT(e, Catch::Contains("no key 'M'"));
  e = load_error("carriers = Li\nM = Fe2+\nX = S6+\nZ = F\n", "Na");
  CHECK_THAT(e, Catch::Contains(".ini:1") && Catch::Contains("'Na' is not offered"));
  e = load_error(head + "M = Fe2+\nM = Mn2+\n");
  CHECK_THAT(e, Catch::Contains(".ini:5") && Catch::Contains("repeats line 4"));
  CHECK_THROWS_WITH(is::load_space("/nonexistent/space.ini", "Li"), Catch::Contains("cannot open"));
}

TEST_CASE("spaces file: per-carrier section overrides", "[unit][space]") {
  const auto p = write_temp("sections", "M = Fe2+\nX = S6+\nZ = F OH\n[Na]\nM = Mn2+ Co2+\n");
  const auto li = is::load_space(p, "Li");
  const auto na = is::load_space(p, "Na");
  std::filesystem::remove(p);
  CHECK(is::enumerate(li).size() == 2);
  REQUIRE(is::enumerate(na).size() == 4);
  CHECK(is::enumerate(na)[0].formula() == "NaMnSO4F");
  CHECK(na.lines.at("M") == 5);
}

TEST_CASE("prototype roles and substitution keeps atoms and roles", "[unit][space]") {
  const is::Prototype proto = is::tavorite_prototype(lifeso4f());
  REQUIRE(proto.crystal.sites.size() == 16);
  CHECK(proto.crystal.formula() == "Li2Fe2S2O8F2");
  const auto spec = is::load_space(kDefault, "Na");
  for (const auto& comp : is::enumerate(spec)) {
    const is::Crystal c = is::substitute(proto, comp);
    const auto roles = is::substituted_roles(proto, comp);
    const bool oh = comp.Z == is::Bridge::OH;
    REQUIRE(c.sites.size() == (oh ? 18u : 16u));
    REQUIRE(roles.size() == c.sites.size());
    int charge = 0;
    for (std::size_t i = 0; i < c.sites.size(); ++i) {
      const auto& s = c.sites[i];
      charge += s.oxidation;
      switch (roles[i]) {
        case is::Role::A:
          CHECK(s.element == "Na");
          break;
        case is::Role::M:
          CHECK((s.element == comp.M.element && s.oxidation == comp.M.oxidation));
          break;
        case is::Role::X:
          CHECK((s.element == comp.X.element && s.oxidation == comp.X.oxidation));
          break;
        case is::Role::O:
          CHECK(s.element == "O");
          break;
        case is::Role::Z:
          CHECK(s.element == (comp.Z == is::Bridge::F ? "F" : "O"));
          break;
        case is::Role::H:
          CHECK(s.element == "H");
          break;
      }
      if (i < 16) CHECK((s.frac - proto.crystal.sites[i].frac).norm() < 1e-12);
    }
    CHECK(charge == 0);
    CHECK(c.name == comp.formula());
  }
}

TEST_CASE("OH: H at 0.97 A from its O, clear of every other atom, inversion images",
          "[unit][space]") {
  const is::Prototype proto = is::tavorite_prototype(lifeso4f());
  const is::Composition comp{{"Li", 1}, {"Al", 3}, {"P", 5}, is::Bridge::OH};
  const is::Crystal c = is::substitute(proto, comp);
  const auto roles = is::substituted_roles(proto, comp);
  std::vector<std::size_t> h;
  for (std::size_t i = 0; i < c.sites.size(); ++i)
    if (roles[i] == is::Role::H) h.push_back(i);
  REQUIRE(h.size() == 2);
  for (const auto i : h) {
    double to_z = 1e9, to_m = 1e9, to_other = 1e9;
    for (std::size_t j = 0; j < c.sites.size(); ++j) {
      if (j == i) continue;
      const double d = c.distance(c.sites[i].frac, c.sites[j].frac);
      if (roles[j] == is::Role::Z)
        to_z = std::min(to_z, d);
      else if (roles[j] == is::Role::M)
        to_m = std::min(to_m, d);
      else
        to_other = std::min(to_other, d);
    }
    CHECK(to_z == Approx(0.97).margin(0.01));
    INFO("O-H " << to_z << " A, H-M " << to_m << " A, nearest other atom " << to_other << " A");
    CHECK(to_m > 1.5);
    CHECK(to_other > 1.5);  // the carrier included: H must not sit on the Li site
  }
  // The two H are exact inversion images (P-1 kept).
  CHECK(c.distance(c.sites[h[0]].frac, Eigen::Vector3d(-c.sites[h[1]].frac)) < 1e-9);
}

TEST_CASE("prototype: bad structures are refused", "[unit][space]") {
  is::Crystal c = lifeso4f();
  c.sites.pop_back();
  CHECK_THROWS_AS(is::tavorite_prototype(c), is::StructureError);
  c = lifeso4f();
  c.sites[0].label = "Na1";
  CHECK_THROWS_WITH(is::tavorite_prototype(c), Catch::Contains("'Na1' has no role"));
  c = lifeso4f();
  c.sites[0].frac += Eigen::Vector3d(0.05, 0, 0);
  CHECK_THROWS_WITH(is::tavorite_prototype(c), Catch::Contains("no inversion image"));
  c = lifeso4f();
  c.sites[3].occupancy = 0.5;
  CHECK_THROWS_WITH(is::tavorite_prototype(c), Catch::Contains("occupancy"));
  const is::Prototype proto = is::tavorite_prototype(lifeso4f());
  CHECK_THROWS_WITH(is::substitute(proto, {{"Li", 1}, {"Fe", 3}, {"S", 6}, is::Bridge::F}),
                    Catch::Contains("not charge balanced"));
}
