#include "structures/percolation.hpp"

#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>

namespace ionscreen::structures {
namespace {

/// A subgroup of (Z_2)^3 as the set of its elements: bit s is set when shift s (bit 0: a, bit 1:
/// b, bit 2: c) is in the group.
using ShiftGroup = std::uint8_t;

ShiftGroup sum_of(ShiftGroup g, ShiftGroup h) {
  unsigned out = 0;
  for (unsigned x = 0; x < 8; ++x) {
    if (!(g >> x & 1u)) continue;
    for (unsigned y = 0; y < 8; ++y)
      if (h >> y & 1u) out |= 1u << (x ^ y);
  }
  return static_cast<ShiftGroup>(out);
}

/// Union-find over the cell's points. shift[x] is the cell shift (mod 2) of x's copy relative to
/// its parent's copy; group[root] is the region's group of realised shifts.
class ShiftUnionFind {
 public:
  explicit ShiftUnionFind(std::size_t size) : parent_(size), shift_(size, 0), group_(size, 1) {
    for (std::size_t i = 0; i < size; ++i) parent_[i] = static_cast<std::int32_t>(i);
  }

  /// Root of x and the shift of x's copy relative to the root's (path compression).
  std::pair<std::int32_t, unsigned> find(std::int32_t x) {
    std::int32_t root = x;
    unsigned total = 0;
    while (parent_[root] != root) {
      total ^= shift_[root];
      root = parent_[root];
    }
    // Compress: each node on the path points to the root with its accumulated shift.
    unsigned remaining = total;
    while (parent_[x] != x) {
      const std::int32_t next = parent_[x];
      const unsigned own = shift_[x];
      parent_[x] = root;
      shift_[x] = static_cast<std::uint8_t>(remaining);
      remaining ^= own;
      x = next;
    }
    return {root, total};
  }

  /// Join copy c of a with copy c ^ s of b.
  void join(std::int32_t a, std::int32_t b, unsigned s) {
    const auto [ra, oa] = find(a);
    const auto [rb, ob] = find(b);
    const unsigned cycle = oa ^ s ^ ob;
    if (ra == rb) {
      group_[ra] = sum_of(group_[ra], static_cast<ShiftGroup>(1u | 1u << cycle));
      return;
    }
    parent_[rb] = ra;
    shift_[rb] = static_cast<std::uint8_t>(cycle);
    group_[ra] = sum_of(group_[ra], group_[rb]);
  }

  ShiftGroup group(std::int32_t root) const { return group_[root]; }
  bool is_root(std::int32_t x) const { return parent_[x] == x; }

 private:
  std::vector<std::int32_t> parent_;
  std::vector<std::uint8_t> shift_;
  std::vector<ShiftGroup> group_;
};

void check_grid(const std::vector<float>& energy, const Eigen::Vector3i& n) {
  if (n.minCoeff() < 2)
    throw std::invalid_argument("percolation: the grid needs at least 2 points per axis, got " +
                                std::to_string(n(0)) + " x " + std::to_string(n(1)) + " x " +
                                std::to_string(n(2)));
  const std::size_t size = static_cast<std::size_t>(n(0)) * static_cast<std::size_t>(n(1)) *
                           static_cast<std::size_t>(n(2));
  if (energy.size() != size)
    throw std::invalid_argument("percolation: the grid has " + std::to_string(energy.size()) +
                                " values, expected " + std::to_string(size));
}

int dimension_unchecked(const std::vector<float>& energy, const Eigen::Vector3i& n,
                        double threshold) {
  const int n0 = n(0), n1 = n(1), n2 = n(2);
  const std::size_t size = energy.size();
  std::vector<std::uint8_t> inside(size);
  for (std::size_t p = 0; p < size; ++p) inside[p] = static_cast<double>(energy[p]) < threshold;
  const auto index = [&](int i, int j, int k) {
    return static_cast<std::int32_t>(i + n0 * (j + n1 * k));
  };
  // The 13 neighbour offsets with the first non-zero component positive (half of the 26).
  std::array<std::array<int, 3>, 13> half{};
  int count = 0;
  for (int dk = -1; dk <= 1; ++dk)
    for (int dj = -1; dj <= 1; ++dj)
      for (int di = -1; di <= 1; ++di) {
        const bool positive = dk > 0 || (dk == 0 && dj > 0) || (dk == 0 && dj == 0 && di > 0);
        if (positive) half[count++] = {di, dj, dk};
      }
  ShiftUnionFind uf(size);
  for (int k = 0; k < n2; ++k)
    for (int j = 0; j < n1; ++j)
      for (int i = 0; i < n0; ++i) {
        const std::int32_t p = index(i, j, k);
        if (!inside[p]) continue;
        for (const auto& d : half) {
          const int ii = i + d[0], jj = j + d[1], kk = k + d[2];
          if (ii < 0 || ii >= n0 || jj < 0 || jj >= n1 || kk >= n2) continue;
          const std::int32_t q = index(ii, jj, kk);
          if (inside[q]) uf.join(p, q, 0);
        }
        // Periodic faces: the last plane is the first plane of the next cell.
        if (i == n0 - 1 && inside[index(0, j, k)]) uf.join(p, index(0, j, k), 1);
        if (j == n1 - 1 && inside[index(i, 0, k)]) uf.join(p, index(i, 0, k), 2);
        if (k == n2 - 1 && inside[index(i, j, 0)]) uf.join(p, index(i, j, 0), 4);
      }
  int best = 0;
  for (std::size_t p = 0; p < size; ++p) {
    const auto x = static_cast<std::int32_t>(p);
    if (!inside[p] || !uf.is_root(x)) continue;
    const int copies = std::popcount(static_cast<unsigned>(uf.group(x)));
    const int dimension = copies >= 8 ? 3 : copies >= 4 ? 2 : copies >= 2 ? 1 : 0;
    if (dimension > best) best = dimension;
    if (best == 3) break;
  }
  return best;
}

}  // namespace

int percolation_dimension(const std::vector<float>& energy, const Eigen::Vector3i& n,
                          double threshold) {
  check_grid(energy, n);
  return dimension_unchecked(energy, n, threshold);
}

PercolationBarriers percolation_barriers(const std::vector<float>& energy,
                                         const Eigen::Vector3i& n) {
  check_grid(energy, n);
  // The dimension only grows with the threshold, so one labelling answers all three searches;
  // the bisection midpoints are exact binary fractions of 10 and repeat between searches.
  std::map<double, int> known;
  const auto dimension_at = [&](double t) {
    const auto it = known.find(t);
    if (it != known.end()) return it->second;
    const int d = dimension_unchecked(energy, n, t);
    known.emplace(t, d);
    return d;
  };
  std::array<double, 3> out{};
  for (int d = 1; d <= 3; ++d) {
    double lo = 0.0, hi = kPercolationMaxThreshold;
    if (dimension_at(hi) < d) {
      out[d - 1] = std::numeric_limits<double>::infinity();
      continue;
    }
    while (hi - lo > kPercolationTolerance) {
      const double mid = 0.5 * (lo + hi);
      if (dimension_at(mid) >= d)
        hi = mid;
      else
        lo = mid;
    }
    out[d - 1] = hi;
  }
  return {out[0], out[1], out[2]};
}

}  // namespace ionscreen::structures
