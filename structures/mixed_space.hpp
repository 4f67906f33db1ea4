#pragma once
/// Extended tavorite spaces: mixed occupancy M'(1-x) M''(x) and/or X'(1-y) X''(y) in a supercell of
/// the P-1 cell, charge balanced on average, orderings counted up to the supercell's symmetry, and
/// streamed: size() is a closed formula, at(i) builds candidate i on demand, shard() splits the
/// index range, so 1e6..1e9 virtual candidates never sit in memory.
///
/// Symmetry reduced by: the group G of the n = na*nb*nc lattice translations of the supercell and
/// their compositions with the inversion through the origin (|G| = 2n; this is the full space group
/// P-1 of the supercell, i.e. every operation of the parent P-1 cell that maps the supercell onto
/// itself). Two orderings are the same candidate when an element of G maps one onto the other; with
/// both M and X mixed, G acts on the pair simultaneously. Orderings related only by the loss of a
/// translation, or by accidental (non-P-1) symmetry of a particular chemistry, are not merged.
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "structures/tavorite.hpp"

namespace ionscreen::structures {

/// How the base space is extended.
struct MixedSpec {
  /// Multipliers of the P-1 cell (na, nb, nc). Each sublattice (M, X) has N = 2*na*nb*nc sites in
  /// the supercell; accepted: N <= 16 (na*nb*nc <= 8).
  std::array<int, 3> supercell{2, 1, 1};
  bool mix_M = true;   ///< allow two species on the M sublattice
  bool mix_X = false;  ///< allow two species on the X sublattice
  /// Allowed fractions x of the second species of a mixed sublattice; each must be k/N with
  /// 0 < k < N. Empty (the default) = every k/N. The set is symmetrised under x -> 1 - x because a
  /// pair of species is unordered.
  std::vector<double> x;
};

/// A species and its fraction on a sublattice (occupancy-weighted descriptors use these).
struct SiteOccupancy {
  Species species;
  double fraction = 1.0;
};

/// One virtual candidate: what descriptors need, plus the ordering to build it later.
struct MixedCandidate {
  std::uint64_t index = 0;
  std::string carrier;
  Bridge Z = Bridge::F;
  /// One entry (fraction 1) for a pure sublattice, two (first species, second species) for a mix.
  std::vector<SiteOccupancy> M, X;
  /// Bit i set: sublattice site i of the supercell carries the second species (M[1] / X[1]).
  /// Sublattice site order is that of supercell() applied to the prototype with coordinates in
  /// [0, 1): prototype site s (M: Fe1 at (0,0,1/2), Fe2 at the origin; X: S at p, then S at its
  /// inversion image 1 - p) then image (i,j,k), index s*n + (i*nb + j)*nc + k.
  std::uint32_t M_second = 0, X_second = 0;
  int sites = 0;  ///< N, sites per sublattice in the supercell
  /// Per formula unit, fractions as decimals: "LiFe0.75Mn0.25PO4F".
  std::string formula() const;
  /// Species of every sublattice site of the supercell, in the order described above.
  std::vector<Species> M_sites() const;
  std::vector<Species> X_sites() const;
};

class MixedSpace {
 public:
  /// Throws InputError for an unknown carrier, empty lists, a bad supercell or x grid, or a space
  /// with no charge-balanced candidate.
  MixedSpace(const SpaceSpec& space, const MixedSpec& mixed);
  ~MixedSpace();
  MixedSpace(const MixedSpace&) = delete;
  MixedSpace& operator=(const MixedSpace&) = delete;

  /// Number of candidates, from Burnside's lemma per block (no enumeration of orderings).
  std::uint64_t size() const { return size_; }
  /// Candidate `index` (0 <= index < size()), built lazily. Throws InputError when out of range.
  MixedCandidate at(std::uint64_t index) const;
  /// The half-open index range [first, second) of rank `rank` of `ranks`; the ranges of all ranks
  /// partition [0, size()) and differ in length by at most one.
  std::pair<std::uint64_t, std::uint64_t> shard(int rank, int ranks) const;
  /// Sites per sublattice in the supercell, and |G|.
  int sites() const { return n_sites_; }
  int group_order() const { return static_cast<int>(perm_M_.size()); }
  /// Number of orbits of (M ordering with k second-species sites, X ordering with j) under G.
  std::uint64_t orbits(int k, int j) const;

 private:
  struct Part {
    Species first, second;  // second unused when k == 0
    int k = 0;
  };
  struct Block {
    std::uint64_t start = 0;
    Bridge z = Bridge::F;
    const std::vector<Part>* m = nullptr;
    const std::vector<Part>* x = nullptr;
    int k = 0, j = 0;
    std::uint64_t orbits = 0;
  };
  struct Cache;

  std::string carrier_;
  int n_sites_ = 0;
  std::vector<std::vector<int>> perm_M_, perm_X_;  // per group element: site -> image
  std::map<std::pair<int, int>, std::vector<Part>> m_parts_, x_parts_;  // (charge, k) -> parts
  std::vector<Block> blocks_;
  std::uint64_t size_ = 0;
  std::unique_ptr<Cache> cache_;
};

}  // namespace ionscreen::structures
