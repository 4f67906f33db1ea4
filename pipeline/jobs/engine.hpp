#pragma once
/// Engines behind the job protocol (docs/job_protocol.md). An engine writes a job directory's
/// inputs, names the wrapper that runs it, and reads its outcome back; it never runs anything
/// itself (a Backend does) and keeps no state, so a restarted campaign reads the same outcome
/// from the same directory. The engines ionscreen has are made by jobs/engine_factory.hpp.
#include <filesystem>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace ionscreen::pipeline {

/// One (candidate, attempt) to compute.
struct JobSpec {
  std::string job_id;         ///< unique in the campaign, a safe file name ("c000017-a1")
  std::string candidate;      ///< the candidate's name (e.g. "LiFeSO4F"), the table engine's key
  std::string carrier;        ///< Li or Na
  std::string structure_cif;  ///< the relaxed structure with oxidation states (may be empty for
                              ///< engines that need none, such as table)
  int attempt = 1;
  std::filesystem::path previous_attempt;  ///< the previous attempt's directory (attempt > 1):
                                           ///< engines with stages go on from its last state
};

/// What a job directory says about a job: no final status yet (not started, or still running),
/// a barrier, or a failure.
struct JobPending {};
struct JobDone {
  double e_b = 0.0;  ///< eV, finite
};
struct JobFailed {
  std::string reason;      ///< in the engine's or our words
  bool retryable = false;  ///< would another attempt help (crash, garbage) or not (bad input,
                           ///< no percolating path)?
};
using JobOutcome = std::variant<JobPending, JobDone, JobFailed>;

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string name() const = 0;
  /// Whether the campaign must create the job directory before write_inputs (false for an
  /// engine that computes in this process and writes nothing, such as TableOracle).
  virtual bool needs_directory() const { return true; }
  /// Called once when a campaign starts, with the elements of its candidates: InputError for
  /// anything the engine lacks for them (a DFT code's pseudopotentials, say).
  virtual void check_elements(const std::set<std::string>& /*elements*/) const {}
  /// Writes job.json (protocol 1) and the engine's inputs into `dir`, which exists. Idempotent:
  /// the same spec gives the same files, written atomically.
  virtual void write_inputs(const JobSpec& job, const std::filesystem::path& dir) const = 0;
  /// The argument vector that runs the job in `dir` (the wrapper from cluster/wrappers/ with the
  /// environment it needs passed explicitly); never a shell string.
  virtual std::vector<std::string> argv(const std::filesystem::path& dir) const = 0;
  /// Reads `dir`'s status and result.json (common to every engine speaking protocol 1). A
  /// result.json that is unreadable, from another job, or whose E_b is missing or not finite is a
  /// retryable failure naming the file and the problem; never an exception.
  /// No status or "running": pending (whether the process still runs is the backend's to say).
  /// "failed: <reason>": failed with the engine's reason, not retryable. "done" with E_b null and
  /// "percolates": false (BVSE): failed, not retryable, "no percolating path below 10 eV".
  virtual JobOutcome read_outcome(const std::filesystem::path& dir,
                                  const std::string& job_id) const;
};

}  // namespace ionscreen::pipeline
