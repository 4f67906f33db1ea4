#include "structures/partial_occupancy.hpp"

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "structures/error.hpp"
#include "structures/io_text.hpp"

namespace ionscreen::structures {
namespace {

constexpr double kOccupancyTolerance = 1e-3;

bool partial(const Site& s) { return s.occupancy < 1.0 - kOccupancyTolerance; }

/// The periodic image of `f` closest (in Å) to `reference`.
Eigen::Vector3d nearest_image(const Crystal& c, const Eigen::Vector3d& reference,
                              const Eigen::Vector3d& f) {
  Eigen::Vector3d d = f - reference;
  d -= d.array().round().matrix();
  Eigen::Vector3d best = d;
  double best_norm = c.cartesian(d).norm();
  for (int i = -1; i <= 1; ++i)
    for (int j = -1; j <= 1; ++j)
      for (int k = -1; k <= 1; ++k) {
        const Eigen::Vector3d t = d + Eigen::Vector3d(i, j, k);
        const double n = c.cartesian(t).norm();
        if (n < best_norm - 1e-12) {
          best_norm = n;
          best = t;
        }
      }
  return reference + best;
}

std::string describe(const Crystal& c, const std::vector<std::size_t>& group) {
  std::string out;
  for (const std::size_t i : group) {
    const Site& s = c.sites[i];
    out += (out.empty() ? "" : ", ") + (s.label.empty() ? s.element : s.label) + " (" + s.element +
           ", occupancy " + io_text::exact(s.occupancy) + ")";
  }
  return out;
}

}  // namespace

Crystal merge_split_sites(const Crystal& crystal, double max_distance) {
  if (!(max_distance >= 0.0))
    throw InputError("merge_split_sites: max_distance must be >= 0 Å, got " +
                     io_text::exact(max_distance));
  const std::size_t n = crystal.sites.size();
  // Union-find over partial sites of one element closer than max_distance.
  std::vector<std::size_t> parent(n);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  const auto root = [&](std::size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (!partial(crystal.sites[i])) continue;
    for (std::size_t j = i + 1; j < n; ++j) {
      const Site &a = crystal.sites[i], &b = crystal.sites[j];
      if (!partial(b) || a.element != b.element) continue;
      if (crystal.distance(a.frac, b.frac) <= max_distance) {
        const std::size_t ra = root(i), rb = root(j);
        if (ra != rb) parent[std::max(ra, rb)] = std::min(ra, rb);
      }
    }
  }
  std::vector<std::vector<std::size_t>> groups(n);
  for (std::size_t i = 0; i < n; ++i)
    if (partial(crystal.sites[i])) groups[root(i)].push_back(i);

  std::string unmerged;
  Crystal out;
  out.name = crystal.name;
  out.lattice = crystal.lattice;
  for (std::size_t i = 0; i < n; ++i) {
    const Site& s = crystal.sites[i];
    if (!partial(s)) {
      out.sites.push_back(s);
      continue;
    }
    if (root(i) != i) continue;  // merged into its group's first site
    const std::vector<std::size_t>& group = groups[i];
    double total = 0.0;
    for (const std::size_t k : group) total += crystal.sites[k].occupancy;
    if (std::abs(total - 1.0) > kOccupancyTolerance) {
      unmerged += (unmerged.empty() ? "" : "; ") + std::string("{") + describe(crystal, group) +
                  "} (total " + io_text::exact(total) + ")";
      continue;
    }
    for (const std::size_t k : group)
      if (crystal.sites[k].oxidation != s.oxidation)
        throw InputError("merge_split_sites: split sites " + describe(crystal, group) +
                         " have different oxidation states; accepted: one oxidation state per "
                         "group");
    Eigen::Vector3d centroid = Eigen::Vector3d::Zero();
    for (const std::size_t k : group)
      centroid +=
          crystal.sites[k].occupancy * nearest_image(crystal, s.frac, crystal.sites[k].frac);
    Site merged = s;
    merged.frac = wrap(centroid / total);
    merged.occupancy = 1.0;
    out.sites.push_back(std::move(merged));
  }
  if (!unmerged.empty())
    throw InputError(
        "merge_split_sites: partially occupied sites remain that cannot be merged "
        "within " +
        io_text::exact(max_distance) + " Å: " + unmerged +
        "; accepted: groups of one element within max_distance whose occupancies "
        "add up to 1 (±1e-3). Order the structure (choose an arrangement) instead, or "
        "raise max_distance if the split is wider");
  return out;
}

void require_full_occupancy(const Crystal& crystal, const std::string& writer,
                            const std::string& format) {
  for (const Site& s : crystal.sites)
    if (s.occupancy < 1.0 - 1e-3)
      throw InputError(writer + ": site " + s.label + " (" + s.element + ") has occupancy " +
                       io_text::exact(s.occupancy) + "; " + format +
                       " holds fully occupied sites only (merge split sites with "
                       "merge_split_sites first)");
}

}  // namespace ionscreen::structures
