#pragma once
/// Space-group symmetry of a Crystal: the one adapter to spglib.
///
/// Conventions (all functions):
///  - `symprec` is spglib's distance tolerance in Å (Cartesian).
///  - Sites are distinguished by (element, oxidation state): Fe2+ and Fe3+ are different species.
///    Occupancy is ignored, so a disordered structure written as several sites on one position
///    is rejected as overlapping atoms.
///  - Every failure (no sites, a degenerate lattice, two sites closer than `symprec` or a lattice
///    vector shorter than it, a non-positive `symprec`, a failed spglib search) throws
///    StructureError naming the structure's formula and the problem; spglib failures carry
///    spglib's own error message.
///  - Calls into spglib are serialised by a mutex (spglib keeps its last error code in a global),
///    so these functions may be called from several threads.
#include <string>
#include <vector>

#include "structures/crystal.hpp"

namespace ionscreen::structures {

/// What spglib finds for a crystal in the cell as given.
struct SymmetryInfo {
  int number = 0;                     ///< space-group number (1..230), 2 for P-1
  std::string international;          ///< short Hermann-Mauguin symbol, "P-1", "P4_2/mnm"
  std::string hall;                   ///< Hall symbol, "-P 1"
  int operations = 0;                 ///< symmetry operations of this cell (centring included)
  std::vector<int> equivalent_atoms;  ///< per site: index of the representative site of its orbit
};

/// Space group of `crystal` at distance tolerance `symprec` (Å).
SymmetryInfo analyze(const Crystal& crystal, double symprec = 1e-3);

/// The crystal idealised to the symmetry found at `symprec`, in the same cell setting and site
/// order as the input.
///
/// Method (projection by group averaging, not spglib's refined cell): with the operations
/// {R|t} spglib finds for the input cell,
///  - each site i is replaced by the average over all operations of R^-1 (x_j - t), where j is
///    the same-species site nearest to R x_i + t, each term brought to the periodic image nearest
///    x_i; the result is exactly invariant under the operations;
///  - the metric G = L L^T (L rows = lattice vectors) is replaced by the average of R^T G R, and
///    the new lattice keeps the orientation of the old one (the rotation of its polar
///    decomposition), so a lattice that already has the symmetry is unchanged.
/// Element, label, oxidation state, occupancy and fixed flags of each site are kept (a fixed
/// coordinate may still move by up to about `symprec`). Coordinates are not wrapped: each site
/// stays at the periodic image it was given at.
Crystal symmetrize(const Crystal& crystal, double symprec);

/// spglib's standardised conventional cell (or, with `primitive`, its primitive cell): idealised,
/// rotated to spglib's standard orientation. Each new site takes element, oxidation state, label
/// and occupancy from a site of the input that it is a symmetry image of; fixed flags are reset.
/// `name` is kept.
Crystal standardize(const Crystal& crystal, double symprec, bool primitive = false);

/// True if `b` is the same structure as `a` up to site order, origin, choice of lattice vectors,
/// rigid rotation and symmetry, within tolerance.
///
/// Both are reduced to spglib's standardised primitive cell at `symprec`; they must have the same
/// space-group number and the same species counts. The primitive lattices are Niggli-reduced
/// (spg_niggli_reduce) and must agree within `length_tol` Å in a, b, c and 0.5 degree in the
/// angles (folded to [0, 90], since a lattice on the boundary between the all-acute and the
/// all-obtuse reduced form may come out in either). Then every change of basis with entries in
/// {-1, 0, 1} that maps the reduced lattice of `a` onto that of `b` within the same tolerances is
/// tried,
/// with every origin shift that puts a site of `a`'s rarest species on a same-species site of `b`;
/// the structures are equivalent if each site of `a` then lies within `length_tol` Å of its own
/// same-species site of `b`. Mirror images (changes of basis of determinant -1) count as
/// equivalent: enantiomorphs have the same energy, which is what duplicate removal is for.
bool equivalent(const Crystal& a, const Crystal& b, double symprec = 1e-3,
                double length_tol = 0.05);

}  // namespace ionscreen::structures
