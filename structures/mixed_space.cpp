#include "structures/mixed_space.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <iomanip>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>

#include "structures/error.hpp"

namespace ionscreen::structures {
namespace {

__extension__ using u128 = unsigned __int128;
constexpr u128 kMax64 = std::numeric_limits<std::uint64_t>::max();
constexpr int kMaxSites = 16;

std::uint32_t apply(const std::vector<int>& perm, std::uint32_t mask) {
  std::uint32_t out = 0;
  for (std::size_t i = 0; i < perm.size(); ++i)
    if (mask & (1u << i)) out |= 1u << perm[i];
  return out;
}

/// Every mask of `n` bits with `k` set, ascending (Gosper's hack).
template <class F>
void for_each_subset(int n, int k, F&& f) {
  if (k == 0) {
    f(std::uint32_t{0});
    return;
  }
  const std::uint32_t end = 1u << n;
  for (std::uint32_t v = (1u << k) - 1u; v < end;) {
    f(v);
    const std::uint32_t c = v & (~v + 1u);
    const std::uint32_t r = v + c;
    v = (((r ^ v) >> 2) / c) | r;
  }
}

/// Number of k-subsets fixed by a permutation: coefficient of t^k in prod over cycles (1 + t^len).
std::vector<u128> fixed_subsets(const std::vector<int>& perm) {
  const std::size_t n = perm.size();
  std::vector<u128> poly(n + 1, 0);
  poly[0] = 1;
  std::vector<bool> seen(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    if (seen[i]) continue;
    std::size_t len = 0;
    for (std::size_t j = i; !seen[j]; j = static_cast<std::size_t>(perm[j])) seen[j] = true, ++len;
    for (std::size_t d = n; d >= len; --d) {
      poly[d] += poly[d - len];
      if (d == len) break;
    }
  }
  return poly;
}

bool same_position(const Eigen::Vector3d& a, const Eigen::Vector3d& b) {
  Eigen::Vector3d d = a - b;
  d -= d.array().round().matrix();
  return d.cwiseAbs().maxCoeff() < 1e-6;
}

/// Permutations of one sublattice (sites at `basis` in the P-1 cell) under the supercell's
/// translations and their compositions with the inversion through the origin.
std::vector<std::vector<int>> group_on(const std::vector<Eigen::Vector3d>& basis,
                                       const std::array<int, 3>& sc) {
  const int n = sc[0] * sc[1] * sc[2];
  const Eigen::Vector3d dims(sc[0], sc[1], sc[2]);
  std::vector<Eigen::Vector3d> pos;
  for (const auto& f : basis)
    for (int i = 0; i < sc[0]; ++i)
      for (int j = 0; j < sc[1]; ++j)
        for (int k = 0; k < sc[2]; ++k)
          pos.push_back((f + Eigen::Vector3d(i, j, k)).cwiseQuotient(dims));
  std::vector<std::vector<int>> group;
  for (int inv = 0; inv < 2; ++inv)
    for (int t = 0; t < n; ++t) {
      const Eigen::Vector3d shift =
          Eigen::Vector3d(t / (sc[1] * sc[2]), (t / sc[2]) % sc[1], t % sc[2]).cwiseQuotient(dims);
      std::vector<int> perm(pos.size(), -1);
      for (std::size_t s = 0; s < pos.size(); ++s) {
        const Eigen::Vector3d image = (inv ? Eigen::Vector3d(-pos[s]) : pos[s]) + shift;
        for (std::size_t r = 0; r < pos.size(); ++r)
          if (same_position(image, pos[r])) perm[s] = static_cast<int>(r);
        if (perm[s] < 0) throw std::logic_error("mixed space: sublattice not closed under P-1");
      }
      group.push_back(std::move(perm));
    }
  return group;
}

std::string decimal(double v) {
  std::ostringstream out;
  out << std::setprecision(4) << v;
  return out.str();
}

std::string part_formula(const std::vector<SiteOccupancy>& part) {
  if (part.size() == 1) return part[0].species.element;
  std::string s;
  for (const auto& o : part) s += o.species.element + decimal(o.fraction);
  return s;
}

std::vector<Species> expand(const std::vector<SiteOccupancy>& part, std::uint32_t second,
                            int sites) {
  std::vector<Species> out;
  for (int i = 0; i < sites; ++i)
    out.push_back(part.size() > 1 && (second & (1u << i)) ? part[1].species : part[0].species);
  return out;
}

}  // namespace

std::string MixedCandidate::formula() const {
  return carrier + part_formula(M) + part_formula(X) + "O4" + to_string(Z);
}
std::vector<Species> MixedCandidate::M_sites() const { return expand(M, M_second, sites); }
std::vector<Species> MixedCandidate::X_sites() const { return expand(X, X_second, sites); }

struct MixedSpace::Cache {
  struct Rep {
    std::uint32_t mask;
    std::uint32_t stabilizer;  // bit g set: group element g fixes the mask
  };
  std::mutex mutex;
  std::map<int, std::vector<Rep>> m_reps;                                      // k -> reps
  std::map<std::pair<std::uint32_t, int>, std::vector<std::uint32_t>> x_reps;  // (H, j) -> reps
  std::map<std::pair<int, int>, std::vector<std::uint64_t>> prefix;            // (k, j) -> sums
};

MixedSpace::~MixedSpace() = default;

MixedSpace::MixedSpace(const SpaceSpec& space, const MixedSpec& mixed)
    : cache_(std::make_unique<Cache>()) {
  check_carrier(space.carrier);
  carrier_ = space.carrier;
  const auto src = space.source.empty() ? std::string("mixed space") : space.source;
  if (space.M.empty() || space.X.empty() || space.Z.empty())
    throw InputError(src + ": the M, X and Z lists must not be empty");
  for (const auto* list : {&space.M, &space.X})
    for (const auto& s : *list)
      if (s.oxidation <= 0)
        throw InputError(src + ": " + to_string(s) +
                         " is not a cation; accepted: positive "
                         "oxidation states");
  const auto& sc = mixed.supercell;
  if (sc[0] < 1 || sc[1] < 1 || sc[2] < 1)
    throw InputError("mixed space: supercell multipliers must be >= 1");
  const int cells = sc[0] * sc[1] * sc[2];
  n_sites_ = 2 * cells;
  if (n_sites_ > kMaxSites)
    throw InputError("mixed space: supercell " + std::to_string(sc[0]) + "x" +
                     std::to_string(sc[1]) + "x" + std::to_string(sc[2]) + " has " +
                     std::to_string(n_sites_) + " sites per sublattice; accepted: at most " +
                     std::to_string(kMaxSites) + " (na*nb*nc <= 8)");
  const int N = n_sites_;

  // Allowed numbers of second-species sites of a mixed sublattice.
  std::set<int> kmix;
  if (mixed.x.empty()) {
    for (int k = 1; k < N; ++k) kmix.insert(k);
  } else {
    for (const double x : mixed.x) {
      const double kx = x * N;
      const double r = std::round(kx);
      if (!(x > 0.0 && x < 1.0) || std::abs(kx - r) > 1e-9) {
        std::string accepted;
        for (int k = 1; k < N; ++k)
          accepted += (k > 1 ? ", " : "") + std::to_string(k) + "/" + std::to_string(N);
        throw InputError("mixed space: x = " + decimal(x) +
                         " is not on the grid of this supercell; "
                         "accepted: " +
                         accepted);
      }
      kmix.insert(static_cast<int>(r));
      kmix.insert(N - static_cast<int>(r));
    }
  }

  perm_M_ = group_on({Eigen::Vector3d(0, 0, 0.5), Eigen::Vector3d(0, 0, 0)}, sc);
  // X is a pair x, -x on a general position; the image numbering of supercell() follows the
  // coordinates wrapped into [0, 1), so the second X sits at 1 - x, not at -x.
  const Eigen::Vector3d p(0.3244, 0.6381, 0.2495);
  perm_X_ = group_on({p, wrap(Eigen::Vector3d(-p))}, sc);

  const auto parts = [&](const std::vector<Species>& list, bool mix) {
    std::map<std::pair<int, int>, std::vector<Part>> out;
    for (std::size_t a = 0; a < list.size(); ++a) {
      out[{N * list[a].oxidation, 0}].push_back({list[a], {}, 0});
      if (!mix) continue;
      for (std::size_t b = a + 1; b < list.size(); ++b) {
        if (list[a] == list[b])
          throw InputError(src + ": " + to_string(list[a]) + " is listed twice");
        for (const int k : kmix)
          out[{(N - k) * list[a].oxidation + k * list[b].oxidation, k}].push_back(
              {list[a], list[b], k});
      }
    }
    return out;
  };
  m_parts_ = parts(space.M, mixed.mix_M);
  x_parts_ = parts(space.X, mixed.mix_X);

  u128 total = 0;
  for (const Bridge z : space.Z) {
    const int target = N * (7 + bridge_charge(z));
    for (const auto& [mk, mlist] : m_parts_)
      for (const auto& [xk, xlist] : x_parts_) {
        if (mk.first + xk.first != target) continue;
        const std::uint64_t orb = orbits(mk.second, xk.second);
        const u128 count = u128{mlist.size()} * xlist.size() * orb;
        if (count == 0) continue;
        Block b;
        b.start = static_cast<std::uint64_t>(total);
        b.z = z;
        b.m = &mlist;
        b.x = &xlist;
        b.k = mk.second;
        b.j = xk.second;
        b.orbits = orb;
        blocks_.push_back(b);
        total += count;
        if (total > kMax64)
          throw InputError(
              "mixed space: more than 2^64 candidates; use a smaller supercell, "
              "fewer species or a coarser x grid");
      }
  }
  size_ = static_cast<std::uint64_t>(total);
  if (size_ == 0)
    throw InputError(src + ": no charge-balanced candidate for carrier " + carrier_ +
                     ": on average 1 + v_M + v_X must equal 8 + |v_Z| (F, OH: 1; O: 2)");
}

std::uint64_t MixedSpace::orbits(int k, int j) const {
  if (k < 0 || j < 0 || k > n_sites_ || j > n_sites_) return 0;
  u128 sum = 0;
  for (std::size_t g = 0; g < perm_M_.size(); ++g)
    sum += fixed_subsets(perm_M_[g])[static_cast<std::size_t>(k)] *
           fixed_subsets(perm_X_[g])[static_cast<std::size_t>(j)];
  return static_cast<std::uint64_t>(sum / perm_M_.size());
}

MixedCandidate MixedSpace::at(std::uint64_t index) const {
  if (index >= size_)
    throw InputError("mixed space: index " + std::to_string(index) +
                     " out of range; accepted: 0.." + std::to_string(size_ - 1));
  const auto it = std::upper_bound(blocks_.begin(), blocks_.end(), index,
                                   [](std::uint64_t i, const Block& b) { return i < b.start; });
  const Block& b = *std::prev(it);
  const std::uint64_t local = index - b.start;
  const std::uint64_t orbit = local % b.orbits;
  const std::uint64_t rest = local / b.orbits;
  const Part& xp = (*b.x)[rest % b.x->size()];
  const Part& mp = (*b.m)[rest / b.x->size()];

  std::uint32_t m_mask = 0, x_mask = 0;
  {
    std::lock_guard<std::mutex> lock(cache_->mutex);
    auto& reps = cache_->m_reps[b.k];
    if (reps.empty())
      for_each_subset(n_sites_, b.k, [&](std::uint32_t mask) {
        std::uint32_t stab = 0;
        for (std::size_t g = 0; g < perm_M_.size(); ++g) {
          const std::uint32_t image = apply(perm_M_[g], mask);
          if (image < mask) return;  // not the smallest mask of its orbit
          if (image == mask) stab |= 1u << g;
        }
        reps.push_back({mask, stab});
      });
    const auto x_reps = [&](std::uint32_t stab) -> const std::vector<std::uint32_t>& {
      auto& xr = cache_->x_reps[{stab, b.j}];
      if (xr.empty())
        for_each_subset(n_sites_, b.j, [&](std::uint32_t mask) {
          for (std::size_t g = 0; g < perm_X_.size(); ++g)
            if ((stab & (1u << g)) && apply(perm_X_[g], mask) < mask) return;
          xr.push_back(mask);
        });
      return xr;
    };
    auto& prefix = cache_->prefix[{b.k, b.j}];
    if (prefix.empty()) {
      std::uint64_t acc = 0;
      for (const auto& r : reps) prefix.push_back(acc += x_reps(r.stabilizer).size());
      if (acc != b.orbits)
        throw std::logic_error("mixed space: orbit table disagrees with Burnside count");
    }
    const auto r = static_cast<std::size_t>(std::upper_bound(prefix.begin(), prefix.end(), orbit) -
                                            prefix.begin());
    const std::uint64_t before = r == 0 ? 0 : prefix[r - 1];
    m_mask = reps[r].mask;
    x_mask = x_reps(reps[r].stabilizer)[orbit - before];
  }

  MixedCandidate c;
  c.index = index;
  c.carrier = carrier_;
  c.Z = b.z;
  c.sites = n_sites_;
  const double N = n_sites_;
  const auto occupancy = [&](const Part& part) {
    if (part.k == 0) return std::vector<SiteOccupancy>{{part.first, 1.0}};
    return std::vector<SiteOccupancy>{{part.first, (N - part.k) / N}, {part.second, part.k / N}};
  };
  c.M = occupancy(mp);
  c.X = occupancy(xp);
  c.M_second = m_mask;
  c.X_second = x_mask;
  return c;
}

std::pair<std::uint64_t, std::uint64_t> MixedSpace::shard(int rank, int ranks) const {
  if (ranks < 1 || rank < 0 || rank >= ranks)
    throw InputError("mixed space: shard " + std::to_string(rank) + " of " + std::to_string(ranks) +
                     "; accepted: ranks >= 1 and 0 <= rank < ranks");
  const auto edge = [&](int r) {
    return static_cast<std::uint64_t>(u128{size_} * static_cast<unsigned>(r) /
                                      static_cast<unsigned>(ranks));
  };
  return {edge(rank), edge(rank + 1)};
}

}  // namespace ionscreen::structures
