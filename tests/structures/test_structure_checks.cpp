// Checks across readers, symmetry, relaxation and hops, on the real files of the structures issue.
#include <catch2/catch.hpp>
#include <filesystem>

#include "structures/bv_relax.hpp"
#include "structures/cif.hpp"
#include "structures/elements.hpp"
#include "structures/hops.hpp"
#include "structures/partial_occupancy.hpp"
#include "structures/poscar.hpp"
#include "structures/symmetry.hpp"
#include "structures/tavorite.hpp"

using namespace ionscreen::structures;

namespace {

const std::filesystem::path kSource = IONSCREEN_SOURCE_DIR;
const std::filesystem::path kFixtures = kSource / "tests/fixtures/structures";

Crystal without_oxidation_states(Crystal c) {
  for (auto& s : c.sites) s.oxidation = 0;
  return c;
}

/// Smallest distance / (sum of Cordero covalent radii) over all pairs.
double clearance(const Crystal& c, const ElementTable& elements) {
  double worst = 1e9;
  for (std::size_t i = 0; i < c.sites.size(); ++i)
    for (std::size_t j = i + 1; j < c.sites.size(); ++j)
      worst = std::min(worst, c.distance(c.sites[i].frac, c.sites[j].frac) /
                                  (elements.element(c.sites[i].element).covalent_radius +
                                   elements.element(c.sites[j].element).covalent_radius));
  return worst;
}

}  // namespace

TEST_CASE("the noisy LiVPO4F CIF is read, merged and symmetrised to P-1", "[unit][checks]") {
  // OBELiX's randomised CIF: 0.01 fractional Gaussian noise and Li split over two half sites.
  const Crystal noisy = merge_split_sites(
      read_cif(kFixtures / "LiVPO4F_tavorite_noisy.cif", {.allow_partial_occupancy = true}), 1.0);
  REQUIRE(noisy.sites.size() == 16);
  // The file's noise sits on the asymmetric unit; its inversion operator makes the expanded cell
  // exactly P-1. Displace every atom independently (seeded, up to 0.05 Å) to break it.
  CHECK(analyze(noisy, 1e-5).number == 2);
  Crystal broken = noisy;
  std::uint64_t state = 12345;
  for (auto& site : broken.sites) {
    Eigen::Vector3d shift;
    for (int k = 0; k < 3; ++k) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;  // Knuth's LCG
      shift[k] = (static_cast<double>(state >> 11) * 0x1.0p-53 - 0.5) * 0.05;
    }
    site.frac = wrap(broken.fractional(broken.cartesian(site.frac) + shift));
  }
  CHECK(analyze(broken, 1e-3).number == 1);
  const double tolerance = GENERATE(0.1, 0.2);
  const Crystal clean = symmetrize(broken, tolerance);
  CHECK(analyze(clean, 1e-4).number == 2);
  double moved = 0.0;
  for (std::size_t i = 0; i < clean.sites.size(); ++i)
    moved = std::max(moved, clean.distance(clean.sites[i].frac, broken.sites[i].frac));
  INFO("largest displacement by symmetrisation " << moved << " Å");
  CHECK(moved < 0.2);
}

TEST_CASE("CIF -> POSCAR -> CIF is symmetry-equivalent to the input", "[unit][checks]") {
  for (const auto& path :
       {kSource / "inputs/prototypes/LiFeSO4F_tavorite.cif", kFixtures / "Li3PO4_mp-2878.cif"}) {
    INFO(path);
    const Crystal original = read_cif(path);
    const Crystal via_poscar = parse_poscar(write_poscar(original), "round trip");
    const Crystal back = parse_cif(write_cif(via_poscar), "round trip");
    // POSCAR carries no oxidation states: compare the structures without them.
    CHECK(equivalent(without_oxidation_states(original), without_oxidation_states(back)));
    CHECK(analyze(back, 1e-3).number == analyze(original, 1e-3).number);
  }
}

TEST_CASE("hop set-up against the relaxed LiAlPO4F NEB end points", "[unit][checks]") {
  // Devi et al.'s relaxed 2x2x2 LiAlPO4F end points with one Li vacancy, path 1 (DFT 1.193 eV).
  const ElementTable elements = ElementTable::load(kSource / "inputs/elements");
  const Crystal start = read_poscar(kFixtures / "LiAlPO4F_2x2x2_Livac_path1_initial.vasp");
  const Crystal end = read_poscar(kFixtures / "LiAlPO4F_2x2x2_Livac_path1_final.vasp");
  int moving = -1;
  double jump = 0.0;
  for (std::size_t i = 0; i < start.sites.size(); ++i) {
    const double d = start.distance(start.sites[i].frac, end.sites[i].frac);
    if (d > jump) jump = d, moving = static_cast<int>(i);
  }
  REQUIRE(start.sites[static_cast<std::size_t>(moving)].element == "Li");
  // Their supercell meets our default width criterion, as ours would.
  CHECK(perpendicular_widths(start.lattice).minCoeff() >= 8.0);

  // Our LiAlPO4F (prototype, substituted, bond-valence relaxed) has a distinct Li hop of the
  // DFT path's length.
  const Prototype proto =
      tavorite_prototype(read_cif(kSource / "inputs/prototypes/LiFeSO4F_tavorite.cif"));
  const Composition lialpo4f{{"Li", 1}, {"Al", 3}, {"P", 5}, Bridge::F};
  const RelaxReport relaxed = relax_bond_valence(substitute(proto, lialpo4f),
                                                 BondValenceTable::load(kSource / "inputs/bvse"));
  const auto hops =
      distinct_hops(relaxed.relaxed, "Li", analyze(relaxed.relaxed, 1e-3).equivalent_atoms, 6.0);
  double nearest = 1e9;
  for (const Hop& h : hops) nearest = std::min(nearest, std::abs(h.length - jump));
  INFO("DFT path 1 hop " << jump << " Å; nearest of our " << hops.size() << " hops differs by "
                         << nearest << " Å");
  CHECK(nearest < 0.3);

  // Images between the real end points keep every pair apart, and IDPP gives the moving Li at
  // least the room linear interpolation does.
  const auto linear = linear_images(start, end, 5);
  const auto idpp = idpp_images(start, end, 5);
  for (std::size_t k = 0; k < idpp.size(); ++k) {
    INFO("image " << k + 1);
    CHECK(clearance(idpp[k], elements) > 0.7);
    CHECK(clearance(linear[k], elements) > 0.7);
  }
}
