#pragma once
/// A candidate pool: names, descriptors (columns "<group>.<property>") and, for pools built from
/// a candidate space (pool/space_pool.hpp), the relaxed structure of each candidate; what the
/// search sees of it (Features). A campaign keeps its pool in candidates.h5
/// (store/pool_file.hpp).
#include <Eigen/Dense>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "gp/kernel.hpp"
#include "pipeline/base/csv_table.hpp"

namespace ionscreen::pipeline {

struct CandidatePool {
  std::string carrier;
  std::string source;                         ///< how it was made (space file or table, filter)
  std::vector<std::string> names;             ///< one per candidate, unique ("LiFeSO4F")
  std::vector<std::string> descriptor_names;  ///< "<group>.<property>"
  Eigen::MatrixXd descriptors;                ///< candidates x descriptor_names, raw units
  std::vector<std::string> structures;        ///< relaxed CIF per candidate (empty: none)
  std::vector<std::string> excluded;          ///< compositions left out, with the reason
  std::uint64_t fingerprint = 0;              ///< of names and descriptors (fingerprint())

  std::size_t size() const { return names.size(); }
  /// Index of a candidate by name; InputError naming it (and a close name) if absent.
  std::size_t index(const std::string& name) const;
};

/// FNV-1a over names and descriptor bytes: a pool is identified by what the search sees.
std::uint64_t fingerprint(const CandidatePool& pool);

/// The pool from a table's rows: its key column names candidates, numeric "<group>.<name>"
/// columns are descriptors, every other column is ignored (never shown to the search).
CandidatePool pool_from_table(const std::filesystem::path& table, const std::string& key,
                              const std::string& where, const std::string& carrier);
/// The same from a table already read (and filtered); `source` names it in messages.
CandidatePool pool_from_table(const CsvTable& table, const std::string& source);

/// What the GP sees: descriptor columns that vary over the pool, their groups, and the default
/// additive kernel sum(se[g]) over the groups present.
struct Features {
  Eigen::MatrixXd X;
  std::vector<std::string> names;
  gp::ColumnGroups groups;
  std::vector<std::string> dropped;  ///< constant columns
  std::string auto_kernel;
};
Features features(const CandidatePool& pool);
/// Columns `names` of `pool` (for a transfer source, in the target's columns); InputError naming
/// a missing column.
Eigen::MatrixXd columns(const CandidatePool& pool, const std::vector<std::string>& names);

}  // namespace ionscreen::pipeline
