#pragma once
/// Bond-valence parameters and bond-valence sums (BVS) with the softBV tables in `inputs/bvse/`
/// (provenance in `inputs/bvse/SOURCES.md`).
///
/// Bond valence of a cation-anion bond of length R: s = exp((R0 - R) / b). The BVS of a site is
/// the sum of s over its counter-ions; for a plausible structure it is close to |oxidation state|.
#include <Eigen/Dense>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>

#include "structures/crystal.hpp"

namespace ionscreen::structures {

/// Parameters of one cation-anion pair at given oxidation states.
struct BondValenceParameters {
  double r0 = 0.0;      ///< bond-valence R0, Å
  double b = 0.0;       ///< softness parameter b, Å
  double cutoff = 0.0;  ///< the table's suggested interaction cut-off, Å (informational)
  std::string source;   ///< file and line the parameters came from, "softbv_pairs.tsv:812"
};

/// Pair parameters keyed by (cation, cation oxidation, anion, anion oxidation).
class BondValenceTable {
 public:
  /// Read `dir/softbv_pairs.tsv` (R0, b, cut-off) and `dir/bvse_pairs.dat`.
  ///
  /// softBV rows take precedence. A pair found only among the active rows of `bvse_pairs.dat`
  /// takes R0 from there and b = 1/alpha (the BVSE Morse alpha is 1/b); rows with alpha <= 0 are
  /// skipped. No fixed default b is ever used. Throws InputError naming the file and line for a
  /// missing file or a malformed row.
  static BondValenceTable load(const std::filesystem::path& dir);

  /// Parameters of a pair; the anion oxidation state is negative ("O", -2). Throws InputError
  /// naming the missing pair and the files searched.
  const BondValenceParameters& pair(const std::string& cation, int cation_ox,
                                    const std::string& anion, int anion_ox) const;
  bool has_pair(const std::string& cation, int cation_ox, const std::string& anion,
                int anion_ox) const;
  /// The parameters of a pair, or nullptr when neither table has it.
  const BondValenceParameters* find(const std::string& cation, int cation_ox,
                                    const std::string& anion, int anion_ox) const;
  std::size_t size() const { return pairs_.size(); }

 private:
  using Key = std::tuple<std::string, int, std::string, int>;
  std::filesystem::path softbv_file_, bvse_file_;
  std::map<Key, BondValenceParameters> pairs_;
};

/// Bond-valence sum of every site, in site order.
///
/// For each site, the sum over all sites of the opposite sign of oxidation state and all their
/// periodic images within `cutoff` (Å) of exp((R0 - R)/b), each term weighted by the neighbour's
/// occupancy. The image search covers every lattice translation that can lie within the cut-off
/// (from the cell's perpendicular widths), so it is exact for small and skewed triclinic cells.
/// Like-sign contacts do not contribute. H+ is an ordinary cation here (the softBV tables have
/// H-O, H-F and H-Cl pairs), so an O-H group contributes its short O-H bond to both ends.
///
/// Throws InputError naming the site when a site has oxidation state 0, or naming the pair when
/// the table lacks it; StructureError when two sites of opposite sign coincide (R < 1e-6 Å).
/// Counter-ions closer than this (Å) are bonded and must have parameters. A pair the tables
/// lack whose ions never come this close (S6+ and the bridging F- of a tavorite, > 3 Å apart)
/// contributes nothing instead: its bond valence would be a few hundredths at most.
inline constexpr double kBondingRange = 3.0;

/// Parameters for a cation-anion pair at closest distance `closest` (Å): the table's, nullptr for
/// a missing pair beyond kBondingRange, and an InputError naming a missing bonded pair.
const BondValenceParameters* pair_within_range(const BondValenceTable& table, const Site& cation,
                                               const Site& anion, double closest);

Eigen::VectorXd bond_valence_sums(const Crystal& crystal, const BondValenceTable& table,
                                  double cutoff = 6.0);

/// Global instability index, sqrt(mean over sites of (BVS - |oxidation|)^2), in valence units
/// (unweighted mean over all sites; BVS from bond_valence_sums with the given cut-off). Values
/// below about 0.1 are typical of unstrained structures, above about 0.2 of strained or wrong
/// ones.
double global_instability_index(const Crystal& crystal, const BondValenceTable& table,
                                double cutoff = 6.0);

}  // namespace ionscreen::structures
