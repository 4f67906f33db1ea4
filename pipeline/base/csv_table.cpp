#include "pipeline/base/csv_table.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <set>

#include "pipeline/base/error.hpp"
#include "pipeline/base/strings.hpp"

namespace ionscreen::pipeline {
namespace {

std::optional<double> as_number(const std::string& field) {
  double v = 0.0;
  const char* end = field.data() + field.size();
  const auto r = std::from_chars(field.data(), end, v);
  if (r.ec != std::errc() || r.ptr != end) return std::nullopt;
  return v;
}

std::string listing(const std::vector<std::string>& names) {
  return names.empty() ? "(none)" : join(names, ", ");
}

}  // namespace

Eigen::Index CsvTable::column(const std::string& name) const {
  for (std::size_t j = 0; j < columns.size(); ++j)
    if (columns[j] == name) return static_cast<Eigen::Index>(j);
  throw InputError("no numeric column '" + name + "'; the table has: " + listing(columns));
}

std::size_t CsvTable::text_column(const std::string& name) const {
  for (std::size_t j = 0; j < text_columns.size(); ++j)
    if (text_columns[j] == name) return j;
  throw InputError("no text column '" + name + "'; the text columns are: " + listing(text_columns));
}

CsvTable CsvTable::where(const std::string& name, const std::string& value) const {
  const std::size_t c = text_column(name);
  CsvTable out{key_name, {},           columns,
               {},       text_columns, std::vector<std::vector<std::string>>(text.size())};
  std::vector<Eigen::Index> rows;
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (text[c][i] == value) {
      rows.push_back(static_cast<Eigen::Index>(i));
      out.keys.push_back(keys[i]);
      for (std::size_t t = 0; t < text.size(); ++t) out.text[t].push_back(text[t][i]);
    }
  if (rows.empty()) throw InputError("no row has " + name + " = '" + value + "'");
  out.values = values(rows, Eigen::all);
  return out;
}

CsvTable CsvTable::where(const std::string& filter) const {
  if (filter.empty()) return *this;
  const auto eq = filter.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError("filter '" + filter + "': expected column=value (e.g. carrier=Na)");
  return where(filter.substr(0, eq), filter.substr(eq + 1));
}

CsvTable read_csv_table(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path.string() + ": cannot open for reading");
  std::string key_name, line;
  std::vector<std::string> header, keys;
  std::vector<std::vector<std::string>> fields;  // per row, the value fields
  std::vector<int> line_of;
  std::set<std::string> seen;
  int number = 0;
  const auto where = [&](int n) { return path.string() + ":" + std::to_string(n) + ": "; };
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto row = split(line, ',');
    if (header.empty() && key_name.empty()) {
      if (row.size() < 2) throw InputError(where(number) + "header needs a key and a value column");
      key_name = row[0];
      header.assign(row.begin() + 1, row.end());
      if (std::set<std::string>(header.begin(), header.end()).size() != header.size())
        throw InputError(where(number) + "duplicate column names in the header");
      continue;
    }
    if (row.size() != header.size() + 1)
      throw InputError(where(number) + "expected " + std::to_string(header.size() + 1) +
                       " fields, found " + std::to_string(row.size()));
    if (!seen.insert(row[0]).second)
      throw InputError(where(number) + "duplicate key '" + row[0] + "'");
    keys.push_back(row[0]);
    fields.emplace_back(row.begin() + 1, row.end());
    line_of.push_back(number);
  }
  if (keys.empty()) throw InputError(path.string() + ": no data rows");

  CsvTable t;
  t.key_name = key_name;
  t.keys = keys;
  std::vector<std::size_t> numeric;
  for (std::size_t j = 0; j < header.size(); ++j) {
    bool all_numbers = true;
    for (const auto& row : fields) all_numbers = all_numbers && as_number(row[j]).has_value();
    if (all_numbers) {
      numeric.push_back(j);
      t.columns.push_back(header[j]);
    } else {
      t.text_columns.push_back(header[j]);
      std::vector<std::string> values;
      for (const auto& row : fields) values.push_back(row[j]);
      t.text.push_back(std::move(values));
    }
  }
  t.values.resize(static_cast<Eigen::Index>(keys.size()),
                  static_cast<Eigen::Index>(numeric.size()));
  for (std::size_t i = 0; i < fields.size(); ++i)
    for (std::size_t k = 0; k < numeric.size(); ++k) {
      const double v = *as_number(fields[i][numeric[k]]);
      if (std::isnan(v))
        throw InputError(where(line_of[i]) + "column '" + header[numeric[k]] + "' is NaN");
      t.values(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = v;
    }
  return t;
}

}  // namespace ionscreen::pipeline
