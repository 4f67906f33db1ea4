#include "structures/elements.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "structures/error.hpp"
#include "structures/number_text.hpp"

namespace ionscreen::structures {
namespace {

/// A data line of a CSV file with its 1-based line number, for messages.
struct CsvRow {
  std::size_t line = 0;
  std::vector<std::string> fields;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(s);
  while (std::getline(in, field, sep)) out.push_back(field);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

/// Comment lines ('#') and blank lines are skipped; the first other line must equal `header`.
/// Plain CSV only: no quoting (the generated tables never need it).
std::vector<CsvRow> read_csv(const std::filesystem::path& file,
                             const std::vector<std::string>& header) {
  std::ifstream in(file);
  if (!in) throw InputError("cannot open " + file.string());
  std::vector<CsvRow> rows;
  std::string text;
  bool seen_header = false;
  for (std::size_t line = 1; std::getline(in, text); ++line) {
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.empty() || text.front() == '#') continue;
    const auto where = [&] { return file.string() + ":" + std::to_string(line) + ": "; };
    if (text.find('"') != std::string::npos)
      throw InputError(where() + "quoted CSV fields are not supported");
    auto fields = split(text, ',');
    if (!seen_header) {
      if (fields != header)
        throw InputError(where() + "expected the header '" + join(header, ",") + "', found '" +
                         text + "'");
      seen_header = true;
      continue;
    }
    if (fields.size() != header.size())
      throw InputError(where() + "expected " + std::to_string(header.size()) + " fields, found " +
                       std::to_string(fields.size()));
    rows.push_back({line, std::move(fields)});
  }
  if (!seen_header)
    throw InputError(file.string() + ": no header line '" + join(header, ",") + "'");
  return rows;
}

/// Field parsers: the whole field must be consumed.
class FieldReader {
 public:
  FieldReader(const std::filesystem::path& file, const CsvRow& row,
              const std::vector<std::string>& header)
      : file_(file), row_(row), header_(header) {}

  const std::string& text(std::size_t i) const {
    if (row_.fields[i].empty()) fail(i, "is empty");
    return row_.fields[i];
  }
  int integer(std::size_t i) const {
    const std::string& s = text(i);
    int v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) fail(i, "is not an integer");
    return v;
  }
  double real(std::size_t i) const {
    const std::string& s = text(i);
    const auto v = read_number(s);
    if (!v) fail(i, "is not a number");
    return *v;
  }
  std::optional<double> optional_real(std::size_t i) const {
    if (row_.fields[i].empty()) return std::nullopt;
    return real(i);
  }
  [[noreturn]] void fail(std::size_t i, const std::string& what) const {
    throw InputError(file_.string() + ":" + std::to_string(row_.line) + ": column '" + header_[i] +
                     "' value '" + row_.fields[i] + "' " + what);
  }
  [[noreturn]] void fail_row(const std::string& what) const {
    throw InputError(file_.string() + ":" + std::to_string(row_.line) + ": " + what);
  }

 private:
  const std::filesystem::path& file_;
  const CsvRow& row_;
  const std::vector<std::string>& header_;
};

const std::vector<std::string> kElementHeader = {
    "symbol", "Z", "mass", "period", "group", "block", "electronegativity", "covalent_radius"};
const std::vector<std::string> kShannonHeader = {
    "symbol", "oxidation", "coordination", "geometry", "spin", "ionic_radius", "crystal_radius"};

int geometry_rank(const std::string& g) { return g.empty() ? 0 : 1; }
int spin_rank(const std::string& s) { return s == "high" ? 0 : s.empty() ? 1 : 2; }

}  // namespace

std::string ion_name(const std::string& symbol, int oxidation) {
  if (oxidation == 0) return symbol + "0";
  const int n = std::abs(oxidation);
  return symbol + (n == 1 ? "" : std::to_string(n)) + (oxidation > 0 ? "+" : "-");
}

ElementTable ElementTable::load(const std::filesystem::path& dir) {
  ElementTable t;
  t.elements_file_ = dir / "elements.csv";
  t.shannon_file_ = dir / "shannon_radii.csv";

  for (const auto& row : read_csv(t.elements_file_, kElementHeader)) {
    const FieldReader f(t.elements_file_, row, kElementHeader);
    ElementData e;
    e.symbol = f.text(0);
    e.Z = f.integer(1);
    e.mass = f.real(2);
    e.period = f.integer(3);
    e.group = f.integer(4);
    const std::string& block = f.text(5);
    if (block.size() != 1 || std::string("spdf").find(block[0]) == std::string::npos)
      f.fail(5, "is not one of s, p, d, f");
    e.block = block[0];
    e.electronegativity = f.optional_real(6);
    e.covalent_radius = f.real(7);
    if (e.Z < 1) f.fail(1, "must be >= 1");
    if (!(e.mass > 0.0)) f.fail(2, "must be positive");
    if (!(e.covalent_radius > 0.0)) f.fail(7, "must be positive");
    if (t.elements_.count(e.symbol)) f.fail_row("duplicate element '" + e.symbol + "'");
    t.elements_.emplace(e.symbol, std::move(e));
  }

  for (const auto& row : read_csv(t.shannon_file_, kShannonHeader)) {
    const FieldReader f(t.shannon_file_, row, kShannonHeader);
    ShannonRadius r;
    r.symbol = f.text(0);
    r.oxidation = f.integer(1);
    r.coordination = f.integer(2);
    r.geometry = row.fields[3];
    r.spin = row.fields[4];
    r.ionic_radius = f.real(5);
    r.crystal_radius = f.real(6);
    if (r.coordination < 1) f.fail(2, "must be >= 1");
    if (!(r.geometry.empty() || r.geometry == "square" || r.geometry == "pyramidal"))
      f.fail(3, "is not one of '', square, pyramidal");
    if (!(r.spin.empty() || r.spin == "high" || r.spin == "low"))
      f.fail(4, "is not one of '', high, low");
    if (!t.elements_.count(r.symbol))
      f.fail(0, "is not an element of " + t.elements_file_.string());
    auto& list = t.shannon_[{r.symbol, r.oxidation}];
    for (const auto& other : list)
      if (other.coordination == r.coordination && other.geometry == r.geometry &&
          other.spin == r.spin)
        f.fail_row("duplicate entry for " + ion_name(r.symbol, r.oxidation) + " coordination " +
                   std::to_string(r.coordination) + " geometry '" + r.geometry + "' spin '" +
                   r.spin + "'");
    list.push_back(std::move(r));
  }
  for (auto& [ion, list] : t.shannon_)
    std::sort(list.begin(), list.end(), [](const ShannonRadius& a, const ShannonRadius& b) {
      if (a.coordination != b.coordination) return a.coordination < b.coordination;
      if (geometry_rank(a.geometry) != geometry_rank(b.geometry))
        return geometry_rank(a.geometry) < geometry_rank(b.geometry);
      return spin_rank(a.spin) < spin_rank(b.spin);
    });
  return t;
}

const ElementData& ElementTable::element(const std::string& symbol) const {
  const auto it = elements_.find(symbol);
  if (it == elements_.end())
    throw InputError("unknown element '" + symbol + "': not in " + elements_file_.string() +
                     " (symbols are case-sensitive, e.g. 'Fe')");
  return it->second;
}

bool ElementTable::has_element(const std::string& symbol) const {
  return elements_.count(symbol) > 0;
}

bool ElementTable::has_ion(const std::string& symbol, int oxidation) const {
  return shannon_.count({symbol, oxidation}) > 0;
}

std::vector<int> ElementTable::oxidation_states(const std::string& symbol) const {
  std::vector<int> out;
  for (auto it = shannon_.lower_bound({symbol, std::numeric_limits<int>::min()});
       it != shannon_.end() && it->first.first == symbol; ++it)
    out.push_back(it->first.second);
  return out;
}

std::size_t ElementTable::shannon_count() const {
  std::size_t n = 0;
  for (const auto& [ion, list] : shannon_) n += list.size();
  return n;
}

const ShannonRadius& ElementTable::shannon(const std::string& symbol, int oxidation,
                                           int coordination) const {
  const auto it = shannon_.find({symbol, oxidation});
  if (it == shannon_.end()) {
    const auto states = oxidation_states(symbol);
    std::string available;
    for (int s : states) available += (available.empty() ? "" : ", ") + ion_name(symbol, s);
    throw InputError("no Shannon radius for " + ion_name(symbol, oxidation) + " in " +
                     shannon_file_.string() + "; available for " + symbol + ": " +
                     (states.empty() ? std::string("none") : available));
  }
  // Entries are sorted by coordination, then preference: the first entry at the nearest
  // coordination is the preferred one. Ties in distance go to the higher coordination.
  const ShannonRadius* best = nullptr;
  for (const auto& r : it->second) {
    if (!best) {
      best = &r;
      continue;
    }
    const int d = std::abs(r.coordination - coordination);
    const int d_best = std::abs(best->coordination - coordination);
    if (d < d_best || (d == d_best && r.coordination > best->coordination)) best = &r;
  }
  return *best;
}

double ElementTable::shannon_radius(const std::string& symbol, int oxidation,
                                    int coordination) const {
  return shannon(symbol, oxidation, coordination).ionic_radius;
}

}  // namespace ionscreen::structures
