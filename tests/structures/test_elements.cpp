#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "structures/elements.hpp"
#include "structures/error.hpp"
#include "tavorite_fixture.hpp"

using namespace ionscreen::structures;
using Catch::Matchers::Contains;

using ionscreen::structures::testing::message_of;

namespace {

const std::filesystem::path kElementsDir =
    std::filesystem::path(IONSCREEN_SOURCE_DIR) / "inputs" / "elements";

const ElementTable& table() {
  static const ElementTable t = ElementTable::load(kElementsDir);
  return t;
}

/// A scratch copy of the element tables with one file replaced, for malformed-input tests.
std::filesystem::path scratch_with(const std::string& name, const std::string& content) {
  static const std::string unique = std::to_string(std::random_device{}());
  const auto dir = std::filesystem::temp_directory_path() / ("ionscreen_test_elements_" + unique);
  std::filesystem::create_directories(dir);
  for (const char* f : {"elements.csv", "shannon_radii.csv"})
    std::filesystem::copy_file(kElementsDir / f, dir / f,
                               std::filesystem::copy_options::overwrite_existing);
  std::ofstream(dir / name) << content;
  return dir;
}
}  // namespace

TEST_CASE("element table: known values", "[unit][elements]") {
  const auto& t = table();
  CHECK(t.element_count() == 96);  // H..Cm, the range of Cordero's radii
  const auto& fe = t.element("Fe");
  CHECK(fe.Z == 26);
  CHECK(fe.period == 4);
  CHECK(fe.group == 8);
  CHECK(fe.block == 'd');
  CHECK(fe.mass == Approx(55.845));
  REQUIRE(fe.electronegativity);
  CHECK(*fe.electronegativity == Approx(1.83));  // Pauling
  CHECK(*t.element("O").electronegativity == Approx(3.44));
  CHECK(t.element("Li").covalent_radius == Approx(1.28));  // Cordero et al. 2008
  CHECK(t.element("Na").covalent_radius == Approx(1.66));
  CHECK(t.element("Li").period == 2);
  CHECK(t.element("Na").period == 3);
  CHECK(t.element("H").period == 1);
  CHECK_FALSE(t.element("Ar").electronegativity.has_value());
}

TEST_CASE("element table: unknown element names the symbol and file", "[unit][elements]") {
  CHECK_FALSE(table().has_element("Xx"));
  CHECK_THAT(message_of<InputError>([&] { (void)table().element("Xx"); }),
             Contains("'Xx'") && Contains("elements.csv"));
  CHECK_THROWS_AS(table().element("fe"), InputError);  // case-sensitive
}

TEST_CASE("Shannon radii: known values", "[unit][elements]") {
  const auto& t = table();
  CHECK(t.shannon_radius("Fe", 2, 6) == Approx(0.78));  // high spin preferred over low (0.61)
  CHECK(t.shannon("Fe", 2, 6).spin == "high");
  CHECK(t.shannon("Fe", 2, 6).crystal_radius == Approx(0.92));
  CHECK(t.shannon_radius("Li", 1, 6) == Approx(0.76));
  CHECK(t.shannon_radius("Na", 1, 6) == Approx(1.02));
  CHECK(t.shannon_radius("O", -2, 6) == Approx(1.40));
  CHECK(t.shannon_radius("F", -1, 6) == Approx(1.33));
  // Fe2+ IV (0.63) and IVSQ (0.64) are both coordination 4: the regular geometry wins.
  CHECK(t.shannon("Fe", 2, 4).geometry.empty());
  CHECK(t.shannon_radius("Fe", 2, 4) == Approx(0.63));
}

TEST_CASE("Shannon radii: nearest coordination when the exact one is missing", "[unit][elements]") {
  const auto& t = table();
  // Li+ has IV, VI, VIII. 5 is equidistant from 4 and 6: the higher wins.
  CHECK(t.shannon("Li", 1, 5).coordination == 6);
  CHECK(t.shannon_radius("Li", 1, 5) == Approx(0.76));
  CHECK(t.shannon_radius("Li", 1, 7) == Approx(0.92));   // VIII
  CHECK(t.shannon_radius("Li", 1, 12) == Approx(0.92));  // VIII
  CHECK(t.shannon_radius("Li", 1, 1) == Approx(0.59));   // IV
}

TEST_CASE("Shannon radii: a missing ion lists the available oxidation states", "[unit][elements]") {
  const auto& t = table();
  CHECK(t.has_ion("Fe", 2));
  CHECK_FALSE(t.has_ion("Fe", 5));
  CHECK(t.oxidation_states("Fe") == std::vector<int>{2, 3, 4, 6});
  CHECK_THAT(
      message_of<InputError>([&] { (void)t.shannon_radius("Fe", 5, 6); }),
      Contains("Fe5+") && Contains("shannon_radii.csv") && Contains("Fe2+, Fe3+, Fe4+, Fe6+"));
  CHECK_THAT(message_of<InputError>([&] { (void)t.shannon_radius("Xx", 1, 6); }),
             Contains("Xx+") && Contains("none"));
}

TEST_CASE("element table: malformed files name the file and line", "[unit][elements]") {
  {
    const auto dir = scratch_with("elements.csv",
                                  "# comment\n"
                                  "symbol,Z,mass,period,group,block,electronegativity,"
                                  "covalent_radius\n"
                                  "H,1,1.008,1,1,s,2.2,0.31\n"
                                  "Li,3,six,2,1,s,0.98,1.28\n");
    CHECK_THAT(message_of<InputError>([&] { (void)ElementTable::load(dir); }),
               Contains("elements.csv:4") && Contains("mass") && Contains("'six'"));
  }
  {
    const auto dir = scratch_with("elements.csv", "symbol,Z,mass\nH,1,1.008\n");
    CHECK_THAT(message_of<InputError>([&] { (void)ElementTable::load(dir); }),
               Contains("elements.csv:1") && Contains("header"));
  }
  {
    const auto dir =
        scratch_with("shannon_radii.csv",
                     "symbol,oxidation,coordination,geometry,spin,ionic_radius,crystal_radius\n"
                     "Li,1,6,,,0.76,0.9\n"
                     "Li,1,6,,medium,0.76,0.9\n");
    CHECK_THAT(message_of<InputError>([&] { (void)ElementTable::load(dir); }),
               Contains("shannon_radii.csv:3") && Contains("spin"));
  }
  CHECK_THAT(
      message_of<InputError>([&] { (void)ElementTable::load(kElementsDir / "no_such_dir"); }),
      Contains("no_such_dir"));
}
