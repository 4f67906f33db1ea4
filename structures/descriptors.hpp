#pragma once
/// Descriptors for the GP: named columns in groups, one group per tavorite site (A, M, X, Z:
/// elemental properties) and one for the relaxed structure, so an additive kernel
/// `sum(se[A], se[M], se[X], se[Z], se[structure])` can act on each group.
///
/// Elemental columns (per site group g in A, M, X, Z; mixed sites: occupancy-weighted averages):
///
/// | column                 | unit | meaning                                                     |
/// |------------------------|------|-------------------------------------------------------------|
/// | g.ionic_radius         | Å    | Shannon ionic radius for the oxidation state and the site's  |
/// |                        |      | coordination (see kCoordination*)                            |
/// | g.electronegativity    | -    | Pauling electronegativity of the element                     |
/// | g.oxidation            | e    | formal oxidation state, signed (Z: -1 for F-, -2 for O2-)    |
/// | g.mass                 | u    | standard atomic mass of the element                          |
/// | g.period               | -    | row of the periodic table                                    |
/// | g.group                | -    | IUPAC group 1-18                                             |
/// | Z.protonated           | -    | 1 for a bridging OH, else 0                                  |
///
/// For Z = OH the elemental columns describe the O2- ion (coordination II, oxidation -2, mass of
/// O); `Z.protonated` tells OH from O. Polarizability is not in the element tables
/// (inputs/elements/SOURCES.md says why) and is left out.
///
/// Structure columns (from a relaxed structure, see Descriptors::structure_values):
///
/// | column                        | unit | meaning                                             |
/// |-------------------------------|------|-----------------------------------------------------|
/// | structure.volume_per_fu       | Å^3  | cell volume / number of carrier (A) sites           |
/// | structure.carrier_anion_mean  | Å    | mean carrier-anion distance within kAnionShell      |
/// | structure.carrier_anion_min   | Å    | shortest carrier-anion distance                     |
/// | structure.bottleneck          | Å    | largest hop bottleneck over hops < kMaxHopLength    |
/// | structure.hop_length          | Å    | shortest carrier hop                                |
#include <Eigen/Dense>
#include <string>
#include <vector>

#include "structures/crystal.hpp"
#include "structures/elements.hpp"
#include "structures/mixed_space.hpp"
#include "structures/tavorite.hpp"

namespace ionscreen::structures {

/// Shannon coordination used for the carrier site. Li+ in tavorite is 5-6 fold (Shannon lists
/// Li+ only in IV, VI and VIII), Na+ 6 fold or more: VI is the one coordination both carriers
/// have in Shannon's table and keeps Li and Na on the same footing.
inline constexpr int kCoordinationA = 6;
/// The octahedral metal.
inline constexpr int kCoordinationM = 6;
/// The tetrahedral centre of XO4.
inline constexpr int kCoordinationX = 4;
/// The bridging anion (F-, O2-; O2- for OH), and, in the bottleneck, every framework anion: O of
/// XO4 bridges X and M, Z bridges two M, so both are taken as two-fold.
inline constexpr int kCoordinationZ = 2;

/// Carrier-anion distances up to this are counted (Å).
inline constexpr double kAnionShell = 3.2;
/// Hops up to this length enter the bottleneck (Å).
inline constexpr double kMaxHopLength = 5.0;

/// A descriptor matrix with named columns in groups, for the GP's additive kernels: every column
/// name is "<group>.<property>", groups are A, M, X, Z (elemental, per site) and structure.
struct DescriptorTable {
  std::vector<std::string> names;   ///< "A.ionic_radius", "M.electronegativity", ...
  std::vector<std::string> groups;  ///< per column: "A", "M", "X", "Z", "structure"
  Eigen::MatrixXd values;           ///< one row per candidate
};

/// The accepted groups, in column order: "A", "M", "X", "Z", "structure".
const std::vector<std::string>& descriptor_groups();

/// The group of a column name: the text before the first '.'. Throws InputError when the name has
/// no '.', an empty property, or a prefix that is not an accepted group (the message lists them).
std::string group_of_column(const std::string& name);

/// Check a table: as many groups and columns as names, every group equal to its name's prefix,
/// names unique, values finite. Throws InputError naming the first offending column (or row).
void check_table(const DescriptorTable& table);

/// A table from column names and rows (each row as long as `names`); groups from the names'
/// prefixes. Checked with check_table.
DescriptorTable assemble_table(const std::vector<std::string>& names,
                               const std::vector<Eigen::VectorXd>& rows);

/// Remove the columns that are constant over the rows (range <= relative_tolerance *
/// max(1, largest |value| of the column)); the GP refuses constant columns. Returns the names of
/// the dropped columns, in their original order. A table with fewer than two rows has every column
/// constant.
std::vector<std::string> drop_constant_columns(DescriptorTable& table,
                                               double relative_tolerance = 1e-12);

/// Computes descriptor rows from the element tables. Holds its own copy of the tables.
class Descriptors {
 public:
  explicit Descriptors(const ElementTable& elements);

  /// Column names of the elemental groups (same for every candidate): A, M, X, Z in that order.
  std::vector<std::string> site_names() const;
  /// Column names of the structure group.
  std::vector<std::string> structure_names() const;
  /// site_names() followed by structure_names().
  std::vector<std::string> names() const;

  /// Elemental descriptors of a composition (groups A, M, X, Z), in site_names() order. A missing
  /// element or ion throws InputError: the table's message prefixed with the site ("M site: ...").
  Eigen::VectorXd site_values(const Composition& c) const;
  /// The same for a mixed candidate: occupancy-weighted averages over the species of a mixed site
  /// (the fractions of a site must sum to 1, else InputError).
  Eigen::VectorXd site_values(const MixedCandidate& c) const;

  /// Structure group of a relaxed structure, in structure_names() order. `roles` are those of
  /// the sites (substituted_roles); carriers are the A sites (their element must be `carrier`),
  /// anions the O and Z sites, with the Shannon radius of their ion in coordination
  /// kCoordinationZ. The bottleneck of a hop is, along the straight segment between the two
  /// carrier sites, the smallest (distance to an anion - the anion's radius), found exactly as
  /// the segment-point distance; every carrier is its own orbit for distinct_hops.
  /// Throws InputError for roles that do not match the sites, a carrier other than the A
  /// element, an anion without an oxidation state or Shannon radius; StructureError when a
  /// carrier has no anion within kAnionShell or no hop is shorter than kMaxHopLength.
  Eigen::VectorXd structure_values(const Crystal& relaxed, const std::vector<Role>& roles,
                                   const std::string& carrier) const;

 private:
  struct Occupant {
    std::string element;
    int oxidation;
    double fraction;
  };
  void fill_site(const std::string& site, const std::vector<Occupant>& occupants, int coordination,
                 Eigen::Ref<Eigen::VectorXd> out) const;
  Eigen::VectorXd sites_row(const std::vector<Occupant>& A, const std::vector<Occupant>& M,
                            const std::vector<Occupant>& X, Bridge Z) const;

  ElementTable elements_;
};

}  // namespace ionscreen::structures
