#include "structures/bond_valence.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <type_traits>
#include <vector>

#include "structures/elements.hpp"
#include "structures/error.hpp"
#include "structures/number_text.hpp"

namespace ionscreen::structures {
namespace {

/// A whitespace-separated table row with its 1-based line number.
struct Row {
  std::size_t line = 0;
  std::vector<std::string> fields;
};

/// Rows of a whitespace-separated table. Strips '\r', drops everything after '!' (softBV
/// comments), skips blank lines and lines starting with '#' (inactive rows), and skips the first
/// remaining line, the column header (checked to start with `first_header_field`).
std::vector<Row> read_table(const std::filesystem::path& file,
                            const std::string& first_header_field, std::size_t columns) {
  std::ifstream in(file);
  if (!in) throw InputError("cannot open " + file.string());
  std::vector<Row> rows;
  std::string text;
  bool seen_header = false;
  for (std::size_t line = 1; std::getline(in, text); ++line) {
    if (const auto bang = text.find('!'); bang != std::string::npos) text.erase(bang);
    std::istringstream words(text);
    Row row{line, {}};
    for (std::string w; words >> w;) row.fields.push_back(w);
    if (row.fields.empty() || row.fields.front().front() == '#') continue;
    const std::string where = file.string() + ":" + std::to_string(line) + ": ";
    if (!seen_header) {
      if (row.fields.front() != first_header_field)
        throw InputError(where + "expected a column header starting with '" + first_header_field +
                         "', found '" + row.fields.front() + "'");
      seen_header = true;
      continue;
    }
    if (row.fields.size() != columns)
      throw InputError(where + "expected " + std::to_string(columns) + " columns, found " +
                       std::to_string(row.fields.size()));
    rows.push_back(std::move(row));
  }
  return rows;
}

template <class T>
T parse(const std::filesystem::path& file, const Row& row, std::size_t column) {
  const std::string& s = row.fields[column];
  T v{};
  bool ok = false;
  if constexpr (std::is_integral_v<T>) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    ok = ec == std::errc() && end == s.data() + s.size();
  } else if (const auto number = read_number(s)) {
    v = *number;
    ok = true;
  }
  if (!ok)
    throw InputError(file.string() + ":" + std::to_string(row.line) + ": column " +
                     std::to_string(column + 1) + " value '" + s + "' is not " +
                     (std::is_integral_v<T> ? "an integer" : "a number"));
  return v;
}

std::string site_name(const Site& s, std::size_t index) {
  return (s.label.empty() ? s.element : s.label) + " (site " + std::to_string(index) + ")";
}

}  // namespace

BondValenceTable BondValenceTable::load(const std::filesystem::path& dir) {
  BondValenceTable t;
  t.softbv_file_ = dir / "softbv_pairs.tsv";
  t.bvse_file_ = dir / "bvse_pairs.dat";

  // softbv_pairs.tsv: cation, os, anion, os, R0, b, cn, R_cutoff.
  for (const auto& row : read_table(t.softbv_file_, "Type+", 8)) {
    const auto& f = row.fields;
    const std::string where = t.softbv_file_.filename().string() + ":" + std::to_string(row.line);
    const int cox = parse<int>(t.softbv_file_, row, 1), aox = parse<int>(t.softbv_file_, row, 3);
    BondValenceParameters p{parse<double>(t.softbv_file_, row, 4),
                            parse<double>(t.softbv_file_, row, 5),
                            parse<double>(t.softbv_file_, row, 7), where};
    if (cox <= 0 || aox >= 0 || !(p.r0 > 0.0) || !(p.b > 0.0))
      throw InputError(t.softbv_file_.string() + ":" + std::to_string(row.line) +
                       ": expected cation os > 0, anion os < 0, R0 > 0 and b > 0");
    if (!t.pairs_.emplace(Key{f[0], cox, f[2], aox}, std::move(p)).second)
      throw InputError(t.softbv_file_.string() + ":" + std::to_string(row.line) +
                       ": duplicate pair " + ion_name(f[0], cox) + "-" + ion_name(f[2], aox));
  }

  // bvse_pairs.dat: cation, valence, anion, valence, Nc, R0, Rcutoff, D0, Rmin, alpha (= 1/b).
  for (const auto& row : read_table(t.bvse_file_, "cation", 10)) {
    const auto& f = row.fields;
    const int cox = parse<int>(t.bvse_file_, row, 1), aox = parse<int>(t.bvse_file_, row, 3);
    const double r0 = parse<double>(t.bvse_file_, row, 5);
    const double cutoff = parse<double>(t.bvse_file_, row, 6);
    const double alpha = parse<double>(t.bvse_file_, row, 9);
    if (!(alpha > 0.0) || !(r0 > 0.0) || cox <= 0 || aox >= 0) continue;
    const std::string where = t.bvse_file_.filename().string() + ":" + std::to_string(row.line);
    t.pairs_.emplace(Key{f[0], cox, f[2], aox},
                     BondValenceParameters{r0, 1.0 / alpha, cutoff, where});
  }
  return t;
}

const BondValenceParameters& BondValenceTable::pair(const std::string& cation, int cation_ox,
                                                    const std::string& anion, int anion_ox) const {
  const auto it = pairs_.find(Key{cation, cation_ox, anion, anion_ox});
  if (it == pairs_.end())
    throw InputError("no bond-valence parameters for the pair " + ion_name(cation, cation_ox) +
                     "-" + ion_name(anion, anion_ox) + " in " + softbv_file_.string() + " or " +
                     bvse_file_.string() +
                     (cation_ox <= 0 || anion_ox >= 0
                          ? " (the cation's oxidation state must be positive, the anion's negative)"
                          : ""));
  return it->second;
}

bool BondValenceTable::has_pair(const std::string& cation, int cation_ox, const std::string& anion,
                                int anion_ox) const {
  return pairs_.count(Key{cation, cation_ox, anion, anion_ox}) > 0;
}

const BondValenceParameters* BondValenceTable::find(const std::string& cation, int cation_ox,
                                                    const std::string& anion, int anion_ox) const {
  const auto it = pairs_.find({cation, cation_ox, anion, anion_ox});
  return it == pairs_.end() ? nullptr : &it->second;
}

const BondValenceParameters* pair_within_range(const BondValenceTable& table, const Site& cation,
                                               const Site& anion, double closest) {
  const auto* p = table.find(cation.element, cation.oxidation, anion.element, anion.oxidation);
  if (p || closest >= kBondingRange) return p;
  return &table.pair(cation.element, cation.oxidation, anion.element, anion.oxidation);  // throws
}

Eigen::VectorXd bond_valence_sums(const Crystal& crystal, const BondValenceTable& table,
                                  double cutoff) {
  if (!(cutoff > 0.0)) throw InputError("bond-valence cut-off must be positive");
  const auto& sites = crystal.sites;
  for (std::size_t i = 0; i < sites.size(); ++i)
    if (sites[i].oxidation == 0)
      throw InputError("bond-valence sum needs an oxidation state on every site; " +
                       site_name(sites[i], i) + " (" + sites[i].element + ") has none");

  // A lattice translation n with |cart(d + n)| <= cutoff has |d_k + n_k| <= cutoff / w_k along
  // each axis k, where w_k is the perpendicular width: so these ranges cover every such image.
  const Eigen::Vector3d widths = perpendicular_widths(crystal.lattice);
  const Eigen::Vector3d reach = (cutoff / widths.array()).matrix();
  const Eigen::Matrix3d to_cart = crystal.lattice.transpose();
  const double cutoff2 = cutoff * cutoff;

  Eigen::VectorXd bvs = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(sites.size()));
  for (std::size_t i = 0; i < sites.size(); ++i) {
    if (sites[i].oxidation < 0) continue;  // loop over cation-anion pairs once, from the cation
    for (std::size_t j = 0; j < sites.size(); ++j) {
      if (sites[j].oxidation > 0) continue;
      const auto* pp = pair_within_range(table, sites[i], sites[j],
                                         crystal.distance(sites[i].frac, sites[j].frac));
      if (!pp) continue;
      const auto& p = *pp;
      Eigen::Vector3d d = sites[j].frac - sites[i].frac;
      d -= d.array().round().matrix();  // |d_k| <= 1/2
      Eigen::Vector3i lo, hi;
      for (int k = 0; k < 3; ++k) {
        lo[k] = static_cast<int>(std::ceil(-d[k] - reach[k]));
        hi[k] = static_cast<int>(std::floor(-d[k] + reach[k]));
      }
      double s_sum = 0.0;
      for (int na = lo[0]; na <= hi[0]; ++na)
        for (int nb = lo[1]; nb <= hi[1]; ++nb)
          for (int nc = lo[2]; nc <= hi[2]; ++nc) {
            const Eigen::Vector3d r = to_cart * (d + Eigen::Vector3d(na, nb, nc));
            const double r2 = r.squaredNorm();
            if (r2 > cutoff2) continue;
            const double dist = std::sqrt(r2);
            if (dist < 1e-6)
              throw StructureError("sites " + site_name(sites[i], i) + " and " +
                                   site_name(sites[j], j) + " coincide");
            s_sum += std::exp((p.r0 - dist) / p.b);
          }
      bvs[static_cast<Eigen::Index>(i)] += sites[j].occupancy * s_sum;
      bvs[static_cast<Eigen::Index>(j)] += sites[i].occupancy * s_sum;
    }
  }
  return bvs;
}

double global_instability_index(const Crystal& crystal, const BondValenceTable& table,
                                double cutoff) {
  if (crystal.sites.empty())
    throw InputError("global instability index of a crystal with no sites");
  const Eigen::VectorXd bvs = bond_valence_sums(crystal, table, cutoff);
  double sum = 0.0;
  for (std::size_t i = 0; i < crystal.sites.size(); ++i) {
    const double dev = bvs[static_cast<Eigen::Index>(i)] - std::abs(crystal.sites[i].oxidation);
    sum += dev * dev;
  }
  return std::sqrt(sum / static_cast<double>(crystal.sites.size()));
}

}  // namespace ionscreen::structures
