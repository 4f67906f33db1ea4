#pragma once
/// The crystal value type: a periodic cell with sites in fractional coordinates.
#include <Eigen/Dense>
#include <array>
#include <string>
#include <vector>

namespace ionscreen::structures {

struct Site {
  std::string element;          ///< chemical symbol, "Li"
  Eigen::Vector3d frac;         ///< fractional coordinates
  int oxidation = 0;            ///< formal oxidation state (0 when unknown)
  std::string label;            ///< site label, "Li1", "O3"
  double occupancy = 1.0;       ///< 1 for an ordered site
  std::array<bool, 3> fixed{};  ///< POSCAR selective dynamics: true = coordinate held fixed
};

/// Cell lengths (Å) and angles (degrees).
struct CellParameters {
  double a, b, c, alpha, beta, gamma;
};

struct Crystal {
  std::string name;
  Eigen::Matrix3d lattice;  ///< rows are the lattice vectors a, b, c in Å (ASE/pymatgen order)
  std::vector<Site> sites;

  double volume() const;
  CellParameters parameters() const;
  Eigen::Vector3d cartesian(const Eigen::Vector3d& frac) const;
  Eigen::Vector3d fractional(const Eigen::Vector3d& cart) const;
  /// Shortest distance between two fractional positions over all periodic images (Å).
  double distance(const Eigen::Vector3d& fa, const Eigen::Vector3d& fb) const;
  /// Chemical formula with elements in order of first appearance, "LiFeSO4F" style counts.
  std::string formula() const;
};

/// Standard orientation: a along x, b in the xy plane (the convention of CIF readers).
Eigen::Matrix3d lattice_from_parameters(const CellParameters& p);

/// Wrap fractional coordinates into [0, 1).
Eigen::Vector3d wrap(const Eigen::Vector3d& frac);

/// The cell repeated na x nb x nc times (sites in order: original site, then image).
Crystal supercell(const Crystal& crystal, int na, int nb, int nc);

/// Perpendicular widths of the cell (distance between opposite faces), Å.
Eigen::Vector3d perpendicular_widths(const Eigen::Matrix3d& lattice);

}  // namespace ionscreen::structures
