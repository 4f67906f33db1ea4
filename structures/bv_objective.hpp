#pragma once
/// The objective relax_bond_valence() minimises (see bv_relax.hpp), exposed for its tests.
#include <cmath>

#include "structures/bv_relax.hpp"
#include "structures/error.hpp"

namespace ionscreen::structures {

/// Like-charge contacts may not shorten below this fraction of their starting length.
inline constexpr double kContactFloor = 0.8;

/// One contributing term: atoms i and j (j's image shifted by n), with the bond-valence pair
/// parameters for counter-ions or the contact distance for like charges.
struct Term {
  int i, j;
  Eigen::Vector3d n;
  double r0, b;  // bond valence (counter-ions)
  double d0;     // like-charge contact: its starting length (0 for bonds)
};

/// The relaxation objective over x = [symmetric strain (xx, yy, zz, yz, xz, xy), fractional
/// positions of one atom per inversion pair], with its analytic gradient.
class BondValenceObjective {
 public:
  BondValenceObjective(const Crystal& start, const BondValenceTable& table, const RelaxOptions& o)
      : start_(start), options_(o), pairs_(inversion_pairs(start)) {
    const auto n = start.sites.size();
    for (const auto& s : start.sites)
      if (s.oxidation == 0)
        throw InputError("bond-valence relaxation: site " + s.label + " has no oxidation state");
    // Terms are fixed at the start: counter-ion pairs within the cut-off (plus a margin for
    // the cell to grow) and like-charge contacts within contact_range.
    const double reach_length = o.cutoff + 1.0;
    const Eigen::Vector3d w = perpendicular_widths(start.lattice);
    Eigen::Vector3i reach;
    for (int k = 0; k < 3; ++k) reach[k] = static_cast<int>(std::ceil(reach_length / w[k]));
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i; j < n; ++j)
        for (int a = -reach[0]; a <= reach[0]; ++a)
          for (int b = -reach[1]; b <= reach[1]; ++b)
            for (int c = -reach[2]; c <= reach[2]; ++c) {
              const Eigen::Vector3d image(a, b, c);
              if (i == j && (a > 0 || (a == 0 && (b > 0 || (b == 0 && c >= 0)))))
                continue;  // each self-image pair once, never the atom with itself
              const Site &si = start.sites[i], &sj = start.sites[j];
              const double d = start.cartesian(sj.frac + image - si.frac).norm();
              const bool opposite = (si.oxidation > 0) != (sj.oxidation > 0);
              if (opposite && d <= reach_length) {
                const Site& cat = si.oxidation > 0 ? si : sj;
                const Site& an = si.oxidation > 0 ? sj : si;
                const auto* p = pair_within_range(table, cat, an, start.distance(si.frac, sj.frac));
                if (p) terms_.push_back({int(i), int(j), image, p->r0, p->b, 0.0});
              } else if (!opposite && d < o.contact_range) {
                terms_.push_back({int(i), int(j), image, 0.0, 1.0, d});
              }
            }
    x0_ = Eigen::VectorXd::Zero(6 + 3 * static_cast<Eigen::Index>(representatives()));
    for (std::size_t p = 0, k = 0; p < pairs_.size(); ++p)
      if (pairs_[p].first != pairs_[p].second) {
        x0_.segment<3>(6 + 3 * static_cast<Eigen::Index>(k++)) = start.sites[pairs_[p].first].frac;
      }
  }

  const Eigen::VectorXd& initial() const { return x0_; }

  /// The crystal at parameters x: cell L0 (I + E) with symmetric E, paired positions.
  Crystal crystal(const Eigen::VectorXd& x) const {
    Crystal c = start_;
    c.lattice = start_.lattice * (Eigen::Matrix3d::Identity() + strain(x));
    for (std::size_t p = 0, k = 0; p < pairs_.size(); ++p) {
      const auto [i, j] = pairs_[p];
      if (i == j) continue;
      const Eigen::Vector3d f = x.segment<3>(6 + 3 * static_cast<Eigen::Index>(k++));
      c.sites[i].frac = f;
      // The partner keeps the lattice translation it had at the start, so that the neighbour
      // images fixed in terms_ still refer to the same atoms.
      const Eigen::Vector3d offset =
          (start_.sites[i].frac + start_.sites[j].frac).array().round().matrix();
      c.sites[j].frac = offset - f;
    }
    return c;
  }

  /// Bond-valence sums at x over the bonds fixed at the start.
  Eigen::VectorXd bond_valence_sums(const Crystal& c) const {
    Eigen::VectorXd bvs = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(c.sites.size()));
    for (const Term& t : terms_)
      if (t.d0 == 0.0) {
        const double s = std::exp((t.r0 - distance(c, t)) / t.b);
        bvs[t.i] += s;
        bvs[t.j] += s;
      }
    return bvs;
  }

  double operator()(const Eigen::VectorXd& x, Eigen::VectorXd& grad) const {
    const Crystal c = crystal(x);
    const auto n = static_cast<Eigen::Index>(c.sites.size());
    const Eigen::VectorXd bvs = bond_valence_sums(c);
    Eigen::VectorXd residual(n);
    for (Eigen::Index i = 0; i < n; ++i) residual[i] = bvs[i] - std::abs(c.sites[i].oxidation);
    double value = residual.squaredNorm();
    // d value / d (site fractional coordinates) and / d (lattice), then chained to x.
    Eigen::Matrix3Xd g_frac = Eigen::Matrix3Xd::Zero(3, n);
    Eigen::Matrix3d g_lattice = Eigen::Matrix3d::Zero();
    for (const Term& t : terms_) {
      const Eigen::Vector3d df = c.sites[t.j].frac + t.n - c.sites[t.i].frac;
      const Eigen::Vector3d v = c.lattice.transpose() * df;
      const double d = v.norm();
      double dvalue_dd;
      if (t.d0 == 0.0) {
        const double s = std::exp((t.r0 - d) / t.b);
        dvalue_dd = -2.0 * (s / t.b) * (residual[t.i] + residual[t.j]);
      } else {
        const double strain = (d - t.d0) / t.d0;
        value += options_.restraint_weight * strain * strain;
        dvalue_dd = 2.0 * options_.restraint_weight * strain / t.d0;
        const double floor = kContactFloor * t.d0;
        if (d < floor) {
          value += options_.floor_weight * (floor - d) * (floor - d);
          dvalue_dd -= 2.0 * options_.floor_weight * (floor - d);
        }
      }
      const Eigen::Vector3d dd_df = c.lattice * v / d;  // d d / d frac_j
      g_frac.col(t.j) += dvalue_dd * dd_df;
      g_frac.col(t.i) -= dvalue_dd * dd_df;
      g_lattice += dvalue_dd * df * v.transpose() / d;  // d d / d L (rows are lattice vectors)
    }
    grad.setZero(x.size());
    const Eigen::Matrix3d g_strain = start_.lattice.transpose() * g_lattice;
    grad[0] = g_strain(0, 0);
    grad[1] = g_strain(1, 1);
    grad[2] = g_strain(2, 2);
    grad[3] = g_strain(1, 2) + g_strain(2, 1);
    grad[4] = g_strain(0, 2) + g_strain(2, 0);
    grad[5] = g_strain(0, 1) + g_strain(1, 0);
    for (std::size_t p = 0, k = 0; p < pairs_.size(); ++p) {
      const auto [i, j] = pairs_[p];
      if (i == j) continue;
      grad.segment<3>(6 + 3 * static_cast<Eigen::Index>(k++)) = g_frac.col(i) - g_frac.col(j);
    }
    return value;
  }

 private:
  static Eigen::Matrix3d strain(const Eigen::VectorXd& x) {
    Eigen::Matrix3d E;
    E << x[0], x[5], x[4], x[5], x[1], x[3], x[4], x[3], x[2];
    return E;
  }
  static double distance(const Crystal& c, const Term& t) {
    return c.cartesian(c.sites[t.j].frac + t.n - c.sites[t.i].frac).norm();
  }
  std::size_t representatives() const {
    std::size_t k = 0;
    for (const auto& [i, j] : pairs_) k += i != j;
    return k;
  }

  const Crystal& start_;
  RelaxOptions options_;
  std::vector<std::pair<int, int>> pairs_;
  std::vector<Term> terms_;
  Eigen::VectorXd x0_;
};

}  // namespace ionscreen::structures
