#pragma once
/// Finding processes through Linux's /proc: what LocalBackend needs to recognise and follow jobs an
/// earlier (crashed) campaign process started. A pid alone can be reused once its process is gone;
/// the pair (pid, start time) names one process for as long as the machine is up.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace ionscreen::pipeline {

/// What /proc/<pid>/stat says of a process.
struct ProcStat {
  pid_t pid = 0;
  char state = '?';  ///< R, S, D, T, ... or Z (a zombie: ended, not yet reaped)
  pid_t process_group = 0;
  unsigned long long start_time = 0;  ///< clock ticks after boot (field 22)
};

/// /proc/<pid>/stat, or nothing when there is no such process (or it cannot be read).
std::optional<ProcStat> read_proc_stat(pid_t pid);

/// A process found by its environment.
struct TaggedProcess {
  ProcStat stat;
  std::string value;  ///< the value of the variable searched for
};

/// The processes of this user (real uid) that lead their process group (pid == process group), are
/// not zombies, and were started with `variable` set to a value beginning with `prefix`; in order
/// of start time. Processes whose environment cannot be read are passed over.
std::vector<TaggedProcess> find_group_leaders(const std::string& variable,
                                              const std::string& prefix);

}  // namespace ionscreen::pipeline
