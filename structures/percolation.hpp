#pragma once
/// Percolation thresholds of an energy landscape on a periodic grid (steps 3-5 of
/// /work/shared/docs/BVSE.md). Pure grid algorithm: no crystal, no tables.
#include <Eigen/Dense>
#include <vector>

namespace ionscreen::structures {

/// Thresholds (eV, relative to the grid's own values) at which the region E < t percolates in
/// 1, 2 and 3 dimensions; +infinity when it does not percolate below the upper bound (10 eV).
struct PercolationBarriers {
  double e1d, e2d, e3d;
};

/// Upper end of the threshold search, eV.
inline constexpr double kPercolationMaxThreshold = 10.0;
/// Bisection stops when the interval is below this, eV.
inline constexpr double kPercolationTolerance = 0.01;

/// Largest percolation dimension (0, 1, 2 or 3) of the region of grid points with
/// energy < threshold.
///
/// The grid has n(0) x n(1) x n(2) points, index i + n0 * (j + n1 * k) (x fastest), at fractions
/// linspace(0, 1, n_i) with both ends included, so plane n_i - 1 is the same physical plane as
/// plane 0 of the next cell. The pinned definition (BVSE.md) tiles the grid 2x2x2, labels regions
/// with 26-neighbour connectivity inside the block, merges labels of the identical points on
/// opposite periodic faces of the block, and counts how many of the 8 copies of a point shifted
/// by 0 or 1 cell along each axis lie in its region (2: 1D, 4: 2D, 8: 3D).
///
/// This is computed without building the 2x2x2 block: a union-find over the single cell, whose
/// periodic edges (plane n_i - 1 to plane 0, the same points) carry a cell shift, records for each
/// region the group (Z_2)^3 of shifts mod 2 that its cycles realise. A point and its copy shifted
/// by s are joined in the block exactly when s is in that group, so the count is the group's size
/// (1, 2, 4 or 8). tests/structures/test_bvse.cpp checks this against a literal 2x2x2 labelling.
/// Requires n_i >= 2 on every axis and energy.size() == n0 n1 n2 (std::invalid_argument).
int percolation_dimension(const std::vector<float>& energy, const Eigen::Vector3i& n,
                          double threshold);

/// Lowest threshold at which the region E < t percolates in 1, 2 and 3 dimensions: for each
/// dimension, bisection on [0, 10] eV until the interval is below 0.01 eV (10 halvings), and the
/// upper bound of the final interval is reported (so every result is a multiple of 10/1024 eV);
/// +infinity when the region does not percolate at t = 10 eV. The energies are used as given
/// (BVSE subtracts the global minimum first). Grid layout and requirements as for
/// percolation_dimension.
PercolationBarriers percolation_barriers(const std::vector<float>& energy,
                                         const Eigen::Vector3i& n);

}  // namespace ionscreen::structures
