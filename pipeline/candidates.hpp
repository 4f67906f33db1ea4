#pragma once
/// A campaign's candidate pool: names, descriptors (columns "<group>.<property>") and, for pools
/// built from a candidate space, the relaxed structure of each candidate. Written once to
/// <campaign>/candidates.h5 by `ionscreen enumerate` (or the first `run`) and never changed, so a
/// checkpoint of the campaign ledger never rewrites it.
#include <Eigen/Dense>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "gp/kernel.hpp"
#include "pipeline/campaign_config.hpp"
#include "pipeline/table.hpp"

namespace ionscreen::pipeline {

struct CandidatePool {
  std::string carrier;
  std::string source;                        ///< how it was made (space file or table, filter)
  std::vector<std::string> names;            ///< one per candidate, unique ("LiFeSO4F")
  std::vector<std::string> descriptor_names; ///< "<group>.<property>"
  Eigen::MatrixXd descriptors;               ///< candidates x descriptor_names, raw units
  std::vector<std::string> structures;       ///< relaxed CIF per candidate (empty: none)
  std::vector<std::string> excluded;         ///< compositions left out, with the reason
  std::uint64_t fingerprint = 0;             ///< of names and descriptors (fingerprint())

  std::size_t size() const { return names.size(); }
  /// Index of a candidate by name; InputError naming it (and a close name) if absent.
  std::size_t index(const std::string& name) const;
};

/// FNV-1a over names and descriptor bytes: a pool is identified by what the search sees.
std::uint64_t fingerprint(const CandidatePool& pool);

/// Progress of building: (done, total).
using BuildProgress = std::function<void(std::size_t, std::size_t)>;

/// The pool a config names: the compositions of its candidate space for its carrier, substituted
/// into the tavorite prototype, bond-valence relaxed, with descriptors (parallel over candidates,
/// same result for any thread count); or the rows of its table.
CandidatePool build_pool(const CampaignConfig& config, const BuildProgress& progress = {});

/// The pool from a table's rows: its key column names candidates, numeric "<group>.<name>"
/// columns are descriptors, every other column is ignored (never shown to the search).
CandidatePool pool_from_table(const std::filesystem::path& table, const std::string& key,
                              const std::string& where, const std::string& carrier);
/// The same from a table already read (and filtered); `source` names it in messages.
CandidatePool pool_from_table(const Table& table, const std::string& source);

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

/// candidates.h5: written atomically; read back with its fingerprint checked.
void write_pool(const CandidatePool& pool, const std::filesystem::path& file);
CandidatePool read_pool(const std::filesystem::path& file);

}  // namespace ionscreen::pipeline
