#pragma once
/// Bond-valence site energy (BVSE) migration barriers, with the conventions pinned in
/// /work/shared/docs/BVSE.md (those of the bvlain package) and the tables in `inputs/bvse/`.
///
/// Energy of a test ion A (the carrier, at its oxidation state) at a point r, after every site
/// of the carrier element has been removed:
///
///     E(r) = sum over anions X   (D0/2) [(exp(alpha (Rmin - R)) - 1)^2 - 1]
///          + sum over cations B  14.4 qA qB / R erfc(R / (0.74 (rA + rB)))
///
/// with D0, Rmin, alpha of the pair (A, X) from `bvse_pairs.dat` (each anion its own pair),
/// q = V / sqrt(n) (V oxidation state, n the element's period: H 1, Li 2, Na 3) and r the Cordero
/// covalent radius (ElementData::covalent_radius). R in Å, E in eV.
///
/// Neighbours of a point: every periodic image of a framework site (anion or cation) within
/// BvseOptions::cutoff of the point, and of those only the BvseOptions::max_neighbours nearest,
/// counted over anions and cations together (one list per grid point, as a k-nearest-neighbour
/// query with a distance bound over all framework atoms would return it). See bvse_barriers.
/// For Li3PO4 the limit is immaterial: 50, 100, 200 or unlimited neighbours and cut-offs of 6 or
/// 10 Å give the same barriers (the 100th neighbour is ~5.5 Å away, where the Morse term is
/// ~1e-3 eV and the screened Coulomb term ~1e-5 eV); 30 neighbours moves them by 0.01 eV.
#include <Eigen/Dense>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "structures/crystal.hpp"
#include "structures/elements.hpp"
#include "structures/percolation.hpp"

namespace ionscreen::structures {

/// The Morse parameters of a mobile-ion/anion pair from bvse_pairs.dat.
struct MorsePair {
  double d0;     ///< well depth D0, eV (the energy uses D0/2, BVSE.md)
  double rmin;   ///< equilibrium distance Rmin, Å
  double alpha;  ///< 1/b, 1/Å
};

/// The BVSE Morse table and the per-element data the Coulomb term needs. Load once, pass by
/// const reference.
class BvseTables {
 public:
  /// Read the active rows of `bvse_dir/bvse_pairs.dat` (whitespace-separated: cation,
  /// cation_valence, anion, anion_valence, Nc, R0, Rcutoff, D0, Rmin, alpha; lines starting with
  /// '#' are inactive, the first active line is the column header). Keeps a copy of `elements`
  /// for periods and covalent radii. Throws InputError naming the file and line for a missing
  /// file, a malformed row or a duplicated pair.
  static BvseTables load(const std::filesystem::path& bvse_dir, const ElementTable& elements);

  /// The Morse parameters of a pair; anion_ox is negative ("O", -2). Throws InputError naming the
  /// pair ("Li+ - O2-") and the file when the table lacks it.
  const MorsePair& morse(const std::string& cation, int cation_ox, const std::string& anion,
                         int anion_ox) const;
  bool has_morse(const std::string& cation, int cation_ox, const std::string& anion,
                 int anion_ox) const;
  std::size_t size() const { return pairs_.size(); }
  const ElementTable& elements() const { return elements_; }
  const std::filesystem::path& pairs_file() const { return pairs_file_; }

 private:
  using Key = std::tuple<std::string, int, std::string, int>;
  std::filesystem::path pairs_file_;
  std::map<Key, MorsePair> pairs_;
  ElementTable elements_;
};

/// Run-time choices of a BVSE calculation.
struct BvseOptions {
  double grid_spacing = 0.2;  ///< target grid spacing, Å: n_i = floor(|a_i| / spacing) points
  double cutoff = 10.0;       ///< interaction cut-off for both terms, Å
  int max_neighbours = 100;   ///< at most this many nearest framework atoms per grid point
  bool keep_grid = false;     ///< return the energy grid in BvseResult::energy
};

/// Barriers of one carrier in one structure.
struct BvseResult {
  double e1d, e2d, e3d;  ///< eV; +infinity when nothing percolates below 10 eV
  Eigen::Vector3i grid;  ///< points per axis, n_i = floor(|a_i| / spacing), both ends included
  /// The energy grid relative to its minimum (eV) when BvseOptions::keep_grid, else empty.
  /// Point (i, j, k) is at fractions (i/(n0-1), j/(n1-1), k/(n2-1)) and stored at
  /// i + n0 * (j + n1 * k) (x fastest); the planes i = n0 - 1 repeat i = 0 (and so on).
  std::vector<float> energy;
};

/// BVSE barriers of `carrier` (element symbol) at `carrier_oxidation`.
///
/// 1. Every site of the carrier element is removed. Every site must be fully occupied and have
///    a non-zero Site::oxidation (InputError naming the site otherwise); anions (oxidation < 0)
///    need a Morse pair with the carrier (InputError naming the pair); cations use their period
///    and covalent radius from the tables' ElementTable.
/// 2. The grid has n_i = floor(|a_i| / grid_spacing) points along a_i (at least 2) at fractions
///    linspace(0, 1, n_i); E is evaluated at the (n_i - 1) distinct points per axis and copied to
///    the repeated end planes, so the grid is exactly periodic.
/// 3. For each point, the framework images within `cutoff` are collected and, when there are
///    more than `max_neighbours`, only the `max_neighbours` nearest are kept (anions and cations
///    in one list; ties at the last place are broken by image order, which only matters at the
///    1e-3 eV level because the kept atoms are ~5 Å away). A distance below 1e-6 Å is taken as
///    1e-6 Å, so a point on a cation gets a huge but finite energy.
/// 4. The global minimum is subtracted and percolation_barriers gives E_1D, E_2D, E_3D.
///
/// Parallel over grid points with OpenMP. Throws InputError for a carrier that is not an element
/// of the table or a bad option.
BvseResult bvse_barriers(const Crystal& crystal, const std::string& carrier, int carrier_oxidation,
                         const BvseTables& tables, const BvseOptions& options = {});

/// The energy grid of `result` (which needs keep_grid) as a Gaussian cube file, for VESTA or ASE.
///
/// Lengths in Bohr (1 Å = 1/0.529177210903 Bohr) as the format requires; values in eV relative
/// to the minimum. The repeated end planes are dropped, so the file holds (n0-1) x (n1-1) x
/// (n2-1) values with voxel vectors a_i / (n_i - 1) and the grid spans exactly one cell, as
/// periodic cube readers expect; values are written x outermost, z fastest, six per line. All
/// sites of the crystal (carrier included) are listed as atoms. Throws InputError when the result
/// holds no grid.
std::string write_cube(const Crystal& crystal, const BvseResult& result);

}  // namespace ionscreen::structures
