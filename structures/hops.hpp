#pragma once
/// Carrier migration hops by the vacancy mechanism, and NEB image interpolation.
///
/// A hop moves one carrier ion from its site into a vacant neighbouring carrier site. Both end
/// points are the same supercell with one carrier removed (the vacancy): in `start` the moving ion
/// sits on its own site, in `end` on the vacated one; every other atom is identical and in the
/// same order, so images can be interpolated atom by atom.
#include <string>
#include <vector>

#include "structures/crystal.hpp"

namespace ionscreen::structures {

/// Smallest multipliers (na, nb, nc) whose supercell has every perpendicular width >= min_width.
Eigen::Vector3i supercell_for_width(const Eigen::Matrix3d& lattice, double min_width = 8.0);

/// A carrier jump in the unit cell: from site `from` to site `to` in the cell shifted by `image`.
struct Hop {
  int from;
  int to;
  Eigen::Vector3i image;
  double length;     ///< Å
  int multiplicity;  ///< how many hops of the unit cell this one stands for
};

/// Symmetry-distinct hops of `carrier` shorter than max_length. Two hops are the same kind when
/// their start sites and their end sites lie in the same orbits (`equivalent_atoms`, as from the
/// symmetry analysis) and their lengths agree within 1e-3 Å. Sorted by length.
std::vector<Hop> distinct_hops(const Crystal& cell, const std::string& carrier,
                               const std::vector<int>& equivalent_atoms, double max_length = 5.5);

struct HopEndpoints {
  Crystal start;
  Crystal end;
  int moving;  ///< index of the moving ion in both structures
};

/// End points of `hop` in the given supercell of `cell`.
HopEndpoints hop_endpoints(const Crystal& cell, const Hop& hop, const Eigen::Vector3i& multipliers);

/// `count` intermediate images by linear interpolation (Cartesian, minimum image per atom), not
/// including the end points.
std::vector<Crystal> linear_images(const Crystal& start, const Crystal& end, int count);

/// Image-dependent pair potential interpolation (Smidstrup et al., J. Chem. Phys. 140, 214106
/// (2014)): each image minimises sum_ij w(d_ij) (d_ij - d*_ij)^2 with w = d^-4 and d* the pair
/// distances interpolated between the end points, starting from the linear images.
std::vector<Crystal> idpp_images(const Crystal& start, const Crystal& end, int count);

/// Shortest interatomic distance in a structure (periodic), Å.
double shortest_distance(const Crystal& crystal);

}  // namespace ionscreen::structures
