#pragma once
/// A campaign's settings: an INI file (examples in inputs/campaigns/) plus command-line overrides
/// `--set section.key=value`. `run` and `resume` accept the same file.
///
/// Every key is typed and checked when the file is read: an unknown section or key is an error
/// that suggests the nearest known one, a wrong type or value names the file, line, key, value and
/// what would be accepted. Relative paths are resolved against the folder of the INI file (for
/// overrides: against the current directory) and stored absolute and lexically normal. Files
/// named by space, inputs, table, threshold_reference, [engine] table and slurm_profile must
/// exist once the overrides are applied. An empty value is accepted where it means something: a
/// path (none; for directory, space and inputs the default), acquisition (the mode's default),
/// target, initial_candidates, table_where, threshold_where and faults (none). Syntax:
/// structures/ini.hpp.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gp/acquisition.hpp"
#include "gp/batch.hpp"
#include "gp/transfer.hpp"
#include "pipeline/base/enum_names.hpp"
#include "pipeline/campaign/threshold.hpp"
#include "pipeline/jobs/dft/dft_settings.hpp"
#include "pipeline/jobs/engine_factory.hpp"

namespace ionscreen::pipeline {

enum class SearchMode { optimum, threshold };
template <>
struct EnumNames<SearchMode> {
  static constexpr std::pair<SearchMode, const char*> values[] = {
      {SearchMode::optimum, "optimum"}, {SearchMode::threshold, "threshold"}};
};

enum class BackendKind { local, slurm };
template <>
struct EnumNames<BackendKind> {
  static constexpr std::pair<BackendKind, const char*> values[] = {{BackendKind::local, "local"},
                                                                   {BackendKind::slurm, "slurm"}};
};

struct CampaignConfig {
  std::filesystem::path file;  ///< the INI file read (absolute)

  // [campaign]
  std::string name;                 ///< [A-Za-z0-9._-]{1,64}; default: the INI file's stem
  std::filesystem::path directory;  ///< default: <INI folder>/<name>
  std::string carrier = "Li";       ///< Li or Na
  std::uint64_t seed = 1;

  // [candidates] where the pool comes from: a candidate space (structures are built and relaxed)
  // or a table (rows of a CSV with "<group>.<name>" descriptor columns; for virtual campaigns).
  std::filesystem::path space;         ///< default: <data>/inputs/spaces/default.ini
  std::filesystem::path inputs;        ///< elements/, bvse/, prototypes/; default <data>/inputs
  std::filesystem::path table;         ///< if set, the pool is this table's rows (not the space)
  std::string table_key = "compound";  ///< the table's name column
  std::string table_where;             ///< "column=value" row filter, e.g. carrier=Na

  // [search]
  SearchMode mode = SearchMode::optimum;
  Threshold threshold{Threshold::Kind::absolute, 0.3};  ///< 0.3 (eV) or q0.053 / 5.3%
  std::filesystem::path threshold_reference;  ///< table a quantile threshold is resolved against
  std::string threshold_column = "E_1D";      ///< its column
  std::string threshold_where;                ///< its row filter (absent: carrier=<carrier>;
                                              ///< empty: none)
  std::string kernel = "auto";  ///< gp kernel spec; auto: sum(se[g]) over descriptor groups
  /// ei|pi|lcb|thompson (optimum), straddle|lse (threshold); when not given, ei or lse
  gp::AcquisitionKind acquisition = gp::AcquisitionKind::ei;
  int batch = 1;                                                     ///< q, candidates per proposal
  gp::BatchMethod batch_method = gp::BatchMethod::kriging_believer;  ///< kb | cl
  int initial = 5;                              ///< random initial candidates (seeded); >= 2 unless
                                                ///< initial_candidates are given
  std::vector<std::string> initial_candidates;  ///< or these, by name
  int budget = 0;                   ///< evaluations (done + failed for good); 0: the whole pool
  std::optional<double> target;     ///< optimum mode: stop once best <= target (eV)
  double wall_clock_seconds = 0.0;  ///< stop after this long (0: no limit); "90s", "30m", "2h"
  gp::TransferMode transfer = gp::TransferMode::none;  ///< none|hp|posterior|multitask|auto
  std::filesystem::path transfer_source;  ///< the source campaign's directory or campaign.h5

  // [engine] bvse | table | qe | cp2k | vasp, and their settings
  EngineSettings engine;

  // [dft] the DFT/NEB engines' settings (pipeline/jobs/dft/dft_settings.hpp); with engine = qe,
  // cp2k or vasp, site defaults to <data>/cluster/sites/local.ini
  dft::DftSettings dft;

  // [jobs]
  BackendKind backend = BackendKind::local;
  int max_in_flight = 2;                ///< jobs submitted and not finished, at most
  int retries = 2;                      ///< extra attempts after a retryable failure
  int time_limit_minutes = 60;          ///< per job wall time; whole minutes or "90s" (rounded up)
  double poll_seconds = 1.0;            ///< between polls; "2s", "500ms"
  std::filesystem::path slurm_profile;  ///< site profile (cluster/slurm/profiles/*.ini); with
                                        ///< backend = slurm, default <data>/cluster/slurm/
                                        ///< profiles/local.ini

  bool operator==(const CampaignConfig&) const = default;
};

/// Read an INI campaign file and apply overrides ("section.key=value", in order). InputError
/// (pipeline/base/error.hpp) on any problem; nothing is created or written.
CampaignConfig load_campaign_config(const std::filesystem::path& file,
                                    const std::vector<std::string>& overrides = {});

/// The same from INI text; `origin` names it in errors and its folder anchors relative paths.
CampaignConfig parse_campaign_config(const std::string& text, const std::filesystem::path& origin,
                                     const std::vector<std::string>& overrides = {});

/// The INI text of a config (every key, absolute paths): what the campaign file stores as its
/// snapshot, and what load_campaign_config reads back to the same config.
std::string to_ini(const CampaignConfig& config);

/// Every key of the schema, "section.key", in the order of the INI file.
std::vector<std::string> config_keys();
/// A key's value as the INI file writes it (paths absolute).
std::string config_value(const CampaignConfig& config, const std::string& key);

/// A setting `resume` may change, and why that is harmless.
struct ChangeableKey {
  std::string key;  ///< "section.key"
  std::string why;
};
/// The one list of what may change between `run` and `resume` (docs/campaign_file.md, "What a
/// resume may change"). Every other key is the campaign's identity: it changes a barrier, a
/// decision or a job's name, and a resume with another value is refused.
const std::vector<ChangeableKey>& keys_resume_may_change();
/// config_keys() without keys_resume_may_change().
std::vector<std::string> identity_keys();

}  // namespace ionscreen::pipeline
