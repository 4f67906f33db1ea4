// The one file that includes spglib.h. Conventions at the boundary:
//  - spglib's lattice[3][3] holds the lattice vectors as COLUMNS (lattice[i][j] = component i of
//    vector j); Crystal::lattice holds them as ROWS. to_spglib()/from_spglib() convert.
//  - Positions are fractional in both; an operation {R|t} acts as x' = R x + t on fractional
//    coordinates (column vectors).
//  - Datasets are owned by DatasetPtr, which calls spg_free_dataset.
//  - Failures are read with spg_get_error_code/spg_get_error_message under the same lock as the
//    call that failed (spglib stores the code in a global).
#include "structures/symmetry.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <numbers>
#include <sstream>
#include <utility>

#include "structures/error.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#include <spglib.h>
#pragma GCC diagnostic pop

namespace ionscreen::structures {
namespace {

std::mutex& spglib_mutex() {
  static std::mutex m;
  return m;
}

struct DatasetDeleter {
  void operator()(SpglibDataset* d) const { spg_free_dataset(d); }
};
using DatasetPtr = std::unique_ptr<SpglibDataset, DatasetDeleter>;

using Species = std::pair<std::string, int>;  // element, oxidation state

std::string describe(const Crystal& c) {
  std::string s = c.formula();
  if (s.empty()) s = "(no sites)";
  if (!c.name.empty()) s += " (" + c.name + ")";
  return s;
}

// Message of the error spglib recorded for the last call; the caller holds spglib_mutex().
std::string spglib_message() {
  const SpglibError code = spg_get_error_code();
  const char* msg = spg_get_error_message(code);
  std::ostringstream os;
  os << "spglib: " << (msg ? msg : "unknown error") << " (code " << static_cast<int>(code) << ")";
  return os.str();
}

[[noreturn]] void spglib_failed(const Crystal& c, const std::string& what) {
  throw StructureError(what + " of " + describe(c) + " failed: " + spglib_message());
}

/// Checks spglib cannot be trusted to report clearly: empty cell, a bad tolerance, a degenerate
/// lattice, overlapping sites.
void check_cell(const Crystal& c, double symprec) {
  if (!(symprec > 0.0) || !std::isfinite(symprec)) {
    std::ostringstream os;
    os << "symmetry of " << describe(c) << ": symprec must be a positive length in Å, got "
       << symprec;
    throw StructureError(os.str());
  }
  if (c.sites.empty())
    throw StructureError("symmetry of " + describe(c) + ": the cell has no sites");
  if (!c.lattice.allFinite()) {
    throw StructureError("symmetry of " + describe(c) +
                         ": degenerate lattice (non-finite entries)");
  }
  const double lengths =
      c.lattice.row(0).norm() * c.lattice.row(1).norm() * c.lattice.row(2).norm();
  // volume / (a b c) is the sine-like measure of how flat the cell is: 1 for an orthogonal cell.
  if (!(lengths > 0.0) || !(c.volume() / lengths > 1e-6)) {
    std::ostringstream os;
    os << "symmetry of " << describe(c) << ": degenerate lattice (volume " << c.volume()
       << " Å^3 for lattice vector lengths " << c.lattice.row(0).norm() << ", "
       << c.lattice.row(1).norm() << ", " << c.lattice.row(2).norm() << " Å)";
    throw StructureError(os.str());
  }
  // A lattice vector shorter than symprec puts every site on top of its own periodic image
  // (spglib does not report this; it answers with a spurious group).
  double shortest = std::numeric_limits<double>::infinity();
  for (int i = -1; i <= 1; ++i)
    for (int j = -1; j <= 1; ++j)
      for (int k = -1; k <= 1; ++k)
        if (i != 0 || j != 0 || k != 0)
          shortest = std::min(shortest, c.cartesian(Eigen::Vector3d(i, j, k)).norm());
  if (shortest < symprec) {
    std::ostringstream os;
    os << "symmetry of " << describe(c) << ": overlapping atoms: a lattice vector is " << shortest
       << " Å long, shorter than symprec " << symprec
       << " Å, so every site overlaps its own periodic image";
    throw StructureError(os.str());
  }
  for (std::size_t i = 0; i < c.sites.size(); ++i) {
    if (!c.sites[i].frac.allFinite()) {
      throw StructureError("symmetry of " + describe(c) + ": site " + std::to_string(i) +
                           " has non-finite coordinates");
    }
  }
  for (std::size_t i = 0; i < c.sites.size(); ++i)
    for (std::size_t j = i + 1; j < c.sites.size(); ++j) {
      const double d = c.distance(c.sites[i].frac, c.sites[j].frac);
      if (d < symprec) {
        std::ostringstream os;
        os << "symmetry of " << describe(c) << ": overlapping atoms: sites " << i << " ("
           << (c.sites[i].label.empty() ? c.sites[i].element : c.sites[i].label) << ") and " << j
           << " (" << (c.sites[j].label.empty() ? c.sites[j].element : c.sites[j].label) << ") are "
           << d << " Å apart, closer than symprec " << symprec << " Å";
        throw StructureError(os.str());
      }
    }
}

/// A crystal in spglib's layout, with room for `capacity` atoms (spg_standardize_cell may return
/// up to 4 times the input for a conventional cell).
struct SpgCell {
  double lattice[3][3];
  std::unique_ptr<double[][3]> positions;
  std::vector<int> types;  // 1-based index into species
  std::vector<Species> species;
  std::vector<std::size_t> representative;  // per species: first input site of that species
  int n = 0;
};

SpgCell to_spglib(const Crystal& c, std::size_t capacity_factor = 1) {
  SpgCell cell;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) cell.lattice[i][j] = c.lattice(j, i);  // columns <- rows
  const std::size_t capacity = c.sites.size() * capacity_factor;
  cell.positions = std::make_unique<double[][3]>(capacity);
  cell.types.assign(capacity, 0);
  std::map<Species, int> index;
  for (std::size_t s = 0; s < c.sites.size(); ++s) {
    const Species key{c.sites[s].element, c.sites[s].oxidation};
    auto [it, inserted] = index.emplace(key, static_cast<int>(cell.species.size()) + 1);
    if (inserted) {
      cell.species.push_back(key);
      cell.representative.push_back(s);
    }
    cell.types[s] = it->second;
    for (int k = 0; k < 3; ++k) cell.positions[s][k] = c.sites[s].frac[k];
  }
  cell.n = static_cast<int>(c.sites.size());
  return cell;
}

Eigen::Matrix3d rows_from_spglib(const double lattice[3][3]) {
  Eigen::Matrix3d rows;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) rows(j, i) = lattice[i][j];
  return rows;
}

/// spg_get_dataset with the checks and the error handling; the caller must not hold the lock.
DatasetPtr get_dataset(const Crystal& c, double symprec) {
  check_cell(c, symprec);
  SpgCell cell = to_spglib(c);
  std::lock_guard<std::mutex> lock(spglib_mutex());
  DatasetPtr ds(
      spg_get_dataset(cell.lattice, cell.positions.get(), cell.types.data(), cell.n, symprec));
  if (!ds || ds->spacegroup_number <= 0) spglib_failed(c, "symmetry search");
  return ds;
}

Eigen::Matrix3d rotation(const SpglibDataset& ds, int k) {
  Eigen::Matrix3d R;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) R(i, j) = ds.rotations[k][i][j];
  return R;
}

Eigen::Vector3d translation(const SpglibDataset& ds, int k) {
  return {ds.translations[k][0], ds.translations[k][1], ds.translations[k][2]};
}

double degrees(double radians) { return radians * 180.0 / std::numbers::pi; }

double angle(const Eigen::Vector3d& u, const Eigen::Vector3d& v) {
  return degrees(std::acos(std::clamp(u.dot(v) / (u.norm() * v.norm()), -1.0, 1.0)));
}

/// Lattice rows reduced with spg_niggli_reduce; sites re-expressed in the new basis and wrapped.
Crystal niggli_reduced(const Crystal& c) {
  double lattice[3][3];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) lattice[i][j] = c.lattice(j, i);
  {
    std::lock_guard<std::mutex> lock(spglib_mutex());
    if (spg_niggli_reduce(lattice, 1e-5) == 0) spglib_failed(c, "Niggli reduction");
  }
  Crystal r = c;
  r.lattice = rows_from_spglib(lattice);
  for (auto& s : r.sites) s.frac = wrap(r.fractional(c.cartesian(s.frac)));
  return r;
}

std::map<Species, int> species_counts(const Crystal& c) {
  std::map<Species, int> n;
  for (const auto& s : c.sites) ++n[{s.element, s.oxidation}];
  return n;
}

/// Can the sites of `a`, in fractional coordinates `fa` of b's basis, be put one-to-one onto the
/// same-species sites of `b` by one shift, each within `tol` Å?
bool match_with_origin_shift(const Crystal& a, const std::vector<Eigen::Vector3d>& fa,
                             const Crystal& b, double tol) {
  // Anchor: a site of the rarest species of a.
  const auto counts = species_counts(a);
  std::size_t anchor = 0;
  int fewest = std::numeric_limits<int>::max();
  for (std::size_t i = 0; i < a.sites.size(); ++i) {
    const int n = counts.at({a.sites[i].element, a.sites[i].oxidation});
    if (n < fewest) {
      fewest = n;
      anchor = i;
    }
  }
  const auto same = [](const Site& x, const Site& y) {
    return x.element == y.element && x.oxidation == y.oxidation;
  };
  std::vector<char> used(b.sites.size());
  for (std::size_t t = 0; t < b.sites.size(); ++t) {
    if (!same(a.sites[anchor], b.sites[t])) continue;
    const Eigen::Vector3d shift = b.sites[t].frac - fa[anchor];
    std::fill(used.begin(), used.end(), 0);
    bool ok = true;
    for (std::size_t i = 0; i < a.sites.size() && ok; ++i) {
      const Eigen::Vector3d p = fa[i] + shift;
      std::size_t best = b.sites.size();
      double best_d = std::numeric_limits<double>::infinity();
      for (std::size_t j = 0; j < b.sites.size(); ++j) {
        if (used[j] || !same(a.sites[i], b.sites[j])) continue;
        const double d = b.distance(p, b.sites[j].frac);
        if (d < best_d) {
          best_d = d;
          best = j;
        }
      }
      if (best == b.sites.size() || best_d > tol) {
        ok = false;
      } else {
        used[best] = 1;
      }
    }
    if (ok) return true;
  }
  return false;
}

}  // namespace

SymmetryInfo analyze(const Crystal& crystal, double symprec) {
  const DatasetPtr ds = get_dataset(crystal, symprec);
  SymmetryInfo info;
  info.number = ds->spacegroup_number;
  info.international = ds->international_symbol;
  info.hall = ds->hall_symbol;
  info.operations = ds->n_operations;
  info.equivalent_atoms.assign(ds->equivalent_atoms, ds->equivalent_atoms + ds->n_atoms);
  return info;
}

Crystal symmetrize(const Crystal& crystal, double symprec) {
  const DatasetPtr ds = get_dataset(crystal, symprec);
  const int nops = ds->n_operations;
  const std::size_t n = crystal.sites.size();
  if (nops <= 0) spglib_failed(crystal, "symmetrisation");

  // Metric G = L L^T (|x|^2 = x^T G x for fractional x), averaged over the point operations.
  const Eigen::Matrix3d G = crystal.lattice * crystal.lattice.transpose();
  Eigen::Matrix3d G_sym = Eigen::Matrix3d::Zero();
  std::vector<Eigen::Vector3d> shift(n, Eigen::Vector3d::Zero());
  std::vector<char> hit(n);
  for (int k = 0; k < nops; ++k) {
    const Eigen::Matrix3d R = rotation(*ds, k);
    const Eigen::Matrix3d R_inv = R.inverse();  // integer, unimodular
    const Eigen::Vector3d t = translation(*ds, k);
    G_sym += R.transpose() * G * R;
    std::fill(hit.begin(), hit.end(), 0);
    for (std::size_t i = 0; i < n; ++i) {
      const Site& si = crystal.sites[i];
      const Eigen::Vector3d image = R * si.frac + t;
      std::size_t best = n;
      double best_d = std::numeric_limits<double>::infinity();
      for (std::size_t j = 0; j < n; ++j) {
        const Site& sj = crystal.sites[j];
        if (sj.element != si.element || sj.oxidation != si.oxidation) continue;
        const double d = crystal.distance(image, sj.frac);
        if (d < best_d) {
          best_d = d;
          best = j;
        }
      }
      if (best == n || hit[best]) {
        std::ostringstream os;
        os << "symmetrisation of " << describe(crystal) << " failed: operation " << k
           << " found by spglib at symprec " << symprec << " Å does not permute the sites";
        throw StructureError(os.str());
      }
      hit[best] = 1;
      Eigen::Vector3d d = R_inv * (crystal.sites[best].frac - t) - si.frac;
      d -= d.array().round().matrix();
      shift[i] += d;
    }
  }
  G_sym /= nops;

  // New lattice: keep the rotation of the polar decomposition A = U G^(1/2) (A = L^T, columns),
  // replace the stretch by G_sym^(1/2).
  const Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig(G);
  const Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig_sym(G_sym);
  const Eigen::Matrix3d U = crystal.lattice.transpose() * eig.operatorInverseSqrt();
  const Eigen::Matrix3d A_new = U * eig_sym.operatorSqrt();

  Crystal out = crystal;
  out.lattice = A_new.transpose();
  for (std::size_t i = 0; i < n; ++i) out.sites[i].frac = crystal.sites[i].frac + shift[i] / nops;
  return out;
}

Crystal standardize(const Crystal& crystal, double symprec, bool primitive) {
  const DatasetPtr ds = get_dataset(crystal, symprec);
  SpgCell cell = to_spglib(crystal, 4);
  int n_out = 0;
  {
    std::lock_guard<std::mutex> lock(spglib_mutex());
    n_out = spg_standardize_cell(cell.lattice, cell.positions.get(), cell.types.data(), cell.n,
                                 primitive ? 1 : 0, 0, symprec);
    if (n_out <= 0)
      spglib_failed(crystal, primitive ? "primitive standardisation" : "standardisation");
  }

  // The dataset's standardised conventional cell, in the same orientation, says which input site
  // each standardised atom comes from (std_mapping_to_primitive / mapping_to_primitive).
  Crystal std_cell;
  std_cell.lattice = rows_from_spglib(ds->std_lattice);
  std::vector<Eigen::Vector3d> std_pos(static_cast<std::size_t>(ds->n_std_atoms));
  for (int s = 0; s < ds->n_std_atoms; ++s)
    std_pos[static_cast<std::size_t>(s)] = {ds->std_positions[s][0], ds->std_positions[s][1],
                                            ds->std_positions[s][2]};

  Crystal out;
  out.name = crystal.name;
  out.lattice = rows_from_spglib(cell.lattice);
  out.sites.reserve(static_cast<std::size_t>(n_out));
  for (int a = 0; a < n_out; ++a) {
    const Eigen::Vector3d frac(cell.positions[a][0], cell.positions[a][1], cell.positions[a][2]);
    const int type = cell.types[static_cast<std::size_t>(a)];
    const auto species_index = static_cast<std::size_t>(type - 1);
    std::size_t source = cell.representative[species_index];
    // Match to the standardised conventional cell by position (same Cartesian frame).
    const Eigen::Vector3d in_std = std_cell.fractional(out.cartesian(frac));
    double best_d = std::numeric_limits<double>::infinity();
    int best = -1;
    for (int s = 0; s < ds->n_std_atoms; ++s) {
      if (ds->std_types[s] != type) continue;
      const double d = std_cell.distance(in_std, std_pos[static_cast<std::size_t>(s)]);
      if (d < best_d) {
        best_d = d;
        best = s;
      }
    }
    if (best >= 0 && best_d < symprec) {
      const int p = ds->std_mapping_to_primitive[best];
      for (int i = 0; i < ds->n_atoms; ++i)
        if (ds->mapping_to_primitive[i] == p) {
          source = static_cast<std::size_t>(i);
          break;
        }
    }
    const Site& from = crystal.sites[source];
    Site site;
    site.element = from.element;
    site.oxidation = from.oxidation;
    site.label = from.label;
    site.occupancy = from.occupancy;
    site.frac = frac;
    out.sites.push_back(std::move(site));
  }
  return out;
}

bool equivalent(const Crystal& a, const Crystal& b, double symprec, double length_tol) {
  // Cheap rejection: the same species in the same proportions.
  const auto ca = species_counts(a), cb = species_counts(b);
  if (ca.size() != cb.size()) return false;
  for (const auto& [species, count] : ca) {
    const auto it = cb.find(species);
    if (it == cb.end()) return false;
    if (static_cast<long>(count) * static_cast<long>(b.sites.size()) !=
        static_cast<long>(it->second) * static_cast<long>(a.sites.size()))
      return false;
  }

  if (analyze(a, symprec).number != analyze(b, symprec).number) return false;
  const Crystal pa = niggli_reduced(standardize(a, symprec, true));
  const Crystal pb = niggli_reduced(standardize(b, symprec, true));
  if (pa.sites.size() != pb.sites.size() || species_counts(pa) != species_counts(pb)) return false;

  // Reduced cell parameters: lengths, and angles folded to [0, 90] (a lattice on the boundary
  // between all-acute and all-obtuse reduced forms may come out in either).
  constexpr double angle_tol = 0.5;  // degrees
  const auto fold = [](double deg) { return std::min(deg, 180.0 - deg); };
  const CellParameters qa = pa.parameters(), qb = pb.parameters();
  if (std::abs(qa.a - qb.a) > length_tol || std::abs(qa.b - qb.b) > length_tol ||
      std::abs(qa.c - qb.c) > length_tol || std::abs(fold(qa.alpha) - fold(qb.alpha)) > angle_tol ||
      std::abs(fold(qa.beta) - fold(qb.beta)) > angle_tol ||
      std::abs(fold(qa.gamma) - fold(qb.gamma)) > angle_tol)
    return false;

  // Every basis change M (rows of b's lattice ~ M times rows of a's, up to a rotation) with
  // entries in {-1, 0, 1}; the sites of a in b's basis are then M^-T x.
  const Eigen::Vector3d len_b(pb.lattice.row(0).norm(), pb.lattice.row(1).norm(),
                              pb.lattice.row(2).norm());
  const double ang_b[3] = {angle(pb.lattice.row(1), pb.lattice.row(2)),
                           angle(pb.lattice.row(0), pb.lattice.row(2)),
                           angle(pb.lattice.row(0), pb.lattice.row(1))};
  std::vector<Eigen::Vector3d> fa(pa.sites.size());
  for (int code = 0; code < 19683; ++code) {  // 3^9
    Eigen::Matrix3d M;
    int rest = code;
    for (int e = 0; e < 9; ++e) {
      M(e / 3, e % 3) = rest % 3 - 1;
      rest /= 3;
    }
    if (std::abs(std::abs(M.determinant()) - 1.0) > 1e-9) continue;
    const Eigen::Matrix3d V = M * pa.lattice;
    bool fits = true;
    for (int r = 0; r < 3 && fits; ++r) fits = std::abs(V.row(r).norm() - len_b[r]) <= length_tol;
    if (!fits) continue;
    if (std::abs(angle(V.row(1), V.row(2)) - ang_b[0]) > angle_tol ||
        std::abs(angle(V.row(0), V.row(2)) - ang_b[1]) > angle_tol ||
        std::abs(angle(V.row(0), V.row(1)) - ang_b[2]) > angle_tol)
      continue;
    const Eigen::Matrix3d M_inv_t = M.inverse().transpose();
    for (std::size_t i = 0; i < pa.sites.size(); ++i) fa[i] = M_inv_t * pa.sites[i].frac;
    if (match_with_origin_shift(pa, fa, pb, length_tol)) return true;
  }
  return false;
}

}  // namespace ionscreen::structures
