#pragma once
/// Bond-valence relaxation: a starting geometry for a substituted structure.
///
/// Minimises  sum_i (BVS_i - |V_i|)^2  +  w sum_like ((d - d0) / d0)^2
///                                    +  k sum_like max(0, 0.8 d0 - d)^2
/// over a symmetric cell strain and the fractional positions, keeping inversion pairs
/// (x, -x) paired (P-1) and atoms on inversion centres fixed. The first term is the global
/// instability index squared times N. It alone is degenerate: polyhedra can tilt about shared
/// corners at no cost in bond valence, and the cell inflates (183 -> 505 A^3 for the prototype).
/// The second, a weak restraint on the relative change of like-charge contacts (d0: their
/// starting lengths, within contact_range), pins those modes while bond valence still drives
/// real changes, such as the expansion a Na carrier needs. The third, stiff and one-sided, stops
/// two like ions from collapsing onto each other (the weak restraint alone let two Na meet).
#include "structures/bond_valence.hpp"
#include "structures/crystal.hpp"

namespace ionscreen::structures {

struct RelaxOptions {
  double cutoff = 6.0;  ///< bond-valence neighbour cut-off, Å
  double contact_range =
      6.0;  ///< like-charge contacts closer than this at the start are kept apart
  double restraint_weight = 0.1;  ///< w above
  double floor_weight = 10.0;     ///< k above, per Å^2
  int max_iterations = 400;
};

struct RelaxReport {
  Crystal relaxed;
  double gii_before = 0.0, gii_after = 0.0;
  double volume_before = 0.0, volume_after = 0.0;
  Eigen::VectorXd bvs;                                 ///< per site, after
  double shortest_before = 0.0, shortest_after = 0.0;  ///< shortest interatomic distance, Å
  int worst_site = -1;           ///< site with the largest |BVS - |V|| / |V| after
  double worst_deviation = 0.0;  ///< that relative deviation
  int iterations = 0;            ///< L-BFGS iterations of the runs that finished
};

/// Relax `start` (every site needs an oxidation state and bond-valence parameters for its
/// counter-ions). Throws StructureError naming the two atoms if they end closer than 0.5 Å.
RelaxReport relax_bond_valence(const Crystal& start, const BondValenceTable& table,
                               const RelaxOptions& options = {});

/// Index pairs (i, j) with frac_j = -frac_i (mod 1) and the same species; i == j for a site on
/// an inversion centre. Throws StructureError naming a site without an inversion partner.
std::vector<std::pair<int, int>> inversion_pairs(const Crystal& crystal, double tolerance = 1e-3);

}  // namespace ionscreen::structures
