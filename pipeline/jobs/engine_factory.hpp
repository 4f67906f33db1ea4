#pragma once
/// The engines ionscreen has, chosen by a campaign file's [engine] section: the built-in BVSE
/// estimator, the table look-up (virtual campaigns and fault injection), and the DFT/NEB codes of
/// jobs/dft/. Each runs its job directory through a wrapper in cluster/wrappers/.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/base/enum_names.hpp"
#include "pipeline/jobs/dft/dft_settings.hpp"
#include "pipeline/jobs/engine.hpp"

namespace ionscreen::pipeline {

enum class EngineKind { bvse, table, qe, cp2k, vasp };
template <>
struct EnumNames<EngineKind> {
  static constexpr std::pair<EngineKind, const char*> values[] = {{EngineKind::bvse, "bvse"},
                                                                  {EngineKind::table, "table"},
                                                                  {EngineKind::qe, "qe"},
                                                                  {EngineKind::cp2k, "cp2k"},
                                                                  {EngineKind::vasp, "vasp"}};
};
/// qe, cp2k and vasp: the engines whose jobs run a DFT/NEB code (jobs/dft/).
bool runs_dft(EngineKind kind);

/// Which BVSE barrier is the job's E_b: percolation in 1, 2 or 3 dimensions (the names are those
/// of job.json and the landscape tables).
enum class BvseBarrier { e1d, e2d, e3d };
template <>
struct EnumNames<BvseBarrier> {
  static constexpr std::pair<BvseBarrier, const char*> values[] = {
      {BvseBarrier::e1d, "E_1D"}, {BvseBarrier::e2d, "E_2D"}, {BvseBarrier::e3d, "E_3D"}};
};

/// A campaign file's [engine] section (inputs/campaigns/README.md lists the keys).
struct EngineSettings {
  EngineKind kind = EngineKind::bvse;      ///< [engine] name
  BvseBarrier barrier = BvseBarrier::e1d;  ///< bvse
  double grid_spacing = 0.2;               ///< bvse grid, Å
  std::filesystem::path table;             ///< table engine: the CSV E_b is looked up in
  std::string table_key = "compound";      ///< its key column
  std::string table_column = "E_b";        ///< its barrier column
  std::string faults;  ///< table engine: "fail=0.1,hang=0.05,garbage=0.05" (jobs/faults.hpp)

  bool operator==(const EngineSettings&) const = default;
};

/// What an engine needs besides its settings.
struct EngineContext {
  std::filesystem::path origin;   ///< the campaign file, for messages
  std::filesystem::path program;  ///< the ionscreen binary the wrappers call
  std::filesystem::path inputs;   ///< elements/, bvse/ for the built-in engines
  std::uint64_t seed = 1;         ///< the fault-injection seed (table engine)
  /// DFT codes: the programs must be runnable on this machine (jobs run here, and the site has
  /// no setup script that could put them on PATH inside the job).
  bool programs_run_here = false;
};

/// The engine `settings` name. Built-in engines run `/usr/bin/env IONSCREEN=<program>
/// IONSCREEN_INPUTS=<inputs> bash <data_directory()>/cluster/wrappers/<engine>.sh <absolute
/// dir>` (paths with a '/' made absolute); the DFT codes run cluster/wrappers/dft.sh with
/// IONSCREEN_SITE_SETUP set as well. InputError naming the campaign file and key for [engine]
/// faults with another engine than table or not accepted by parse_faults, for engine = table
/// without an absolute table, for a site profile that cannot be read, and (programs_run_here)
/// for a code's program that cannot be run here.
std::unique_ptr<Engine> make_engine(const EngineSettings& settings, const dft::DftSettings& dft,
                                    const EngineContext& context);

}  // namespace ionscreen::pipeline
