// The streamed mixed-occupancy space: closed-form size against brute force, shards, large spaces.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "structures/error.hpp"
#include "structures/mixed_space.hpp"

namespace is = ionscreen::structures;

namespace {

/// M and X positions of the LiFeSO4F prototype (/work/shared/data/prototypes/LiFeSO4F_tavorite.cif)
/// in file order, X expanded by the inversion: independent of the library's own description.
struct Sublattices {
  std::vector<Eigen::Vector3d> M, X;
};

Sublattices supercell_sublattices(const std::array<int, 3>& sc) {
  is::Crystal c;
  c.lattice = is::lattice_from_parameters({5.18005, 5.49165, 7.22890, 106.49, 107.19, 97.91});
  c.sites.push_back({"Fe", Eigen::Vector3d(0, 0, 0.5), 2, "Fe1", 1.0, {}});
  c.sites.push_back({"Fe", Eigen::Vector3d(0, 0, 0), 2, "Fe2", 1.0, {}});
  const Eigen::Vector3d s(0.32440, 0.63810, 0.24950);
  c.sites.push_back({"S", s, 6, "S1", 1.0, {}});
  c.sites.push_back({"S", is::wrap(-s), 6, "S1", 1.0, {}});
  const is::Crystal big = is::supercell(c, sc[0], sc[1], sc[2]);
  Sublattices out;
  for (const auto& site : big.sites) (site.element == "Fe" ? out.M : out.X).push_back(site.frac);
  return out;
}

int find(const std::vector<Eigen::Vector3d>& pos, const Eigen::Vector3d& f) {
  for (std::size_t i = 0; i < pos.size(); ++i) {
    Eigen::Vector3d d = pos[i] - f;
    d -= d.array().round().matrix();
    if (d.norm() < 1e-6) return static_cast<int>(i);
  }
  FAIL("position not in sublattice");
  return -1;
}

/// The supercell's P-1 operations (translations, and translations after inversion) as site
/// permutations, built from the real coordinates.
std::vector<std::pair<std::vector<int>, std::vector<int>>> operations(
    const std::array<int, 3>& sc) {
  const Sublattices sub = supercell_sublattices(sc);
  std::vector<std::pair<std::vector<int>, std::vector<int>>> ops;
  for (int inv = 0; inv < 2; ++inv)
    for (int a = 0; a < sc[0]; ++a)
      for (int b = 0; b < sc[1]; ++b)
        for (int c = 0; c < sc[2]; ++c) {
          const Eigen::Vector3d t(double(a) / sc[0], double(b) / sc[1], double(c) / sc[2]);
          const auto map = [&](const std::vector<Eigen::Vector3d>& pos) {
            std::vector<int> p;
            for (const auto& f : pos) p.push_back(find(pos, (inv ? Eigen::Vector3d(-f) : f) + t));
            return p;
          };
          ops.emplace_back(map(sub.M), map(sub.X));
        }
  return ops;
}

using Config = std::pair<std::string, std::vector<std::string>>;  // Z, per-site species M then X

/// Canonical form: the smallest image of the configuration under the operations.
Config canonical(const Config& cfg, std::size_t n,
                 const std::vector<std::pair<std::vector<int>, std::vector<int>>>& ops) {
  Config best = cfg;
  for (const auto& [pm, px] : ops) {
    Config img = cfg;
    for (std::size_t i = 0; i < n; ++i) {
      img.second[static_cast<std::size_t>(pm[i])] = cfg.second[i];
      img.second[n + static_cast<std::size_t>(px[i])] = cfg.second[n + i];
    }
    best = std::min(best, img);
  }
  return best;
}

Config config_of(const is::MixedCandidate& c) {
  Config cfg{is::to_string(c.Z), {}};
  for (const auto& s : c.M_sites()) cfg.second.push_back(is::to_string(s));
  for (const auto& s : c.X_sites()) cfg.second.push_back(is::to_string(s));
  return cfg;
}

/// Brute force: every assignment of species to the 2N sites with at most two species per
/// sublattice (and one when that sublattice does not mix), balanced, reduced by the operations.
std::set<Config> brute_force(const is::SpaceSpec& spec, const is::MixedSpec& mixed) {
  const auto ops = operations(mixed.supercell);
  const std::size_t n = ops[0].first.size();
  std::set<Config> out;
  const auto assignments = [&](const std::vector<is::Species>& list, bool mix) {
    std::vector<std::vector<is::Species>> all;
    std::vector<std::size_t> digit(n, 0);
    while (true) {
      std::set<std::size_t> used(digit.begin(), digit.end());
      if (used.size() <= (mix ? 2u : 1u)) {
        std::vector<is::Species> a;
        for (auto d : digit) a.push_back(list[d]);
        all.push_back(a);
      }
      std::size_t i = 0;
      while (i < n && ++digit[i] == list.size()) digit[i++] = 0;
      if (i == n) break;
    }
    return all;
  };
  const auto ms = assignments(spec.M, mixed.mix_M), xs = assignments(spec.X, mixed.mix_X);
  for (const auto z : spec.Z)
    for (const auto& m : ms)
      for (const auto& x : xs) {
        int charge = 0;
        for (const auto& s : m) charge += s.oxidation;
        for (const auto& s : x) charge += s.oxidation;
        // N formula units: N * (1 + v_M + v_X) on average = N * (8 + |v_Z|)
        if (int(n) + charge != int(n) * (8 + (z == is::Bridge::O ? 2 : 1))) continue;
        Config cfg{is::to_string(z), {}};
        for (const auto& s : m) cfg.second.push_back(is::to_string(s));
        for (const auto& s : x) cfg.second.push_back(is::to_string(s));
        out.insert(canonical(cfg, n, ops));
      }
  return out;
}

const is::SpaceSpec kSmall{"Li",
                           {{"Fe", 2}, {"Mn", 2}, {"Fe", 3}, {"V", 4}},
                           {{"S", 6}, {"P", 5}},
                           {is::Bridge::F, is::Bridge::O},
                           {},
                           {}};

}  // namespace

TEST_CASE("mixed space: closed-form size equals brute force; at() gives each orbit once",
          "[unit][space]") {
  for (const std::array<int, 3> sc :
       {std::array<int, 3>{2, 1, 1}, std::array<int, 3>{1, 1, 2}, std::array<int, 3>{3, 1, 1}}) {
    for (const auto& [mix_m, mix_x] :
         {std::pair{true, false}, std::pair{false, true}, std::pair{true, true}}) {
      is::MixedSpec mixed;
      mixed.supercell = sc;
      mixed.mix_M = mix_m;
      mixed.mix_X = mix_x;
      const is::MixedSpace space(kSmall, mixed);
      const auto expected = brute_force(kSmall, mixed);
      INFO("supercell " << sc[0] << sc[1] << sc[2] << " mix M " << mix_m << " mix X " << mix_x);
      CHECK(space.size() == expected.size());
      const auto ops = operations(sc);
      std::set<Config> got;
      for (std::uint64_t i = 0; i < space.size(); ++i) {
        const auto c = space.at(i);
        // Charge balance on average, recomputed from the per-site species.
        int charge = 0;
        for (const auto& s : c.M_sites()) charge += s.oxidation;
        for (const auto& s : c.X_sites()) charge += s.oxidation;
        CHECK(c.sites + charge == c.sites * (8 + is::bridge_charge(c.Z)));
        double weight = 0;
        for (const auto& o : c.M) weight += o.fraction;
        CHECK(weight == Approx(1.0));
        CHECK(
            got.insert(canonical(config_of(c), std::size_t(c.sites), ops)).second);  // no duplicate
      }
      CHECK(got == expected);
    }
  }
}

TEST_CASE("mixed space: shards partition the index range and the set", "[unit][space]") {
  is::MixedSpec mixed;
  mixed.supercell = {2, 1, 1};
  mixed.mix_X = true;
  const is::MixedSpace space(kSmall, mixed);
  const auto ops = operations(mixed.supercell);
  const auto expected = brute_force(kSmall, mixed);
  for (const int ranks : {1, 3, 7, 64}) {
    std::set<Config> got;
    std::uint64_t next = 0, count = 0;
    for (int r = 0; r < ranks; ++r) {
      const auto [first, last] = space.shard(r, ranks);
      CHECK(first == next);
      next = last;
      for (auto i = first; i < last; ++i, ++count)
        CHECK(got.insert(canonical(config_of(space.at(i)), 4, ops)).second);
    }
    CHECK(next == space.size());
    CHECK(count == space.size());
    CHECK(got == expected);
  }
}

TEST_CASE("mixed space: x grid restricts the fractions", "[unit][space]") {
  is::MixedSpec mixed;
  mixed.supercell = {2, 2, 1};  // 8 M sites
  mixed.x = {0.25};             // symmetrised to {1/4, 3/4}
  const is::MixedSpace space(kSmall, mixed);
  std::set<double> fractions;
  for (std::uint64_t i = 0; i < space.size(); ++i)
    for (const auto& o : space.at(i).M)
      if (o.fraction < 1.0) fractions.insert(o.fraction);
  CHECK(fractions == std::set<double>{0.25, 0.75});
}

TEST_CASE("mixed space: a space of >= 1e9 candidates answers size() and at() at once",
          "[unit][space]") {
  const auto spec = is::load_space(
      std::filesystem::path(IONSCREEN_SOURCE_DIR) / "inputs/spaces/default.ini", "Li");
  is::MixedSpec mixed;
  mixed.supercell = {2, 2, 2};
  mixed.mix_M = mixed.mix_X = true;
  const auto t0 = std::chrono::steady_clock::now();
  const is::MixedSpace space(spec, mixed);
  const auto t1 = std::chrono::steady_clock::now();
  std::printf(
      "mixed space, default Li lists, 2x2x2 supercell, M and X mixed: %llu candidates "
      "(|G| = %d)\n",
      static_cast<unsigned long long>(space.size()), space.group_order());
  CHECK(space.size() >= 1000000000ull);
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::uint64_t> pick(0, space.size() - 1);
  for (int i = 0; i < 200; ++i) {
    const auto c = space.at(pick(rng));
    int charge = 0;
    for (const auto& s : c.M_sites()) charge += s.oxidation;
    for (const auto& s : c.X_sites()) charge += s.oxidation;
    CHECK(c.sites + charge == c.sites * (8 + is::bridge_charge(c.Z)));
    if (i == 0) std::printf("e.g. %s\n", c.formula().c_str());
  }
  CHECK(space.at(space.size() - 1).index == space.size() - 1);
  const auto t2 = std::chrono::steady_clock::now();
  const double build = std::chrono::duration<double>(t1 - t0).count();
  const double draw = std::chrono::duration<double>(t2 - t1).count();
  std::printf("size() in %.3f s, 200 random at() in %.3f s\n", build, draw);
  CHECK(build < 5.0);
  CHECK(draw < 5.0);
}

TEST_CASE("mixed space: bad input", "[unit][space]") {
  is::MixedSpec mixed;
  const is::SpaceSpec potassium{"K", kSmall.M, kSmall.X, kSmall.Z, {}, {}};
  CHECK_THROWS_WITH(is::MixedSpace(potassium, mixed), Catch::Contains("unknown carrier 'K'"));
  is::SpaceSpec spec = kSmall;
  spec.M = {{"Fe", 2}};
  spec.X = {{"P", 5}};
  CHECK_THROWS_WITH(is::MixedSpace(spec, mixed), Catch::Contains("no charge-balanced candidate"));
  mixed.supercell = {3, 3, 1};
  CHECK_THROWS_WITH(is::MixedSpace(kSmall, mixed), Catch::Contains("at most 16"));
  mixed.supercell = {2, 1, 1};
  mixed.x = {0.3};
  CHECK_THROWS_WITH(is::MixedSpace(kSmall, mixed), Catch::Contains("1/4, 2/4, 3/4"));
  mixed.x = {};
  const is::MixedSpace space(kSmall, mixed);
  CHECK_THROWS_AS(space.at(space.size()), is::InputError);
  CHECK_THROWS_AS(space.shard(2, 2), is::InputError);
  CHECK_THROWS_AS(space.shard(0, 0), is::InputError);
}
