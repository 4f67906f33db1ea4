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
  // GII over the objective's own bonds (fixed at the start), before and after, so that the two
  // are comparable and a non-bonded pair the tables lack never enters either.
  const auto gii = [&](const Crystal& c, const Eigen::VectorXd& bvs) {
    double sum = 0.0;
    for (std::size_t i = 0; i < c.sites.size(); ++i) {
      const double r = bvs[Eigen::Index(i)] - std::abs(c.sites[i].oxidation);
      sum += r * r;
    }
    return std::sqrt(sum / double(c.sites.size()));
  };
  report.gii_before = gii(start, objective.bond_valence_sums(start));
  report.volume_before = start.volume();
  // Keep the best point evaluated: when LBFGS++ gives up (it throws), x may be a trial point.
  Eigen::VectorXd best = objective.initial();
  double best_value = std::numeric_limits<double>::infinity();
  auto tracked = [&](const Eigen::VectorXd& p, Eigen::VectorXd& grad) {
    const double v = objective(p, grad);
    if (v < best_value) best_value = v, best = p;
    return v;
  };
  // A far-off start (a large tetrahedral cation in the prototype's SO4 site, GII ~2.5) can stall
  // the line search long before the minimum: restart from the best point while that helps.
  LBFGSpp::LBFGSParam<double> param;
  param.max_iterations = options.max_iterations;
  param.epsilon = 1e-7;
  param.epsilon_rel = 0.0;
  report.iterations = 0;
  {
    Eigen::VectorXd grad(best.size());
    tracked(best, grad);  // best_value: the start
  }
  for (int restart = 0; restart < 20; ++restart) {
    LBFGSpp::LBFGSSolver<double> solver(param);
    Eigen::VectorXd x = best;
    double fx = 0.0;
    const double before = best_value;
    try {
      report.iterations += solver.minimize(tracked, x, fx);
      break;
    } catch (const std::exception&) {
      if (!(best_value < before - 1e-12 * std::max(1.0, before))) break;
    }
  }
  const Eigen::VectorXd x = best;
  report.relaxed = objective.crystal(x);
  for (auto& s : report.relaxed.sites) s.frac = wrap(s.frac);
  report.volume_after = report.relaxed.volume();
  report.bvs = objective.bond_valence_sums(objective.crystal(x));
  report.gii_after = gii(report.relaxed, report.bvs);
  for (std::size_t i = 0; i < report.relaxed.sites.size(); ++i) {
    const double v = std::abs(report.relaxed.sites[i].oxidation);
    const double dev = std::abs(report.bvs[Eigen::Index(i)] - v) / v;
    if (dev > report.worst_deviation) {
      report.worst_deviation = dev;
      report.worst_site = int(i);
    }
  }
  const auto shortest = [](const Crystal& c, std::size_t* a, std::size_t* b) {
    double closest = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < c.sites.size(); ++i)
      for (std::size_t j = i + 1; j < c.sites.size(); ++j) {
        const double d = c.distance(c.sites[i].frac, c.sites[j].frac);
        if (d < closest) closest = d, *a = i, *b = j;
      }
    return closest;
  };
  std::size_t a = 0, b = 0;
  report.shortest_before = shortest(start, &a, &b);
  report.shortest_after = shortest(report.relaxed, &a, &b);
  if (report.shortest_after < 0.5)
    throw StructureError("bond-valence relaxation of " + start.formula() + " put " +
                         report.relaxed.sites[a].label + " and " + report.relaxed.sites[b].label +
                         " " + std::to_string(report.shortest_after) + " Å apart");
  return report;
}

}  // namespace ionscreen::structures
