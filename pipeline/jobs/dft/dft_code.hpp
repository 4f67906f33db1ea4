#pragma once
/// One DFT/NEB code (Quantum ESPRESSO, CP2K, VASP) as the stage runner
/// (pipeline/jobs/dft/stages.hpp) sees it: it writes the inputs of a stage into the stage's folder
/// and names the command that runs it, and it reads the stage's outputs back into numbers and a
/// verdict. It runs nothing and keeps no state: everything it needs is in the folder and the
/// arguments.
///
/// Two stages per hop, as practitioners do: relax each end point (fixed cell), then a
/// climbing-image NEB between the relaxed end points. A stage that fails in a recognised way is
/// written again with a bounded correction (`Corrections`) and run again from its last state.
#include <cmath>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pipeline/jobs/dft/dft_settings.hpp"
#include "structures/crystal.hpp"

namespace ionscreen::pipeline::dft {

/// What went wrong in a stage, in the categories the corrections act on.
enum class Problem {
  none,               ///< converged
  scf_not_converged,  ///< an electronic self-consistency loop hit its step cap
  steps_exhausted,    ///< the relaxation or the band hit its step cap unconverged
  cut_off,            ///< the output is missing or ends mid-run (wall time, killed, node lost)
  crashed,            ///< the code stopped with an error message (kept in `reason`)
  bad_input,          ///< the code rejected its input: another try would not help
};
const char* to_string(Problem problem);

/// Corrections applied so far to a stage (0 = first try). Each code maps a level to its own
/// keywords, e.g. scf level 1 = smaller mixing and twice the SCF steps.
struct Corrections {
  int scf = 0;       ///< 0..3, electronic convergence aids
  int restarts = 0;  ///< times the stage restarted from its last state
};

/// The command that runs a stage: run in the stage folder, stdout and stderr to `log` (a file
/// name in the stage folder).
struct Command {
  std::vector<std::string> argv;
  std::string log;
};

struct RelaxResult {
  Problem problem = Problem::cut_off;
  std::string reason;                       ///< for a problem: the code's words or ours
  double energy = std::nan("");             ///< eV, total energy of the last complete ionic step
  double max_force = std::nan("");          ///< eV/Å, largest force on a free atom at that step
  int steps = 0;                            ///< complete ionic steps
  std::optional<structures::Crystal> last;  ///< the geometry to continue from: the last one
                                            ///< the code wrote (same atom order as the input)
};

struct NebResult {
  Problem problem = Problem::cut_off;
  std::string reason;
  std::vector<double> energies;           ///< eV, total energy of every image of the last complete
                                          ///< band step, end points included (images + 2 values)
  std::vector<double> max_forces;         ///< eV/Å, the NEB force per image as the code reports it
                                          ///< (all images + 2, or only the intermediate ones)
  int steps = 0;                          ///< complete band steps
  std::vector<structures::Crystal> band;  ///< geometries of the last complete step, end points
                                          ///< included; empty if the code has not written any
};

class DftCode {
 public:
  virtual ~DftCode() = default;
  virtual std::string name() const = 0;  ///< qe | cp2k | vasp

  /// Everything that can be checked before a job runs, for a structure made of `elements`:
  /// the functional and method are known to this code, every element has its pseudopotential /
  /// basis / PAW file and the file exists, code-specific `extra` keys are well formed.
  /// InputError naming the [dft] key, the value and what would be accepted.
  virtual void check(const DftSettings& settings, const std::set<std::string>& elements) const = 0;

  /// Writes the relaxation of `structure` (Site::fixed marks held coordinates) into `dir`, which
  /// exists and may hold an earlier try's files (the code removes what would confuse it, e.g.
  /// CP2K's appended output).
  virtual Command write_relax(const std::filesystem::path& dir,
                              const structures::Crystal& structure, const DftSettings& settings,
                              const DftSite& site, const Corrections& corrections) const = 0;
  /// Reads `dir`'s relaxation; `input` is the structure it started from (atom order, fixed).
  virtual RelaxResult read_relax(const std::filesystem::path& dir,
                                 const structures::Crystal& input) const = 0;

  /// Writes the CI-NEB through `band` (relaxed start, the intermediate images, relaxed end; every
  /// atom of the end already at the periodic copy nearest its start position). `end_energies`
  /// are the relaxed end points' energies (eV), for codes that take them instead of recomputing.
  virtual Command write_neb(const std::filesystem::path& dir,
                            const std::vector<structures::Crystal>& band,
                            const std::pair<double, double>& end_energies,
                            const DftSettings& settings, const DftSite& site,
                            const Corrections& corrections) const = 0;
  /// Reads `dir`'s band; `band` is the one it was written from.
  virtual NebResult read_neb(const std::filesystem::path& dir,
                             const std::vector<structures::Crystal>& band,
                             const DftSettings& settings) const = 0;

  /// Files or folders in a stage folder not worth carrying into a retry (wave functions, scratch).
  virtual std::vector<std::string> scratch() const { return {}; }
};

}  // namespace ionscreen::pipeline::dft
