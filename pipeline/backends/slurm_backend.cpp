#include "pipeline/backends/slurm_backend.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <set>
#include <sstream>
#include <utility>

#include "pipeline/base/atomic_file.hpp"
#include "pipeline/base/error.hpp"
#include "pipeline/base/strings.hpp"
#include "structures/error.hpp"
#include "structures/ini.hpp"

namespace ionscreen::pipeline {
namespace {

std::string trim(std::string_view s) {
  const auto* ws = " \t\r\n";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) out.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

/// Job ids as Slurm prints them: digits, array jobs with `_index`, het jobs with `+offset`.
bool plausible_id(std::string_view id) {
  if (id.empty() || !std::isdigit(static_cast<unsigned char>(id.front()))) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '+';
  });
}

std::string first_words(std::string_view text) {
  auto t = trim(text);
  return t.empty() ? std::string("(no message)") : t;
}

/// "partition = x, account = y, ..." of the profile's set options, or "no options".
std::string profile_summary(const SlurmProfile& p) {
  std::vector<std::string> set;
  if (!p.partition.empty()) set.push_back("partition = " + p.partition);
  if (!p.account.empty()) set.push_back("account = " + p.account);
  if (!p.time_limit.empty()) set.push_back("time_limit = " + p.time_limit);
  if (p.nodes > 0) set.push_back("nodes = " + std::to_string(p.nodes));
  if (p.ntasks > 0) set.push_back("ntasks = " + std::to_string(p.ntasks));
  set.push_back("cpus_per_task = " + std::to_string(p.cpus_per_task));
  return join(set, ", ");
}

int positive_int(const std::string& value, const std::string& where) {
  int n = 0;
  std::size_t used = 0;
  try {
    n = std::stoi(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || value.empty() || n <= 0) {
    throw InputError(where + ": expected a positive integer, got '" + value + "'");
  }
  return n;
}

}  // namespace

// ------------------------------------------------------------------------------ profile

bool is_configuration_refusal(std::string_view sbatch_error) {
  // sbatch's words (any case) when the job's own options are wrong (Slurm 22.05: the client's
  // "invalid partition specified", "Invalid --time specification", the controller's errors of
  // src/common/slurm_errno.c); a busy or restarting controller says "Socket timed out", "Unable
  // to contact", "temporarily unable", which trying again may cure.
  static constexpr const char* kPermanent[] = {
      "invalid partition",
      "invalid account",
      "invalid qos",
      "invalid wckey",
      "invalid feature specification",
      "invalid generic resource",
      "invalid --",
      "requested time limit is invalid",
      "requested node configuration is not available",
      "requested partition configuration not available",
      "node count specification invalid",
      "more processors requested than permitted",
      "invalid job array specification",
      "unrecognized option",
      "invalid option",
  };
  std::string lower(sbatch_error);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::any_of(std::begin(kPermanent), std::end(kPermanent),
                     [&](const char* words) { return lower.find(words) != std::string::npos; });
}

SlurmProfile load_slurm_profile(const std::filesystem::path& file) {
  structures::Ini ini;
  try {
    ini = structures::read_ini(file, "Slurm site profile");
  } catch (const structures::InputError& e) {
    throw InputError(e.what());
  }
  SlurmProfile profile;
  profile.file = file;
  for (const auto& section : ini.sections) {
    if (!section.name.empty() && section.name != "slurm") {
      throw InputError(ini.where(section.line) + ": unknown section [" + section.name +
                       "] (expected [slurm])");
    }
    for (const auto& [key, value, line] : section.entries) {
      const std::string where = ini.where(line) + ": key '" + key + "'";
      if (section.name != "slurm") throw InputError(where + ": outside the [slurm] section");
      if (key == "partition") {
        profile.partition = value;
      } else if (key == "account") {
        profile.account = value;
      } else if (key == "time_limit") {
        profile.time_limit = value;
      } else if (key == "nodes") {
        profile.nodes = value.empty() ? 0 : positive_int(value, where);
      } else if (key == "ntasks") {
        profile.ntasks = value.empty() ? 0 : positive_int(value, where);
      } else if (key == "cpus_per_task") {
        profile.cpus_per_task = value.empty() ? 1 : positive_int(value, where);
      } else if (key == "modules") {
        std::istringstream words(value);
        std::string word;
        while (words >> word) profile.modules.push_back(word);
      } else {
        throw InputError(where +
                         ": unknown key (known: partition, account, time_limit, nodes, "
                         "ntasks, cpus_per_task, modules)");
      }
    }
  }
  return profile;
}

// ------------------------------------------------------------------------------ rendering

std::string shell_quote(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("shell_quote: a NUL byte cannot be passed in an argument");
  }
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

std::string render_batch_script(const SlurmProfile& profile, const std::vector<std::string>& argv) {
  if (argv.empty()) throw SchedulerError("Slurm job: empty argument vector");
  std::string s;
  s += "#!/usr/bin/env bash\n";
  s += "# Written by ionscreen's Slurm backend: the job's wrapper, run with its argument vector.\n";
  s += "set -euo pipefail\n";
  if (!profile.modules.empty()) {
    s += "command -v module >/dev/null 2>&1 || "
         "{ echo 'slurm.sh: the site profile names modules but there is no module command' >&2; "
         "exit 127; }\n";
    for (const auto& m : profile.modules) {
      s += "module load ";
      s += shell_quote(m);
      s += '\n';
    }
  }
  s += "exec";
  for (const auto& a : argv) {
    s += ' ';
    s += shell_quote(a);
  }
  s += '\n';
  return s;
}

std::string slurm_filename_pattern(const std::string& path) {
  if (path.find('\\') != std::string::npos) return path;
  std::string out;
  for (char c : path) {
    out += c;
    if (c == '%') out += '%';
  }
  return out;
}

std::vector<std::string> sbatch_arguments(const SlurmProfile& profile, const Submission& sub) {
  const auto dir = sub.directory.string();
  const auto script = (sub.directory / "slurm.sh").string();
  std::vector<std::string> a{"sbatch", "--parsable"};
  a.push_back("--job-name=" + sub.name);
  a.push_back("--chdir=" + dir);
  a.push_back("--output=" + slurm_filename_pattern((sub.directory / "stdout").string()));
  a.push_back("--error=" + slurm_filename_pattern((sub.directory / "stderr").string()));
  if (sub.time_limit_minutes > 0) {
    a.push_back("--time=" + std::to_string(sub.time_limit_minutes));
  } else if (!profile.time_limit.empty()) {
    a.push_back("--time=" + profile.time_limit);
  }
  a.push_back("--cpus-per-task=" + std::to_string(std::max(sub.cpus, profile.cpus_per_task)));
  if (profile.nodes > 0) a.push_back("--nodes=" + std::to_string(profile.nodes));
  if (profile.ntasks > 0) a.push_back("--ntasks=" + std::to_string(profile.ntasks));
  if (!profile.partition.empty()) a.push_back("--partition=" + profile.partition);
  if (!profile.account.empty()) a.push_back("--account=" + profile.account);
  a.push_back("--");
  a.push_back(script);
  return a;
}

// ------------------------------------------------------------------------------ parsing

std::string parse_sbatch_id(std::string_view out) {
  auto text = trim(out);
  const auto nl = text.find_last_of('\n');  // warnings may precede the id
  if (nl != std::string::npos) text = trim(std::string_view(text).substr(nl + 1));
  const auto semi = text.find(';');
  if (semi != std::string::npos) text.resize(semi);
  if (!plausible_id(text)) {
    throw SchedulerError("sbatch printed no job id: '" + first_words(out) + "'");
  }
  return text;
}

JobState map_slurm_state(std::string_view state) {
  // sacct prints "CANCELLED by <uid>"; squeue may append '+' in some versions.
  auto word = std::string(state.substr(0, state.find(' ')));
  while (!word.empty() && word.back() == '+') word.pop_back();
  static const std::map<std::string, JobState, std::less<>> table{
      {"PENDING", JobState::queued},       {"REQUEUED", JobState::queued},
      {"REQUEUE_FED", JobState::queued},   {"REQUEUE_HOLD", JobState::queued},
      {"RESV_DEL_HOLD", JobState::queued}, {"CONFIGURING", JobState::running},
      {"RUNNING", JobState::running},      {"COMPLETING", JobState::running},
      {"SUSPENDED", JobState::running},    {"STOPPED", JobState::running},
      {"SIGNALING", JobState::running},    {"STAGE_OUT", JobState::running},
      {"RESIZING", JobState::running},     {"COMPLETED", JobState::finished},
      {"FAILED", JobState::failed},        {"NODE_FAIL", JobState::failed},
      {"OUT_OF_MEMORY", JobState::failed}, {"BOOT_FAIL", JobState::failed},
      {"PREEMPTED", JobState::failed},     {"SPECIAL_EXIT", JobState::failed},
      {"TIMEOUT", JobState::timed_out},    {"DEADLINE", JobState::timed_out},
      {"CANCELLED", JobState::cancelled},  {"REVOKED", JobState::cancelled},
  };
  const auto it = table.find(word);
  return it == table.end() ? JobState::unknown : it->second;
}

std::vector<SlurmRecord> parse_squeue_states(std::string_view text) {
  std::vector<SlurmRecord> out;
  for (auto line : lines_of(text)) {
    const auto a = line.find('|');
    if (a == std::string_view::npos) continue;
    const auto b = line.find('|', a + 1);
    SlurmRecord r;
    r.id = trim(line.substr(0, a));
    r.state = trim(line.substr(a + 1, b == std::string_view::npos ? line.npos : b - a - 1));
    if (b != std::string_view::npos) r.reason = trim(line.substr(b + 1));
    if (plausible_id(r.id)) out.push_back(std::move(r));
  }
  return out;
}

std::vector<SlurmRecord> parse_squeue_names(std::string_view text) {
  std::vector<SlurmRecord> out;
  for (auto line : lines_of(text)) {
    const auto a = line.find('|');
    if (a == std::string_view::npos) continue;
    SlurmRecord r;
    r.id = trim(line.substr(0, a));
    r.name = std::string(line.substr(a + 1));
    if (plausible_id(r.id)) out.push_back(std::move(r));
  }
  return out;
}

std::vector<SlurmRecord> parse_sacct_records(std::string_view text) {
  std::vector<SlurmRecord> out;
  for (auto line : lines_of(text)) {
    // JobID|JobName|State|ExitCode: the name is everything between the first and the
    // second-to-last separator.
    const auto a = line.find('|');
    const auto c = line.rfind('|');
    if (a == std::string_view::npos || c == a) continue;
    const auto b = line.rfind('|', c - 1);
    if (b == a || b == std::string_view::npos) continue;
    SlurmRecord r;
    r.id = trim(line.substr(0, a));
    r.name = std::string(line.substr(a + 1, b - a - 1));
    r.state = trim(line.substr(b + 1, c - b - 1));
    r.exit_code = trim(line.substr(c + 1));
    if (plausible_id(r.id)) out.push_back(std::move(r));
  }
  return out;
}

std::vector<SlurmRecord> parse_scontrol_jobs(std::string_view text) {
  // One job per line (`scontrol -o`), fields `Key=value` separated by spaces. JobName may hold
  // spaces: it runs up to the next " UserId=".
  std::vector<SlurmRecord> out;
  auto field = [](std::string_view line, std::string_view key) -> std::string {
    std::string pattern = " ";
    pattern += key;
    pattern += '=';
    std::string padded = " ";
    padded += line;
    const auto at = padded.find(pattern);
    if (at == std::string::npos) return {};
    const auto start = at + pattern.size();
    auto end = padded.find(' ', start);
    if (key == "JobName") end = padded.find(" UserId=", start);
    return padded.substr(start, end == std::string::npos ? std::string::npos : end - start);
  };
  for (auto line : lines_of(text)) {
    SlurmRecord r;
    r.id = field(line, "JobId");
    r.name = field(line, "JobName");
    r.state = field(line, "JobState");
    r.reason = field(line, "Reason");
    r.exit_code = field(line, "ExitCode");
    if (plausible_id(r.id)) out.push_back(std::move(r));
  }
  return out;
}

JobReport report_from_record(const SlurmRecord& record) {
  JobReport report;
  report.scheduler_id = record.id;
  report.state = map_slurm_state(record.state);
  switch (report.state) {
    case JobState::queued:
      report.reason = record.reason;
      break;
    case JobState::running:
      report.reason = record.state == "RUNNING" ? std::string() : record.state;
      break;
    case JobState::unknown:
      report.reason = "unrecognised Slurm state '" + record.state + "'";
      break;
    default:
      report.reason = record.state;
      if (!record.exit_code.empty()) {
        report.reason += ", exit code ";
        report.reason += record.exit_code;
      } else if (!record.reason.empty() && record.reason != "None") {
        report.reason += ", ";
        report.reason += record.reason;
      }
      break;
  }
  return report;
}

// ------------------------------------------------------------------------------ backend

SlurmBackend::SlurmBackend(SlurmProfile profile, CommandRunner runner)
    : profile_(std::move(profile)), runner_(std::move(runner)) {}

CommandResult SlurmBackend::run(const std::vector<std::string>& argv) {
  ++calls_[argv.at(0)];
  return runner_(argv);
}

int SlurmBackend::calls(const std::string& program) const {
  const auto it = calls_.find(program);
  return it == calls_.end() ? 0 : it->second;
}

std::string SlurmBackend::submit(const Submission& submission) {
  if (submission.argv.empty())
    throw SchedulerError("job " + submission.job_id + ": empty argv", true);
  std::error_code ec;
  if (!std::filesystem::is_directory(submission.directory, ec)) {
    throw SchedulerError(
        "job " + submission.job_id + ": no job directory " + submission.directory.string(), true);
  }
  std::string script;
  try {
    script = render_batch_script(profile_, submission.argv);
  } catch (const std::invalid_argument& e) {
    throw SchedulerError("job " + submission.job_id + ": " + e.what(), true);
  }
  write_atomically(submission.directory / "slurm.sh", script);
  const auto result = run(sbatch_arguments(profile_, submission));
  if (result.exit_code != 0) {
    const bool permanent = is_configuration_refusal(result.err);
    throw SchedulerError(
        "sbatch refused job " + submission.job_id + " (exit " + std::to_string(result.exit_code) +
            "): " + first_words(result.err) +
            (permanent ? "; the job's options come from the site profile " +
                             profile_.file.string() + " (" + profile_summary(profile_) +
                             ") and the campaign's [jobs] time_limit: fix them, then resume"
                       : ""),
        permanent);
  }
  return parse_sbatch_id(result.out);
}

std::vector<SlurmRecord> SlurmBackend::ended_records(const std::vector<std::string>& ids) {
  std::vector<std::string> argv{"sacct", "-c", "-n", "-P"};
  if (ids.empty()) {
    argv.insert(argv.end(), {"-S", "2000-01-01T00:00:00"});
  } else {
    argv.push_back("-j");
    argv.push_back(join(ids, ","));
  }
  argv.insert(argv.end(), {"-o", "JobID,JobName,State,ExitCode"});
  const auto sacct = run(argv);
  if (sacct.exit_code == 0) return parse_sacct_records(sacct.out);
  // No job completion log: the controller's own records (jobs that ended within MinJobAge).
  const auto scontrol = run({"scontrol", "-o", "show", "job"});
  if (scontrol.exit_code != 0) {
    if (scontrol.err.find("No jobs in the system") != std::string::npos) return {};
    throw SchedulerError("sacct -c failed (" + first_words(sacct.err) +
                         ") and scontrol show job failed: " + first_words(scontrol.err));
  }
  return parse_scontrol_jobs(scontrol.out);
}

std::map<std::string, JobReport> SlurmBackend::poll(const std::vector<std::string>& scheduler_ids) {
  std::map<std::string, JobReport> reports;
  std::vector<std::string> asked;
  for (const auto& id : scheduler_ids) {
    JobReport r;
    r.scheduler_id = id;
    if (!plausible_id(id)) {
      r.reason = "not a Slurm job id";
    } else {
      r.reason = "not known to squeue or sacct -c";
      if (reports.count(id) == 0) asked.push_back(id);
    }
    reports[id] = r;
  }
  if (asked.empty()) return reports;

  const auto squeue = run({"squeue", "-h", "-t", "all", "-j", join(asked, ","), "-o", "%i|%T|%r"});
  if (squeue.exit_code != 0 && squeue.err.find("Invalid job id") == std::string::npos) {
    throw SchedulerError("squeue failed (exit " + std::to_string(squeue.exit_code) +
                         "): " + first_words(squeue.err));
  }
  std::set<std::string> found;
  if (squeue.exit_code == 0) {
    for (const auto& rec : parse_squeue_states(squeue.out)) {
      const auto it = reports.find(rec.id);
      if (it == reports.end()) continue;
      it->second = report_from_record(rec);
      found.insert(rec.id);
    }
  }
  std::vector<std::string> missing;
  for (const auto& id : asked)
    if (found.count(id) == 0) missing.push_back(id);
  if (missing.empty()) return reports;

  std::map<std::string, SlurmRecord> last;  // the last record of an id wins (requeues)
  for (auto& rec : ended_records(missing)) last[rec.id] = std::move(rec);
  for (const auto& id : missing) {
    const auto it = last.find(id);
    if (it != last.end()) reports[id] = report_from_record(it->second);
  }
  return reports;
}

void SlurmBackend::cancel(const std::string& scheduler_id) {
  if (!plausible_id(scheduler_id)) {
    throw SchedulerError("scancel: '" + scheduler_id + "' is not a Slurm job id");
  }
  const auto result = run({"scancel", scheduler_id});
  if (result.exit_code != 0 && result.err.find("Invalid job id") == std::string::npos &&
      result.err.find("already completing or completed") == std::string::npos) {
    throw SchedulerError("scancel " + scheduler_id + " failed: " + first_words(result.err));
  }
}

std::vector<std::string> SlurmBackend::find_by_name(const std::string& prefix) {
  const auto squeue = run({"squeue", "-h", "-t", "all", "-o", "%i|%j"});
  if (squeue.exit_code != 0) {
    throw SchedulerError("squeue failed (exit " + std::to_string(squeue.exit_code) +
                         "): " + first_words(squeue.err));
  }
  auto records = parse_squeue_names(squeue.out);
  for (auto& rec : ended_records({})) records.push_back(std::move(rec));
  std::set<std::string> ids;
  for (const auto& rec : records) {
    if (rec.name.compare(0, prefix.size(), prefix) == 0) ids.insert(rec.id);
  }
  std::vector<std::string> out(ids.begin(), ids.end());
  std::sort(out.begin(), out.end(), [](const std::string& x, const std::string& y) {
    return x.size() != y.size() ? x.size() < y.size() : x < y;
  });
  return out;
}

}  // namespace ionscreen::pipeline
