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
#include <map>
#include <string>
#include <vector>

#include "pipeline/dft/dft_settings.hpp"

namespace ionscreen::pipeline {

struct CampaignConfig {
  std::filesystem::path file;  ///< the INI file read (absolute)

  // [campaign]
  std::string name;                  ///< [A-Za-z0-9._-]{1,64}; default: the INI file's stem
  std::filesystem::path directory;   ///< default: <INI folder>/<name>
  std::string carrier = "Li";        ///< Li or Na
  std::uint64_t seed = 1;

  // [candidates] where the pool comes from: a candidate space (structures are built and relaxed)
  // or a table (rows of a CSV with "<group>.<name>" descriptor columns; for virtual campaigns).
  std::filesystem::path space;       ///< default: <data>/inputs/spaces/default.ini
  std::filesystem::path inputs;      ///< elements/, bvse/, prototypes/; default <data>/inputs
  std::filesystem::path table;       ///< if set, the pool is this table's rows (not the space)
  std::string table_key = "compound";     ///< the table's name column
  std::string table_where;                ///< "column=value" row filter, e.g. carrier=Na

  // [search]
  std::string mode = "optimum";      ///< optimum | threshold
  std::string threshold = "0.3";     ///< pipeline/threshold.hpp syntax: 0.3 (eV) or q0.053 / 5.3%
  std::filesystem::path threshold_reference;  ///< table a quantile threshold is resolved against
  std::string threshold_column = "E_1D";      ///< its column
  std::string threshold_where;                ///< its row filter (absent: carrier=<carrier>;
                                              ///< empty: none)
  std::string kernel = "auto";       ///< gp kernel spec; auto: sum(se[g]) over descriptor groups
  std::string acquisition;           ///< ei|pi|lcb|thompson (optimum), straddle|lse (threshold);
                                     ///< default ei / lse
  int batch = 1;                     ///< q, candidates per proposal
  std::string batch_method = "kb";   ///< kb | cl
  int initial = 5;                   ///< random initial candidates (seeded); >= 2 unless
                                     ///< initial_candidates are given
  std::vector<std::string> initial_candidates;  ///< or these, by name
  int budget = 0;                    ///< evaluations (done + failed for good); 0: the whole pool
  double target = 0.0;               ///< optimum mode: stop once best <= target ...
  bool has_target = false;           ///< ... if given
  double wall_clock_seconds = 0.0;   ///< stop after this long (0: no limit); "90s", "30m", "2h"
  std::string transfer = "none";     ///< none | hp | posterior | multitask | auto
  std::filesystem::path transfer_source;  ///< the source campaign's directory or campaign.h5

  // [engine]
  std::string engine = "bvse";       ///< bvse | table | qe | cp2k | vasp
  std::string barrier = "E_1D";      ///< bvse: E_1D | E_2D | E_3D
  double grid_spacing = 0.2;         ///< bvse grid, Å
  std::filesystem::path engine_table;     ///< table engine: the CSV E_b is looked up in
  std::string engine_table_key = "compound";
  std::string engine_table_column = "E_b";
  std::string faults;                ///< fault injection: "fail=0.1,hang=0.05,garbage=0.05"

  // [dft] the DFT/NEB engines' settings (pipeline/dft/dft_settings.hpp); with engine = qe,
  // cp2k or vasp, site defaults to <data>/cluster/sites/local.ini
  dft::DftSettings dft;

  // [jobs]
  std::string backend = "local";     ///< local | slurm
  int max_in_flight = 2;             ///< jobs submitted and not finished, at most
  int retries = 2;                   ///< extra attempts after a retryable failure
  int time_limit_minutes = 60;       ///< per job wall time; whole minutes or "90s" (rounded up)
  double poll_seconds = 1.0;         ///< between polls; "2s", "500ms"
  std::filesystem::path slurm_profile;  ///< site profile (cluster/slurm/profiles/*.ini); with
                                        ///< backend = slurm, default <data>/cluster/slurm/
                                        ///< profiles/local.ini

  bool operator==(const CampaignConfig&) const = default;
};

/// Read an INI campaign file and apply overrides ("section.key=value", in order). InputError
/// (pipeline/error.hpp) on any problem; nothing is created or written.
CampaignConfig load_campaign_config(const std::filesystem::path& file,
                                    const std::vector<std::string>& overrides = {});

/// The same from INI text; `origin` names it in errors and its folder anchors relative paths.
CampaignConfig parse_campaign_config(const std::string& text, const std::filesystem::path& origin,
                                     const std::vector<std::string>& overrides = {});

/// The INI text of a config (every key, absolute paths): what the campaign file stores as its
/// snapshot, and what load_campaign_config reads back to the same config.
std::string to_ini(const CampaignConfig& config);

/// Where the project's data lives (cluster/, inputs/): $IONSCREEN_HOME if set, else the source
/// tree the program was built from.
std::filesystem::path data_directory();

}  // namespace ionscreen::pipeline
