#include "structures/crystal.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>

#include "structures/error.hpp"

namespace ionscreen::structures {
namespace {
double degrees(double radians) { return radians * 180.0 / std::numbers::pi; }
double radians(double degrees) { return degrees * std::numbers::pi / 180.0; }
}  // namespace

double Crystal::volume() const { return std::abs(lattice.determinant()); }

CellParameters Crystal::parameters() const {
  const Eigen::Vector3d a = lattice.row(0), b = lattice.row(1), c = lattice.row(2);
  const auto angle = [](const Eigen::Vector3d& u, const Eigen::Vector3d& v) {
    return degrees(std::acos(std::clamp(u.dot(v) / (u.norm() * v.norm()), -1.0, 1.0)));
  };
  return {a.norm(), b.norm(), c.norm(), angle(b, c), angle(a, c), angle(a, b)};
}

Eigen::Vector3d Crystal::cartesian(const Eigen::Vector3d& frac) const {
  return lattice.transpose() * frac;
}

Eigen::Vector3d Crystal::fractional(const Eigen::Vector3d& cart) const {
  return lattice.transpose().partialPivLu().solve(cart);
}

double Crystal::distance(const Eigen::Vector3d& fa, const Eigen::Vector3d& fb) const {
  Eigen::Vector3d d = fb - fa;
  d -= d.array().round().matrix();
  // The nearest image is among the 27 neighbours of the rounded difference for any cell whose
  // reduced form is not extremely skewed.
  double best = std::numeric_limits<double>::infinity();
  for (int i = -1; i <= 1; ++i)
    for (int j = -1; j <= 1; ++j)
      for (int k = -1; k <= 1; ++k)
        best = std::min(best, cartesian(d + Eigen::Vector3d(i, j, k)).norm());
  return best;
}

std::string Crystal::formula() const {
  std::vector<std::string> order;
  std::map<std::string, double> count;
  for (const auto& s : sites) {
    if (!count.count(s.element)) order.push_back(s.element);
    count[s.element] += s.occupancy;
  }
  std::string f;
  for (const auto& e : order) {
    f += e;
    const double n = count[e];
    if (std::abs(n - 1.0) > 1e-9) {
      const double r = std::round(n);
      f += std::abs(n - r) < 1e-9 ? std::to_string(static_cast<long>(r)) : std::to_string(n);
    }
  }
  return f;
}

Eigen::Matrix3d lattice_from_parameters(const CellParameters& p) {
  if (!(p.a > 0 && p.b > 0 && p.c > 0)) throw InputError("cell lengths must be positive");
  const double ca = std::cos(radians(p.alpha)), cb = std::cos(radians(p.beta)),
               cg = std::cos(radians(p.gamma)), sg = std::sin(radians(p.gamma));
  const double cx = cb, cy = (ca - cb * cg) / sg;
  const double cz2 = 1.0 - cx * cx - cy * cy;
  if (!(cz2 > 0.0)) throw InputError("cell angles do not form a cell (alpha, beta, gamma)");
  Eigen::Matrix3d L;
  L << p.a, 0.0, 0.0,           //
      p.b * cg, p.b * sg, 0.0,  //
      p.c * cx, p.c * cy, p.c * std::sqrt(cz2);
  return L;
}

Eigen::Vector3d wrap(const Eigen::Vector3d& frac) {
  Eigen::Vector3d w = frac - frac.array().floor().matrix();
  for (int i = 0; i < 3; ++i)
    if (w[i] >= 1.0) w[i] -= 1.0;  // -1e-17 wraps to 1.0 in floating point
  return w;
}

Crystal supercell(const Crystal& crystal, int na, int nb, int nc) {
  if (na < 1 || nb < 1 || nc < 1) throw InputError("supercell multipliers must be >= 1");
  Crystal s;
  s.name = crystal.name;
  s.lattice = crystal.lattice;
  s.lattice.row(0) *= na;
  s.lattice.row(1) *= nb;
  s.lattice.row(2) *= nc;
  const Eigen::Vector3d n(na, nb, nc);
  for (const auto& site : crystal.sites)
    for (int i = 0; i < na; ++i)
      for (int j = 0; j < nb; ++j)
        for (int k = 0; k < nc; ++k) {
          Site copy = site;
          copy.frac = (site.frac + Eigen::Vector3d(i, j, k)).cwiseQuotient(n);
          s.sites.push_back(std::move(copy));
        }
  return s;
}

Eigen::Vector3d perpendicular_widths(const Eigen::Matrix3d& lattice) {
  const double v = std::abs(lattice.determinant());
  const Eigen::Vector3d a = lattice.row(0), b = lattice.row(1), c = lattice.row(2);
  return {v / b.cross(c).norm(), v / c.cross(a).norm(), v / a.cross(b).norm()};
}

}  // namespace ionscreen::structures
