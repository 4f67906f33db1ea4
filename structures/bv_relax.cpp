#include "structures/bv_relax.hpp"

#include <LBFGS.h>

#include <cmath>
#include <limits>

#include "structures/bv_objective.hpp"
#include "structures/error.hpp"

namespace ionscreen::structures {

std::vector<std::pair<int, int>> inversion_pairs(const Crystal& crystal, double tolerance) {
  const auto n = crystal.sites.size();
  std::vector<int> partner(n, -1);
  for (std::size_t i = 0; i < n; ++i) {
    if (partner[i] >= 0) continue;
    for (std::size_t j = i; j < n; ++j) {
      const Site &a = crystal.sites[i], &b = crystal.sites[j];
      if (partner[j] >= 0 || a.element != b.element || a.oxidation != b.oxidation) continue;
      Eigen::Vector3d d = b.frac + a.frac;  // zero (mod 1) for inversion partners
      d -= d.array().round().matrix();
      if (crystal.cartesian(d).norm() < tolerance * 10.0) {
        partner[i] = int(j);
        partner[j] = int(i);
        break;
      }
    }
    if (partner[i] < 0)
      throw StructureError("site " + crystal.sites[i].label + " (" + crystal.sites[i].element +
                           ") has no inversion partner: the relaxation keeps P-1 about the origin");
  }
  std::vector<std::pair<int, int>> pairs;
  for (std::size_t i = 0; i < n; ++i)
    if (int(i) <= partner[i]) pairs.emplace_back(int(i), partner[i]);
  return pairs;
}

RelaxReport relax_bond_valence(const Crystal& start, const BondValenceTable& table,
                               const RelaxOptions& options) {
  BondValenceObjective objective(start, table, options);
  RelaxReport report;
  report.gii_before = global_instability_index(start, table, options.cutoff);
  report.volume_before = start.volume();
  Eigen::VectorXd x = objective.initial();
  LBFGSpp::LBFGSParam<double> param;
  param.max_iterations = options.max_iterations;
  param.epsilon = 1e-7;
  param.epsilon_rel = 0.0;
  LBFGSpp::LBFGSSolver<double> solver(param);
  double fx = 0.0;
  try {
    report.iterations = solver.minimize(objective, x, fx);
  } catch (const std::runtime_error&) {
    // The line search gave up close to a minimum: x holds the last accepted point.
    report.iterations = param.max_iterations;
  }
  report.relaxed = objective.crystal(x);
  for (auto& s : report.relaxed.sites) s.frac = wrap(s.frac);
  report.volume_after = report.relaxed.volume();
  report.bvs = bond_valence_sums(report.relaxed, table, options.cutoff);
  report.gii_after = global_instability_index(report.relaxed, table, options.cutoff);
  for (std::size_t i = 0; i < report.relaxed.sites.size(); ++i) {
    const double v = std::abs(report.relaxed.sites[i].oxidation);
    const double dev = std::abs(report.bvs[Eigen::Index(i)] - v) / v;
    if (dev > report.worst_deviation) {
      report.worst_deviation = dev;
      report.worst_site = int(i);
    }
  }
  for (std::size_t i = 0; i < report.relaxed.sites.size(); ++i)
    for (std::size_t j = i + 1; j < report.relaxed.sites.size(); ++j)
      if (report.relaxed.distance(report.relaxed.sites[i].frac, report.relaxed.sites[j].frac) < 0.5)
        throw StructureError("bond-valence relaxation of " + start.formula() + " put " +
                             report.relaxed.sites[i].label + " and " +
                             report.relaxed.sites[j].label + " on top of each other");
  return report;
}

}  // namespace ionscreen::structures
