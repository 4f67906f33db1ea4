#include "pipeline/pool/candidate_pool.hpp"

#include <cstring>
#include <map>
#include <optional>

#include "pipeline/base/csv_table.hpp"
#include "pipeline/base/error.hpp"
#include "pipeline/base/fnv1a.hpp"

namespace ionscreen::pipeline {
std::size_t CandidatePool::index(const std::string& name) const {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return i;
  std::string hint;
  for (const auto& n : names)
    if (n.size() == name.size() && strncasecmp(n.c_str(), name.c_str(), n.size()) == 0) hint = n;
  throw InputError("no candidate named '" + name + "' in the pool (" + std::to_string(size()) +
                   " candidates, " + source + ")" +
                   (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
}

std::uint64_t fingerprint(const CandidatePool& pool) {
  std::uint64_t h = kFnv1aOffset;
  for (const auto& n : pool.names) h = fnv1a(n.c_str(), n.size() + 1, h);
  for (const auto& n : pool.descriptor_names) h = fnv1a(n.c_str(), n.size() + 1, h);
  for (Eigen::Index i = 0; i < pool.descriptors.rows(); ++i)
    for (Eigen::Index j = 0; j < pool.descriptors.cols(); ++j) {
      const double v = pool.descriptors(i, j);
      h = fnv1a(&v, sizeof v, h);
    }
  return h;
}

CandidatePool pool_from_table(const std::filesystem::path& file, const std::string& key,
                              const std::string& where, const std::string& carrier) {
  CsvTable table = read_csv_table(file);
  if (table.key_name != key)
    throw InputError(file.string() + ": the first column is '" + table.key_name +
                     "', not the key column '" + key + "' the campaign names");
  table = table.where(where);
  CandidatePool pool =
      pool_from_table(table, file.string() + (where.empty() ? "" : " where " + where));
  pool.carrier = carrier;
  return pool;
}

CandidatePool pool_from_table(const CsvTable& table, const std::string& source) {
  CandidatePool pool;
  pool.source = "table " + source;
  pool.names = table.keys;
  std::vector<Eigen::Index> cols;
  for (Eigen::Index j = 0; j < static_cast<Eigen::Index>(table.columns.size()); ++j) {
    const std::string& name = table.columns[static_cast<std::size_t>(j)];
    if (const auto dot = name.find('.'); dot == std::string::npos || dot == 0) continue;
    if (!table.values.col(j).allFinite())
      throw InputError(source + ": descriptor column '" + name + "' has a non-finite value");
    pool.descriptor_names.push_back(name);
    cols.push_back(j);
  }
  if (cols.empty())
    throw InputError(source +
                     ": no descriptor columns: name them <group>.<name> (e.g. M.ionic_radius)");
  pool.descriptors = table.values(Eigen::all, cols);
  pool.structures.assign(pool.names.size(), "");
  pool.fingerprint = fingerprint(pool);
  return pool;
}

Features features(const CandidatePool& pool) {
  Features f;
  std::vector<Eigen::Index> cols;
  std::map<std::string, std::vector<int>> groups;
  for (Eigen::Index j = 0; j < pool.descriptors.cols(); ++j) {
    const std::string& name = pool.descriptor_names[static_cast<std::size_t>(j)];
    const auto col = pool.descriptors.col(j);
    if (col.size() == 0 || col.maxCoeff() == col.minCoeff()) {
      f.dropped.push_back(name);
      continue;
    }
    groups[name.substr(0, name.find('.'))].push_back(static_cast<int>(cols.size()));
    f.names.push_back(name);
    cols.push_back(j);
  }
  if (cols.empty())
    throw InputError("every descriptor column is constant over the pool (" + pool.source + ")");
  f.groups = gp::ColumnGroups::all(static_cast<int>(cols.size()));
  for (auto& [name, members] : groups) {
    f.groups.add(name, members);
    f.auto_kernel += (f.auto_kernel.empty() ? "sum(" : ", ") + std::string("se[") + name + "]";
  }
  f.auto_kernel += ")";
  f.X = pool.descriptors(Eigen::all, cols);
  return f;
}

Eigen::MatrixXd columns(const CandidatePool& pool, const std::vector<std::string>& names) {
  std::vector<Eigen::Index> cols;
  for (const auto& name : names) {
    std::optional<Eigen::Index> found;
    for (std::size_t j = 0; j < pool.descriptor_names.size(); ++j)
      if (pool.descriptor_names[j] == name) found = static_cast<Eigen::Index>(j);
    if (!found) throw InputError("descriptor column '" + name + "' is missing from " + pool.source);
    cols.push_back(*found);
  }
  return pool.descriptors(Eigen::all, cols);
}

}  // namespace ionscreen::pipeline
