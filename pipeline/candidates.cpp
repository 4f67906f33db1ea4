#include "pipeline/candidates.hpp"

#include <atomic>
#include <cstring>
#include <map>
#include <optional>

#include "pipeline/error.hpp"
#include "pipeline/fnv1a.hpp"
#include "pipeline/hdf5/hdf5_file.hpp"
#include "pipeline/table.hpp"
#include "structures/bv_relax.hpp"
#include "structures/cif.hpp"
#include "structures/descriptors.hpp"
#include "structures/elements.hpp"

namespace ionscreen::pipeline {
namespace st = ionscreen::structures;
namespace {

constexpr int kPoolSchemaVersion = 1;

CandidatePool pool_from_space(const CampaignConfig& config, const BuildProgress& progress) {
  const st::ElementTable elements = st::ElementTable::load(config.inputs / "elements");
  const st::BondValenceTable bv = st::BondValenceTable::load(config.inputs / "bvse");
  const st::Descriptors descriptors(elements);
  const st::Prototype proto =
      st::tavorite_prototype(st::read_cif(config.inputs / "prototypes/LiFeSO4F_tavorite.cif"));
  const st::SpaceSpec spec = st::load_space(config.space, config.carrier);

  CandidatePool pool;
  pool.carrier = config.carrier;
  pool.source = "space " + config.space.string() + ", carrier " + config.carrier +
                ", prototype inputs/prototypes/LiFeSO4F_tavorite.cif, bond-valence relaxed";
  const auto compositions = st::keep_supported(
      st::enumerate_checked(spec, [&](const std::string& e, int ox) { return elements.has_ion(e, ox); }),
      [&](const std::string& c, int co, const std::string& a, int ao) { return bv.has_pair(c, co, a, ao); },
      pool.excluded);
  const auto n = static_cast<Eigen::Index>(compositions.size());
  pool.descriptor_names = descriptors.names();
  pool.descriptors.resize(n, static_cast<Eigen::Index>(pool.descriptor_names.size()));
  pool.structures.resize(compositions.size());
  std::vector<std::string> failures(compositions.size());
  std::atomic<std::size_t> done{0};
  // Each candidate is independent and deterministic, so the thread count changes nothing.
#pragma omp parallel for schedule(dynamic)
  for (Eigen::Index i = 0; i < n; ++i) {
    const st::Composition& comp = compositions[static_cast<std::size_t>(i)];
    try {
      const st::RelaxReport relaxed = st::relax_bond_valence(st::substitute(proto, comp), bv);
      const Eigen::VectorXd site = descriptors.site_values(comp);
      const Eigen::VectorXd structure = descriptors.structure_values(
          relaxed.relaxed, st::substituted_roles(proto, comp), config.carrier);
      pool.descriptors.row(i) << site.transpose(), structure.transpose();
      pool.structures[static_cast<std::size_t>(i)] = st::write_cif(relaxed.relaxed);
    } catch (const std::exception& e) {
      failures[static_cast<std::size_t>(i)] = comp.formula() + ": " + e.what();
    }
    const std::size_t finished = ++done;
#pragma omp critical(build_progress)
    if (progress) progress(finished, compositions.size());
  }
  for (const auto& failure : failures)
    if (!failure.empty()) throw InputError("cannot build candidate " + failure);
  for (const auto& comp : compositions) pool.names.push_back(comp.formula());
  pool.fingerprint = fingerprint(pool);
  return pool;
}

CandidatePool read_pool_file(const std::filesystem::path& file) {
  const auto f = hdf5::File::open_read_only(file);
  const auto g = f.group("candidates");
  const auto a = g.attributes();
  if (const auto v = a.read_int64("schema_version"); v != kPoolSchemaVersion)
    throw InputError(file.string() + ": candidate schema version " + std::to_string(v) +
                     " is not supported (this ionscreen reads version " +
                     std::to_string(kPoolSchemaVersion) + ")");
  CandidatePool pool;
  pool.carrier = a.read_string("carrier");
  pool.source = a.read_string("source");
  pool.names = g.read_strings("name");
  pool.descriptor_names = g.read_strings("descriptor_names");
  const hdf5::Matrix m = g.read_matrix("descriptors");
  if (m.rows != pool.names.size() || m.cols != pool.descriptor_names.size())
    throw InputError(file.string() + ": /candidates/descriptors is " + std::to_string(m.rows) + " x " +
                     std::to_string(m.cols) + ", expected " + std::to_string(pool.names.size()) +
                     " x " + std::to_string(pool.descriptor_names.size()));
  pool.descriptors.resize(static_cast<Eigen::Index>(m.rows), static_cast<Eigen::Index>(m.cols));
  for (std::size_t i = 0; i < m.rows; ++i)
    for (std::size_t j = 0; j < m.cols; ++j)
      pool.descriptors(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = m.values[i * m.cols + j];
  pool.structures = g.read_strings("structure_cif");
  pool.excluded = g.read_strings("excluded");
  pool.fingerprint = fingerprint(pool);
  if (std::to_string(pool.fingerprint) != a.read_string("fingerprint"))
    throw InputError(file.string() + ": the candidate table does not match its fingerprint "
                     "(the file was changed or damaged)");
  return pool;
}

}  // namespace

std::size_t CandidatePool::index(const std::string& name) const {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return i;
  std::string hint;
  for (const auto& n : names)
    if (n.size() == name.size() && strncasecmp(n.c_str(), name.c_str(), n.size()) == 0) hint = n;
  throw InputError("no candidate named '" + name + "' in the pool (" + std::to_string(size()) +
                   " candidates, " + source + ")" + (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
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

CandidatePool build_pool(const CampaignConfig& config, const BuildProgress& progress) {
  if (!config.table.empty())
    return pool_from_table(config.table, config.table_key, config.table_where, config.carrier);
  return pool_from_space(config, progress);
}

CandidatePool pool_from_table(const std::filesystem::path& file, const std::string& key,
                              const std::string& where, const std::string& carrier) {
  Table table = read_table(file);
  if (table.key_name != key)
    throw InputError(file.string() + ": the first column is '" + table.key_name +
                     "', not the key column '" + key + "' the campaign names");
  table = table.where(where);
  CandidatePool pool = pool_from_table(table, file.string() + (where.empty() ? "" : " where " + where));
  pool.carrier = carrier;
  return pool;
}

CandidatePool pool_from_table(const Table& table, const std::string& source) {
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
    throw InputError(source + ": no descriptor columns: name them <group>.<name> (e.g. M.ionic_radius)");
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
  if (cols.empty()) throw InputError("every descriptor column is constant over the pool (" + pool.source + ")");
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

void write_pool(const CandidatePool& pool, const std::filesystem::path& file) {
  hdf5::write_file_atomically(file, [&](hdf5::File& f) {
    auto g = f.create_group("candidates");
    auto a = g.attributes();
    a.set_int64("schema_version", kPoolSchemaVersion);
    a.set_string("carrier", pool.carrier);
    a.set_string("source", pool.source);
    a.set_string("fingerprint", std::to_string(pool.fingerprint));
    g.write_strings("name", pool.names);
    g.write_strings("descriptor_names", pool.descriptor_names);
    hdf5::Matrix m{static_cast<std::size_t>(pool.descriptors.rows()),
                   static_cast<std::size_t>(pool.descriptors.cols()), {}};
    m.values.reserve(m.rows * m.cols);
    for (Eigen::Index i = 0; i < pool.descriptors.rows(); ++i)
      for (Eigen::Index j = 0; j < pool.descriptors.cols(); ++j)
        m.values.push_back(pool.descriptors(i, j));
    g.write_matrix("descriptors", m);
    g.write_strings("structure_cif", pool.structures);
    g.write_strings("excluded", pool.excluded);
  });
}

CandidatePool read_pool(const std::filesystem::path& file) {
  try {
    return read_pool_file(file);
  } catch (const hdf5::Error& e) {
    throw InputError(file.string() + ": damaged or not a candidate table: " + e.what() +
                     "\nIt never changes once written: remove it and it is built again from the "
                     "campaign's settings by the next 'ionscreen enumerate', 'run' or 'resume'");
  }
}

}  // namespace ionscreen::pipeline
