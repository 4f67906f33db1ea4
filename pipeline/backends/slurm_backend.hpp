#pragma once
/// The Slurm backend: sbatch / squeue / sacct -c / scancel, each run as an argument vector (never
/// through a shell). A site profile (cluster/slurm/profiles/*.ini) holds what differs between
/// clusters. The parsers of the scheduler's output are free functions so that they can be tested
/// on recorded text; the process runner can be replaced by a fake.
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/backends/backend.hpp"
#include "pipeline/backends/process.hpp"

namespace ionscreen::pipeline {

/// A site profile, section `[slurm]` of an INI file. Empty strings and zero counts mean
/// "do not pass this option to sbatch".
struct SlurmProfile {
  std::filesystem::path file;        ///< where it was read from (for messages)
  std::string partition;             ///< --partition
  std::string account;               ///< --account
  std::string time_limit;            ///< --time when a submission names no limit (Slurm's format)
  std::vector<std::string> modules;  ///< `module load` in the batch script, in this order
  int nodes = 0;                     ///< --nodes (0: not passed)
  int ntasks = 0;                    ///< --ntasks (0: not passed)
  int cpus_per_task = 1;  ///< --cpus-per-task: the least a job gets (see sbatch_arguments)
};

/// Reads a site profile (INI syntax of structures/ini.hpp). Throws InputError naming the file,
/// the line and the key for a missing file, a line that is not `key = value`, a repeated key, a
/// key outside `[slurm]`, an unknown key, or a count that is not a positive integer.
SlurmProfile load_slurm_profile(const std::filesystem::path& file);

using CommandRunner = std::function<CommandResult(const std::vector<std::string>&)>;

/// `text` as one single-quoted POSIX shell word: `'` becomes `'\''`; the empty string is `''`.
/// Throws std::invalid_argument for text containing a NUL byte (no shell word can hold one).
std::string shell_quote(std::string_view text);

/// The batch script `<dir>/slurm.sh`: strict bash, `module load` for each profile module, then
/// `exec` of `argv`, each element quoted with shell_quote (nothing else comes from data).
std::string render_batch_script(const SlurmProfile& profile, const std::vector<std::string>& argv);

/// A path for sbatch's --output/--error: `%` is doubled so Slurm's filename patterns (%j, ...)
/// do not rewrite it (a path with a backslash is left alone: Slurm then does no substitution).
std::string slurm_filename_pattern(const std::string& path);

/// The sbatch argument vector for a submission (the script is `<dir>/slurm.sh`).
/// --time: the submission's minutes when > 0, else the profile's time_limit, else not passed.
/// --cpus-per-task: the larger of the submission's cpus and the profile's cpus_per_task.
std::vector<std::string> sbatch_arguments(const SlurmProfile& profile,
                                          const Submission& submission);

/// Whether sbatch's error output says the job's options are wrong (an invalid partition, account,
/// QOS or time limit): a refusal trying again cannot cure, unlike a busy controller.
bool is_configuration_refusal(std::string_view sbatch_error);

/// The job id in `sbatch --parsable` output ("123" or "123;cluster"). Throws SchedulerError
/// when it is not an id.
std::string parse_sbatch_id(std::string_view out);

/// Slurm's job state names (squeue %T, sacct State, scontrol JobState) to JobState. "CANCELLED by
/// 0" counts as CANCELLED; names this code does not know give JobState::unknown.
JobState map_slurm_state(std::string_view state);

/// One line of scheduler output about a job.
struct SlurmRecord {
  std::string id;
  std::string name;       ///< empty where the format has no name
  std::string state;      ///< Slurm's name, e.g. PENDING, COMPLETED, CANCELLED by 0
  std::string reason;     ///< squeue %r / scontrol Reason
  std::string exit_code;  ///< sacct ExitCode / scontrol ExitCode, e.g. "1:0"
};

/// `squeue -h -o "%i|%T|%r"` lines (the reason may itself contain '|').
std::vector<SlurmRecord> parse_squeue_states(std::string_view text);
/// `squeue -h -o "%i|%j"` lines (the name may contain '|').
std::vector<SlurmRecord> parse_squeue_names(std::string_view text);
/// `sacct -c -n -P -o JobID,JobName,State,ExitCode` lines (the name may contain '|').
std::vector<SlurmRecord> parse_sacct_records(std::string_view text);
/// `scontrol -o show job` lines (JobId=, JobName=, JobState=, Reason=, ExitCode=).
std::vector<SlurmRecord> parse_scontrol_jobs(std::string_view text);

/// The report for one scheduler record (state mapped, reason chosen for the state: the pending
/// reason for queued jobs, the state and exit code for ended ones).
JobReport report_from_record(const SlurmRecord& record);

/// Jobs on a Slurm cluster. Holds no state beyond the profile and call counters: everything
/// `poll` and `find_by_name` answer comes from the scheduler.
///
/// poll(ids): one `squeue -h -t all -j ids -o %i|%T|%r` (`-t all` also shows jobs that ended
/// within MinJobAge) and, for ids squeue no longer knows, one `sacct -c -n -P -j ids -o
/// JobID,JobName,State,ExitCode` (the jobcomp/filetxt records; the last record of an id wins).
/// Only when `sacct -c` fails (no job completion log) one `scontrol -o show job` (all jobs the
/// controller still holds) replaces it. Ids in neither are `unknown`.
class SlurmBackend : public Backend {
 public:
  explicit SlurmBackend(SlurmProfile profile, CommandRunner runner = run_argv);

  /// Writes `<dir>/slurm.sh` and runs sbatch. Throws SchedulerError with sbatch's stderr.
  std::string submit(const Submission& submission) override;
  std::map<std::string, JobReport> poll(const std::vector<std::string>& scheduler_ids) override;
  /// `scancel id`; Slurm already treats finished or unknown ids as success.
  void cancel(const std::string& scheduler_id) override;
  /// One `squeue -h -t all -o %i|%j` plus one `sacct -c` (all records since 2000), filtered by
  /// name prefix; ids sorted numerically, no duplicates.
  std::vector<std::string> find_by_name(const std::string& prefix) override;

  /// How often `program` (argv[0], e.g. "squeue") has been run by this backend.
  int calls(const std::string& program) const;
  const SlurmProfile& profile() const { return profile_; }

 private:
  CommandResult run(const std::vector<std::string>& argv);
  /// sacct -c records, or scontrol's when sacct -c fails; `ids` empty: all records.
  std::vector<SlurmRecord> ended_records(const std::vector<std::string>& ids);

  SlurmProfile profile_;
  CommandRunner runner_;
  std::map<std::string, int> calls_;
};

}  // namespace ionscreen::pipeline
