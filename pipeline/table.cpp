#include "pipeline/table.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "pipeline/error.hpp"

namespace ionscreen::pipeline {
namespace {

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

}  // namespace

Eigen::Index Table::column(const std::string& name) const {
  for (std::size_t j = 0; j < columns.size(); ++j)
    if (columns[j] == name) return static_cast<Eigen::Index>(j);
  std::string known;
  for (const auto& c : columns) known += (known.empty() ? "" : ", ") + c;
  throw InputError("no column '" + name + "'; the table has: " + known);
}

Table read_table(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path.string() + ": cannot open for reading");
  Table t;
  std::vector<std::vector<double>> rows;
  std::set<std::string> seen;
  std::string line;
  int number = 0;
  const auto where = [&](int n) { return path.string() + ":" + std::to_string(n) + ": "; };
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const auto fields = split(line);
    if (t.columns.empty() && t.key_name.empty()) {
      if (fields.size() < 2) throw InputError(where(number) + "header needs a key and a value column");
      t.key_name = fields[0];
      t.columns.assign(fields.begin() + 1, fields.end());
      if (std::set<std::string>(t.columns.begin(), t.columns.end()).size() != t.columns.size())
        throw InputError(where(number) + "duplicate column names in the header");
      continue;
    }
    if (fields.size() != t.columns.size() + 1)
      throw InputError(where(number) + "expected " + std::to_string(t.columns.size() + 1) +
                       " fields, found " + std::to_string(fields.size()));
    if (!seen.insert(fields[0]).second)
      throw InputError(where(number) + "duplicate key '" + fields[0] + "'");
    std::vector<double> row;
    for (std::size_t j = 1; j < fields.size(); ++j) {
      double v = 0.0;
      const char* begin = fields[j].data();
      const char* end = begin + fields[j].size();
      const auto r = std::from_chars(begin, end, v);
      if (r.ec != std::errc() || r.ptr != end || !std::isfinite(v))
        throw InputError(where(number) + "column '" + t.columns[j - 1] + "': '" + fields[j] +
                         "' is not a finite number");
      row.push_back(v);
    }
    t.keys.push_back(fields[0]);
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw InputError(path.string() + ": no data rows");
  t.values.resize(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(t.columns.size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows[i].size(); ++j)
      t.values(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = rows[i][j];
  return t;
}

}  // namespace ionscreen::pipeline
