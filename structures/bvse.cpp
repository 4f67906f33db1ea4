#include "structures/bvse.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <string_view>
#include <utility>

#include "structures/error.hpp"
#include "structures/io_text.hpp"
#include "structures/periodic_table.hpp"

namespace ionscreen::structures {
namespace {

constexpr double kCoulomb = 14.4;         // e^2 / (4 pi eps0), eV Å
constexpr double kScreening = 0.74;       // f in erfc(R / (f (rA + rB)))
constexpr double kMinDistance = 1e-6;     // Å; closer contacts are evaluated at this distance
constexpr double kBohr = 0.529177210903;  // Å

std::string pair_name(const std::string& cation, int cation_ox, const std::string& anion,
                      int anion_ox) {
  return ion_name(cation, cation_ox) + " - " + ion_name(anion, anion_ox);
}

std::string site_name(const Site& s, std::size_t index) {
  const std::string label = s.label.empty() ? s.element : s.label;
  return std::string("site ") + std::to_string(index) + " (" + label + ", " + s.element + ")";
}

int integer_field(std::string_view word, const std::string& where) {
  const auto v = io_text::parse_double(word);
  if (!v || std::abs(*v - std::round(*v)) > 1e-9)
    throw InputError(where + "expected an integer valence, got '" + std::string(word) + "'");
  return static_cast<int>(std::lround(*v));
}

double real_field(std::string_view word, const std::string& where) {
  const auto v = io_text::parse_double(word);
  if (!v || !std::isfinite(*v))
    throw InputError(where + "expected a number, got '" + std::string(word) + "'");
  return *v;
}

/// Framework images in structure-of-arrays form. Per image: position and the index of its
/// interaction parameters. Parameters: for an anion (kind 0) p = (D0/2, Rmin, alpha); for a
/// cation (kind 1) p = (14.4 qA qB, 1 / (0.74 (rA + rB)), unused).
struct Framework {
  std::vector<double> x, y, z;
  std::vector<int> param;
  std::vector<int> kind;
  std::vector<std::array<double, 3>> params;
};

}  // namespace

BvseTables BvseTables::load(const std::filesystem::path& bvse_dir, const ElementTable& elements) {
  BvseTables t;
  t.elements_ = elements;
  t.pairs_file_ = bvse_dir / "bvse_pairs.dat";
  const std::string source = t.pairs_file_.string();
  const std::string text = io_text::read_file(t.pairs_file_);
  const auto lines = io_text::lines_of(text);
  bool header_seen = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto words = io_text::words_of(lines[i]);
    if (words.empty() || words.front().front() == '#') continue;
    const std::string where = io_text::at(source, static_cast<int>(i) + 1);
    if (!header_seen) {
      header_seen = true;
      if (words.front() == "cation") continue;
    }
    if (words.size() != 10)
      throw InputError(where +
                       "expected 10 columns (cation, cation_valence, anion, "
                       "anion_valence, Nc, R0, Rcutoff, D0, Rmin, alpha), got " +
                       std::to_string(words.size()));
    const std::string cation(words[0]), anion(words[2]);
    const int cation_ox = integer_field(words[1], where);
    const int anion_ox = integer_field(words[3], where);
    const MorsePair m{real_field(words[7], where), real_field(words[8], where),
                      real_field(words[9], where)};
    if (!t.pairs_.emplace(Key{cation, cation_ox, anion, anion_ox}, m).second)
      throw InputError(where + "duplicate pair " + pair_name(cation, cation_ox, anion, anion_ox));
  }
  if (t.pairs_.empty()) throw InputError(source + ": no active bond-valence pairs");
  return t;
}

bool BvseTables::has_morse(const std::string& cation, int cation_ox, const std::string& anion,
                           int anion_ox) const {
  return pairs_.count(Key{cation, cation_ox, anion, anion_ox}) > 0;
}

const MorsePair& BvseTables::morse(const std::string& cation, int cation_ox,
                                   const std::string& anion, int anion_ox) const {
  const auto it = pairs_.find(Key{cation, cation_ox, anion, anion_ox});
  if (it == pairs_.end())
    throw InputError(std::string("Missing bond-valence pair for a requested ion: ") +
                     pair_name(cation, cation_ox, anion, anion_ox) + " is not among the active " +
                     "rows of " + pairs_file_.string());
  return it->second;
}

/// Grid points of one BVSE grid, at most: 160 MB of energies.
constexpr double kMaxGridPoints = 2e7;
/// Periodic images of the cell searched for neighbours, at most.
constexpr double kMaxImageCells = 1e5;

BvseResult bvse_barriers(const Crystal& crystal, const std::string& carrier, int carrier_oxidation,
                         const BvseTables& tables, const BvseOptions& options) {
  if (!(options.grid_spacing > 0.0) || !(options.cutoff > 0.0) || options.max_neighbours < 1)
    throw InputError("bvse: grid_spacing and cutoff must be positive and max_neighbours >= 1");
  if (carrier_oxidation == 0)
    throw InputError(std::string("bvse: the carrier ") + carrier + " needs a non-zero oxidation");
  const ElementTable& elements = tables.elements();
  const ElementData& a = elements.element(carrier);
  const double qa = carrier_oxidation / std::sqrt(static_cast<double>(a.period));

  // 1. Framework sites and their parameters.
  Framework fw;
  std::vector<Eigen::Vector3d> site_frac;
  std::vector<int> site_param;
  std::map<std::pair<std::string, int>, int> param_of;
  for (std::size_t s = 0; s < crystal.sites.size(); ++s) {
    const Site& site = crystal.sites[s];
    if (site.oxidation == 0)
      throw InputError(std::string("bvse: ") + site_name(site, s) + " of " + crystal.name +
                       " has no oxidation state; BVSE needs one on every site");
    if (std::abs(site.occupancy - 1.0) > 1e-9)
      throw InputError(std::string("bvse: ") + site_name(site, s) + " of " + crystal.name +
                       " is partially occupied; BVSE needs an ordered structure");
    if (site.element == carrier) continue;
    const auto key = std::make_pair(site.element, site.oxidation);
    auto it = param_of.find(key);
    if (it == param_of.end()) {
      std::array<double, 3> p{};
      int kind = 0;
      if (site.oxidation < 0) {
        const MorsePair& m = tables.morse(carrier, carrier_oxidation, site.element, site.oxidation);
        p = {0.5 * m.d0, m.rmin, m.alpha};
      } else {
        const ElementData& b = elements.element(site.element);
        const double qb = site.oxidation / std::sqrt(static_cast<double>(b.period));
        p = {kCoulomb * qa * qb, 1.0 / (kScreening * (a.covalent_radius + b.covalent_radius)), 0.0};
        kind = 1;
      }
      it = param_of.emplace(key, static_cast<int>(fw.params.size())).first;
      fw.params.push_back(p);
      fw.kind.push_back(kind);
    }
    site_frac.push_back(wrap(site.frac));
    site_param.push_back(it->second);
  }

  // 2. The grid: n_i points per axis at linspace(0, 1, n_i); n_i - 1 distinct ones. Sized before
  // anything is allocated, so that a cell typo is refused rather than computed for hours.
  const Eigen::Matrix3d& lattice = crystal.lattice;
  BvseResult result;
  double points = 1.0;
  for (int i = 0; i < 3; ++i) {
    const double n = std::floor(lattice.row(i).norm() / options.grid_spacing);
    if (!(n >= 2))
      throw InputError(std::string("bvse: grid spacing ") + std::to_string(options.grid_spacing) +
                       " Å gives fewer than 2 points along a lattice vector of " + crystal.name);
    points *= n;
    if (!(points <= kMaxGridPoints))
      throw InputError("bvse: the cell of " + crystal.name + " at grid spacing " +
                       std::to_string(options.grid_spacing) + " Å needs more than " +
                       std::to_string(static_cast<long long>(kMaxGridPoints)) +
                       " grid points; accepted: a coarser grid or a smaller cell");
    result.grid(i) = static_cast<int>(n);
  }

  // 3. Every framework image that can lie within the cut-off of a point of the cell.
  const Eigen::Vector3d widths = perpendicular_widths(lattice);
  const Eigen::Vector3d centre = lattice.transpose() * Eigen::Vector3d::Constant(0.5);
  double half_diagonal = 0.0;
  for (int c = 0; c < 8; ++c) {
    const Eigen::Vector3d corner((c & 1) ? 1.0 : 0.0, (c & 2) ? 1.0 : 0.0, (c & 4) ? 1.0 : 0.0);
    half_diagonal = std::max(half_diagonal, (lattice.transpose() * corner - centre).norm());
  }
  const double reach = options.cutoff + half_diagonal;
  Eigen::Vector3i range;
  double image_cells = 1.0;
  for (int i = 0; i < 3; ++i) {
    const double r = std::ceil(reach / widths(i)) + 1;
    image_cells *= 2 * r + 1;
    if (!(image_cells <= kMaxImageCells))
      throw InputError("bvse: the cell of " + crystal.name +
                       " is too thin for its size: the cut-off sphere spans more than " +
                       std::to_string(static_cast<long long>(kMaxImageCells)) +
                       " periodic images; accepted: a cell closer to its reduced form");
    range(i) = static_cast<int>(r);
  }
  for (std::size_t s = 0; s < site_frac.size(); ++s)
    for (int i = -range(0); i <= range(0); ++i)
      for (int j = -range(1); j <= range(1); ++j)
        for (int k = -range(2); k <= range(2); ++k) {
          const Eigen::Vector3d r = lattice.transpose() * (site_frac[s] + Eigen::Vector3d(i, j, k));
          if ((r - centre).norm() > reach) continue;
          fw.x.push_back(r(0));
          fw.y.push_back(r(1));
          fw.z.push_back(r(2));
          fw.param.push_back(site_param[s]);
        }

  const int n0 = result.grid(0), n1 = result.grid(1), n2 = result.grid(2);
  const int m0 = n0 - 1, m1 = n1 - 1, m2 = n2 - 1;
  const std::size_t distinct = static_cast<std::size_t>(m0) * m1 * m2;
  std::vector<double> unique_energy(distinct);
  const std::size_t images = fw.x.size();
  const double cut2 = options.cutoff * options.cutoff;
  const auto keep = static_cast<std::size_t>(options.max_neighbours);
  const double* px = fw.x.data();
  const double* py = fw.y.data();
  const double* pz = fw.z.data();

#pragma omp parallel
  {
    std::vector<double> d2(images);
    std::vector<std::pair<double, int>> near;
    near.reserve(images);
#pragma omp for schedule(static)
    for (std::ptrdiff_t p = 0; p < static_cast<std::ptrdiff_t>(distinct); ++p) {
      const auto up = static_cast<std::size_t>(p);
      const auto i = static_cast<int>(up % static_cast<std::size_t>(m0));
      const auto j =
          static_cast<int>(up / static_cast<std::size_t>(m0) % static_cast<std::size_t>(m1));
      const auto k = static_cast<int>(up / (static_cast<std::size_t>(m0) * m1));
      const Eigen::Vector3d f(static_cast<double>(i) / m0, static_cast<double>(j) / m1,
                              static_cast<double>(k) / m2);
      const Eigen::Vector3d r = lattice.transpose() * f;
      const double rx = r(0), ry = r(1), rz = r(2);
      double* dd = d2.data();
#pragma omp simd
      for (std::size_t q = 0; q < images; ++q) {
        const double dx = px[q] - rx, dy = py[q] - ry, dz = pz[q] - rz;
        dd[q] = dx * dx + dy * dy + dz * dz;
      }
      near.clear();
      for (std::size_t q = 0; q < images; ++q)
        if (dd[q] < cut2) near.emplace_back(dd[q], static_cast<int>(q));
      if (near.size() > keep) {
        std::nth_element(near.begin(), near.begin() + static_cast<std::ptrdiff_t>(keep) - 1,
                         near.end());
        near.resize(keep);
      }
      double e = 0.0;
      for (const auto& [dist2, q] : near) {
        const int t = fw.param[static_cast<std::size_t>(q)];
        const auto& prm = fw.params[static_cast<std::size_t>(t)];
        const double rr = std::max(std::sqrt(dist2), kMinDistance);
        if (fw.kind[static_cast<std::size_t>(t)] == 0) {
          const double x = std::exp(prm[2] * (prm[1] - rr)) - 1.0;
          e += prm[0] * (x * x - 1.0);
        } else {
          e += prm[0] / rr * std::erfc(rr * prm[1]);
        }
      }
      unique_energy[up] = e;
    }
  }

  // 4. Relative to the minimum, with the repeated end planes.
  const double lowest = *std::min_element(unique_energy.begin(), unique_energy.end());
  std::vector<float> grid(static_cast<std::size_t>(n0) * n1 * n2);
  for (int k = 0; k < n2; ++k)
    for (int j = 0; j < n1; ++j)
      for (int i = 0; i < n0; ++i) {
        const std::size_t u =
            static_cast<std::size_t>(i % m0) +
            static_cast<std::size_t>(m0) *
                (static_cast<std::size_t>(j % m1) + static_cast<std::size_t>(m1) * (k % m2));
        grid[static_cast<std::size_t>(i) +
             static_cast<std::size_t>(n0) *
                 (static_cast<std::size_t>(j) + static_cast<std::size_t>(n1) * k)] =
            static_cast<float>(unique_energy[u] - lowest);
      }
  const PercolationBarriers b = percolation_barriers(grid, result.grid);
  result.e1d = b.e1d;
  result.e2d = b.e2d;
  result.e3d = b.e3d;
  if (options.keep_grid) result.energy = std::move(grid);
  return result;
}

std::string write_cube(const Crystal& crystal, const BvseResult& result) {
  const Eigen::Vector3i& n = result.grid;
  const std::size_t size = static_cast<std::size_t>(n(0)) * static_cast<std::size_t>(n(1)) *
                           static_cast<std::size_t>(n(2));
  if (n.minCoeff() < 2 || result.energy.size() != size)
    throw InputError(std::string("write_cube: the BVSE result of ") + crystal.name +
                     " holds no energy grid (run bvse_barriers with keep_grid = true)");
  std::ostringstream out;
  char line[160];
  out << "BVSE energy (eV, relative to the minimum) of " << crystal.name << "\n";
  out << "grid points at fractions i/(n-1), end planes dropped; lengths in Bohr\n";
  std::snprintf(line, sizeof line, "%5zu %12.6f %12.6f %12.6f\n", crystal.sites.size(), 0.0, 0.0,
                0.0);
  out << line;
  for (int i = 0; i < 3; ++i) {
    const Eigen::Vector3d v = crystal.lattice.row(i).transpose() / (n(i) - 1) / kBohr;
    std::snprintf(line, sizeof line, "%5d %12.6f %12.6f %12.6f\n", n(i) - 1, v(0), v(1), v(2));
    out << line;
  }
  for (const Site& s : crystal.sites) {
    const Eigen::Vector3d r = crystal.cartesian(wrap(s.frac)) / kBohr;
    const int z = atomic_number(s.element);
    std::snprintf(line, sizeof line, "%5d %12.6f %12.6f %12.6f %12.6f\n", z, static_cast<double>(z),
                  r(0), r(1), r(2));
    out << line;
  }
  for (int i = 0; i < n(0) - 1; ++i)
    for (int j = 0; j < n(1) - 1; ++j) {
      int column = 0;
      for (int k = 0; k < n(2) - 1; ++k) {
        const float v =
            result.energy[static_cast<std::size_t>(i) +
                          static_cast<std::size_t>(n(0)) *
                              (static_cast<std::size_t>(j) + static_cast<std::size_t>(n(1)) * k)];
        std::snprintf(line, sizeof line, " %12.5e", static_cast<double>(v));
        out << line;
        if (++column == 6 || k == n(2) - 2) {
          out << "\n";
          column = 0;
        }
      }
    }
  return out.str();
}

}  // namespace ionscreen::structures
