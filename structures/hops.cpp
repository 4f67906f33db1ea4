#include "structures/hops.hpp"

#include <LBFGS.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include "structures/error.hpp"

namespace ionscreen::structures {
namespace {

/// Difference b - a wrapped to the nearest image, in fractional coordinates.
Eigen::Vector3d minimum_image(const Eigen::Vector3d& a, const Eigen::Vector3d& b) {
  Eigen::Vector3d d = b - a;
  return d - d.array().round().matrix();
}

void require_same_atoms(const Crystal& start, const Crystal& end) {
  if (start.sites.size() != end.sites.size())
    throw StructureError("interpolation: end points have " + std::to_string(start.sites.size()) +
                         " and " + std::to_string(end.sites.size()) + " atoms");
  for (std::size_t i = 0; i < start.sites.size(); ++i)
    if (start.sites[i].element != end.sites[i].element)
      throw StructureError("interpolation: atom " + std::to_string(i) + " is " +
                           start.sites[i].element + " in the start but " + end.sites[i].element +
                           " in the end point; the end points must list atoms in the same order");
}

/// The IDPP objective of one image over Cartesian coordinates (3 N, atom-major), with the periodic
/// image of every pair fixed from the starting (linear) image.
class IdppObjective {
 public:
  IdppObjective(const Crystal& guess, Eigen::MatrixXd target)
      : target_(std::move(target)),
        n_(static_cast<Eigen::Index>(guess.sites.size())),
        shift_(3, n_ * n_) {
    for (Eigen::Index i = 0; i < n_; ++i)
      for (Eigen::Index j = 0; j < n_; ++j) {
        const Eigen::Vector3d raw = guess.sites[j].frac - guess.sites[i].frac;
        shift_.col(i * n_ + j) = guess.lattice.transpose() *
                                 (minimum_image(guess.sites[i].frac, guess.sites[j].frac) - raw);
      }
  }

  double operator()(const Eigen::VectorXd& x, Eigen::VectorXd& grad) const {
    grad.setZero();
    double value = 0.0;
    for (Eigen::Index i = 0; i < n_; ++i)
      for (Eigen::Index j = i + 1; j < n_; ++j) {
        const Eigen::Vector3d v =
            x.segment<3>(3 * j) - x.segment<3>(3 * i) + shift_.col(i * n_ + j);
        const double d = v.norm(), e = d - target_(i, j), d4 = d * d * d * d;
        value += e * e / d4;
        const double dv = (2.0 * e / d4 - 4.0 * e * e / (d4 * d)) / d;  // d/dd, then along v
        grad.segment<3>(3 * j) += dv * v;
        grad.segment<3>(3 * i) -= dv * v;
      }
    return value;
  }

 private:
  Eigen::MatrixXd target_;
  Eigen::Index n_;
  Eigen::Matrix3Xd shift_;
};

Eigen::MatrixXd pair_distances(const Crystal& c) {
  const auto n = static_cast<Eigen::Index>(c.sites.size());
  Eigen::MatrixXd D = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = i + 1; j < n; ++j)
      D(i, j) = D(j, i) = c.distance(c.sites[i].frac, c.sites[j].frac);
  return D;
}

}  // namespace

Eigen::Vector3i supercell_for_width(const Eigen::Matrix3d& lattice, double min_width) {
  if (!(min_width > 0.0)) throw InputError("supercell width must be > 0 Å");
  const Eigen::Vector3d w = perpendicular_widths(lattice);
  Eigen::Vector3i n;
  for (int i = 0; i < 3; ++i)
    n[i] = std::max(1, static_cast<int>(std::ceil(min_width / w[i] - 1e-9)));
  return n;
}

std::vector<Hop> distinct_hops(const Crystal& cell, const std::string& carrier,
                               const std::vector<int>& equivalent_atoms, double max_length) {
  if (equivalent_atoms.size() != cell.sites.size())
    throw InputError("distinct_hops: one orbit index per site is needed");
  const Eigen::Vector3d w = perpendicular_widths(cell.lattice);
  Eigen::Vector3i reach;
  for (int i = 0; i < 3; ++i) reach[i] = static_cast<int>(std::ceil(max_length / w[i])) + 1;
  // Kinds keyed by (unordered orbit pair, length in units of 1e-3 Å).
  std::map<std::tuple<int, int, long>, Hop> kinds;
  for (std::size_t a = 0; a < cell.sites.size(); ++a) {
    if (cell.sites[a].element != carrier) continue;
    for (std::size_t b = 0; b < cell.sites.size(); ++b) {
      if (cell.sites[b].element != carrier) continue;
      for (int i = -reach[0]; i <= reach[0]; ++i)
        for (int j = -reach[1]; j <= reach[1]; ++j)
          for (int k = -reach[2]; k <= reach[2]; ++k) {
            const Eigen::Vector3i image(i, j, k);
            const double length =
                cell.cartesian(cell.sites[b].frac + image.cast<double>() - cell.sites[a].frac)
                    .norm();
            if (length < 1e-6 || length > max_length) continue;
            const int oa = equivalent_atoms[a], ob = equivalent_atoms[b];
            const auto key =
                std::make_tuple(std::min(oa, ob), std::max(oa, ob), std::lround(length * 1e3));
            auto [it, fresh] = kinds.try_emplace(
                key, Hop{static_cast<int>(a), static_cast<int>(b), image, length, 0});
            ++it->second.multiplicity;
          }
    }
  }
  if (kinds.empty())
    throw StructureError("no " + carrier + " hop shorter than " + std::to_string(max_length) +
                         " Å in " + cell.formula());
  std::vector<Hop> hops;
  for (auto& [key, hop] : kinds) hops.push_back(hop);
  std::sort(hops.begin(), hops.end(),
            [](const Hop& x, const Hop& y) { return x.length < y.length; });
  return hops;
}

HopEndpoints hop_endpoints(const Crystal& cell, const Hop& hop, const Eigen::Vector3i& m) {
  const Crystal super = supercell(cell, m[0], m[1], m[2]);
  const int per_site = m[0] * m[1] * m[2];
  const auto wrapped = [&](int v, int n) { return ((v % n) + n) % n; };
  const int moving = hop.from * per_site;
  const int vacancy = hop.to * per_site +
                      (wrapped(hop.image[0], m[0]) * m[1] + wrapped(hop.image[1], m[1])) * m[2] +
                      wrapped(hop.image[2], m[2]);
  if (vacancy == moving)
    throw StructureError("supercell " + std::to_string(m[0]) + "x" + std::to_string(m[1]) + "x" +
                         std::to_string(m[2]) + " is too small for a hop of " +
                         std::to_string(hop.length) + " Å: it ends on its own image");
  HopEndpoints ends{super, super, moving > vacancy ? moving - 1 : moving};
  const Eigen::Vector3d jump = cell.cartesian(cell.sites[hop.to].frac + hop.image.cast<double>() -
                                              cell.sites[hop.from].frac);
  ends.start.sites.erase(ends.start.sites.begin() + vacancy);
  ends.end.sites.erase(ends.end.sites.begin() + vacancy);
  Site& mover = ends.end.sites[static_cast<std::size_t>(ends.moving)];
  mover.frac = wrap(super.fractional(super.cartesian(mover.frac) + jump));
  return ends;
}

std::vector<Crystal> linear_images(const Crystal& start, const Crystal& end, int count) {
  require_same_atoms(start, end);
  if (count < 1) throw InputError("number of images must be >= 1");
  std::vector<Crystal> images;
  for (int k = 1; k <= count; ++k) {
    const double t = double(k) / double(count + 1);
    Crystal image = start;
    image.lattice = (1.0 - t) * start.lattice + t * end.lattice;
    for (std::size_t i = 0; i < start.sites.size(); ++i)
      image.sites[i].frac =
          wrap(start.sites[i].frac + t * minimum_image(start.sites[i].frac, end.sites[i].frac));
    images.push_back(std::move(image));
  }
  return images;
}

std::vector<Crystal> idpp_images(const Crystal& start, const Crystal& end, int count) {
  std::vector<Crystal> images = linear_images(start, end, count);
  const Eigen::MatrixXd d0 = pair_distances(start), d1 = pair_distances(end);
  LBFGSpp::LBFGSParam<double> param;
  param.max_iterations = 500;
  param.epsilon = 1e-6;  // absolute gradient norm; the default relative test stops at once
  param.epsilon_rel = 0.0;
  for (int k = 0; k < count; ++k) {
    Crystal& image = images[static_cast<std::size_t>(k)];
    const double t = double(k + 1) / double(count + 1);
    const IdppObjective objective(image, (1.0 - t) * d0 + t * d1);
    const auto n = static_cast<Eigen::Index>(image.sites.size());
    Eigen::VectorXd x(3 * n);
    for (Eigen::Index i = 0; i < n; ++i) x.segment<3>(3 * i) = image.cartesian(image.sites[i].frac);
    LBFGSpp::LBFGSSolver<double> solver(param);
    double fx = 0.0;
    try {
      solver.minimize(objective, x, fx);
    } catch (const std::exception&) {
      // LBFGS++ throws when its line search stalls near the optimum; x is its last accepted point.
    }
    for (Eigen::Index i = 0; i < n; ++i)
      image.sites[i].frac = wrap(image.fractional(x.segment<3>(3 * i)));
  }
  return images;
}

double shortest_distance(const Crystal& crystal) {
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < crystal.sites.size(); ++i)
    for (std::size_t j = i + 1; j < crystal.sites.size(); ++j)
      best = std::min(best, crystal.distance(crystal.sites[i].frac, crystal.sites[j].frac));
  return best;
}

}  // namespace ionscreen::structures
