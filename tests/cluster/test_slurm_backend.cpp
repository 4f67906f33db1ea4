// The Slurm backend: quoting, rendering and parsing on recorded text ([unit][slurm]) and real jobs
// on the local single-node Slurm of cluster/slurm/local-slurm.sh ([integration][slurm]).
//
// Sharing the cluster (the protocol of tests/cluster/check_local_slurm.sh): every test process
// holds a shared flock on $IONSCREEN_SLURM_DIR/users.lock while it runs; a process that found the
// cluster down leaves the marker `started-by-test`. These tests never stop the cluster (ctest
// runs them in parallel and each test case is its own process; a stop and cold start per case
// would cost ~5 s each): the last user out of check_local_slurm.sh stops a test-started cluster,
// or run `bash cluster/slurm/local-slurm.sh stop` by hand.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "pipeline/backends/slurm_backend.hpp"
#include "pipeline/base/error.hpp"

namespace fs = std::filesystem;
using namespace ionscreen::pipeline;

namespace {

const fs::path source_dir{IONSCREEN_SOURCE_DIR};

std::string random_tag() {
  std::random_device rd;
  std::ostringstream s;
  s << std::hex << rd() << rd();
  return s.str();
}

/// Starts (or joins) the local cluster once per process; see the comment at the top.
class LocalSlurm {
 public:
  static void ensure() { static LocalSlurm instance; }

 private:
  LocalSlurm() {
    const char* env = std::getenv("IONSCREEN_SLURM_DIR");
    const fs::path state = env != nullptr && *env != '\0' ? fs::path(env) : "/tmp/ionscreen-slurm";
    fs::create_directories(state);
    lock_fd_ = ::open((state / "users.lock").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    REQUIRE(lock_fd_ >= 0);
    REQUIRE(::flock(lock_fd_, LOCK_SH) == 0);  // held until the process exits
    const auto script = (source_dir / "cluster/slurm/local-slurm.sh").string();
    if (run_argv({"bash", script, "status"}).exit_code != 0) {
      std::ofstream(state / "started-by-test").flush();
    }
    const auto started = run_argv({"bash", script, "start"});
    INFO(started.err);
    REQUIRE(started.exit_code == 0);
    const std::string prefix = "export SLURM_CONF=";
    const auto at = started.out.find(prefix);
    REQUIRE(at != std::string::npos);
    auto conf = started.out.substr(at + prefix.size());
    conf = conf.substr(0, conf.find('\n'));
    REQUIRE(fs::exists(conf));  // %q leaves a plain path unquoted
    ::setenv("SLURM_CONF", conf.c_str(), 1);
  }
  int lock_fd_ = -1;
};

/// A fresh job directory whose path holds spaces and both kinds of quotes.
fs::path job_dir(const std::string& label) {
  const auto dir =
      fs::temp_directory_path() / ("ionscreen slurm 'q' \"dq\" " + random_tag()) / label;
  fs::create_directories(dir);
  return dir;
}

Submission make_submission(const std::string& name, const fs::path& dir,
                           std::vector<std::string> argv) {
  Submission s;
  s.job_id = name;
  s.name = name;
  s.directory = dir;
  s.argv = std::move(argv);
  s.cpus = 1;
  s.time_limit_minutes = 5;
  return s;
}

/// Polls until every id has ended (or 30 s); returns the last reports.
std::map<std::string, JobReport> wait_ended(SlurmBackend& backend,
                                            const std::vector<std::string>& ids) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    auto reports = backend.poll(ids);
    bool all = true;
    for (const auto& [id, r] : reports) all = all && ended(r.state);
    if (all || std::chrono::steady_clock::now() > deadline) return reports;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

SlurmProfile local_profile() {
  return load_slurm_profile(source_dir / "cluster/slurm/profiles/local.ini");
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

// ------------------------------------------------------------------------------ unit level

TEST_CASE("slurm: shell_quote makes one shell word of any text", "[unit][slurm]") {
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("abc") == "'abc'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("''") == "''\\'''\\'''");
  CHECK(shell_quote("$HOME `id` \"x\" \\ ;|&") == "'$HOME `id` \"x\" \\ ;|&'");
  CHECK_THROWS_AS(shell_quote(std::string("a\0b", 3)), std::invalid_argument);

  // Round trip through a real bash: the rendered script prints its arguments one per line.
  const std::vector<std::string> nasty{
      "plain", "",        "with space", "it's", "''", "\"dq\"",    "$(touch /tmp/pwned)",
      "`id`",  "a\\b",    "*",          "~",    "-n", "tab\there", "new\nline",
      "!x",    "${HOME}", "; rm -rf /"};
  std::vector<std::string> argv{"/usr/bin/printf", "<%s>\\n"};
  argv.insert(argv.end(), nasty.begin(), nasty.end());
  const auto dir = job_dir("quote");
  { std::ofstream(dir / "s.sh") << render_batch_script(SlurmProfile{}, argv); }
  const auto r = run_argv({"bash", (dir / "s.sh").string()});
  REQUIRE(r.exit_code == 0);
  std::string expected;
  for (const auto& a : nasty) expected += "<" + a + ">\n";
  CHECK(r.out == expected);
  fs::remove_all(dir.parent_path());
}

TEST_CASE("slurm: the batch script is strict bash with quoted modules and an exec",
          "[unit][slurm]") {
  SlurmProfile p;
  p.modules = {"vasp/6.4.2", "intel/2023"};
  const auto s = render_batch_script(p, {"/opt/wrap per", "it's"});
  CHECK(s.rfind("#!/usr/bin/env bash\n", 0) == 0);
  CHECK(s.find("\nset -euo pipefail\n") != std::string::npos);
  CHECK(s.find("\nmodule load 'vasp/6.4.2'\nmodule load 'intel/2023'\n") != std::string::npos);
  CHECK(s.find("\nexec '/opt/wrap per' 'it'\\''s'\n") != std::string::npos);
}

TEST_CASE("slurm: sbatch arguments and the site profile", "[unit][slurm]") {
  const auto p = local_profile();
  CHECK(p.partition == "debug");
  CHECK(p.account.empty());
  CHECK(p.time_limit == "00:10:00");
  CHECK(p.nodes == 1);
  CHECK(p.ntasks == 1);
  CHECK(p.cpus_per_task == 1);
  CHECK(p.modules.empty());

  auto sub = make_submission("ionscreen-c-1", "/w/50% done", {"/bin/true"});
  sub.cpus = 4;
  const auto a = sbatch_arguments(p, sub);
  const std::vector<std::string> expected{"sbatch",
                                          "--parsable",
                                          "--job-name=ionscreen-c-1",
                                          "--chdir=/w/50% done",
                                          "--output=/w/50%% done/stdout",
                                          "--error=/w/50%% done/stderr",
                                          "--time=5",
                                          "--cpus-per-task=4",
                                          "--nodes=1",
                                          "--ntasks=1",
                                          "--partition=debug",
                                          "--",
                                          "/w/50% done/slurm.sh"};
  CHECK(a == expected);
  sub.time_limit_minutes = 0;
  CHECK(sbatch_arguments(p, sub).at(6) == "--time=00:10:00");
  CHECK(slurm_filename_pattern("a\\b%j") == "a\\b%j");

  const auto dir = job_dir("profile");
  const auto bad = dir / "bad.ini";
  std::ofstream(bad) << "[slurm]\npartition = x\n\nwalltime = 10\n";
  try {
    load_slurm_profile(bad);
    FAIL("no error");
  } catch (const InputError& e) {
    const std::string m = e.what();
    CHECK(m.find(bad.string() + ":4") != std::string::npos);
    CHECK(m.find("'walltime'") != std::string::npos);
  }
  std::ofstream(bad) << "[slurm]\ncpus_per_task = two\n";
  CHECK_THROWS_WITH(load_slurm_profile(bad), Catch::Contains(":2: key 'cpus_per_task'"));
  CHECK_THROWS_AS(load_slurm_profile(dir / "missing.ini"), InputError);
  fs::remove_all(dir.parent_path());
}

TEST_CASE("slurm: parsers and state mapping on recorded Slurm output", "[unit][slurm]") {
  CHECK(parse_sbatch_id("123\n") == "123");
  CHECK(parse_sbatch_id("456;cluster\n") == "456");
  CHECK_THROWS_AS(parse_sbatch_id("sbatch: error: nope\n"), SchedulerError);

  const auto sq = parse_squeue_states(
      "13|PENDING|None\n14|PENDING|Priority\n15|RUNNING|None\n"
      "16|COMPLETING|None\n17|TIMEOUT|TimeLimit\n");
  REQUIRE(sq.size() == 5);
  CHECK(report_from_record(sq[1]).state == JobState::queued);
  CHECK(report_from_record(sq[1]).reason == "Priority");
  CHECK(report_from_record(sq[2]).state == JobState::running);
  CHECK(report_from_record(sq[3]).state == JobState::running);
  CHECK(report_from_record(sq[4]).state == JobState::timed_out);

  const auto sa = parse_sacct_records(
      "11|ionscreen-a|b|COMPLETED|0:0\n12|x|CANCELLED by 0|0:15\n"
      "14|exp-b|FAILED|3:0\n20|t|TIMEOUT|0:0\n21|n|NODE_FAIL|0:0\n"
      "22|m|OUT_OF_MEMORY|0:125\n");
  REQUIRE(sa.size() == 6);
  CHECK(sa[0].name == "ionscreen-a|b");
  CHECK(report_from_record(sa[0]).state == JobState::finished);
  CHECK(report_from_record(sa[1]).state == JobState::cancelled);
  CHECK(report_from_record(sa[2]).state == JobState::failed);
  CHECK(report_from_record(sa[2]).reason == "FAILED, exit code 3:0");
  CHECK(report_from_record(sa[3]).state == JobState::timed_out);
  CHECK(report_from_record(sa[4]).state == JobState::failed);
  CHECK(report_from_record(sa[5]).state == JobState::failed);
  CHECK(map_slurm_state("SOMETHING_NEW") == JobState::unknown);

  const auto sc = parse_scontrol_jobs(
      "JobId=1 JobName=my job UserId=root(0) GroupId=root(0) JobState=TIMEOUT Reason=TimeLimit "
      "Dependency=(null) ExitCode=0:1 RunTime=00:01:02\n");
  REQUIRE(sc.size() == 1);
  CHECK(sc[0].name == "my job");
  CHECK(report_from_record(sc[0]).state == JobState::timed_out);
  CHECK(sc[0].exit_code == "0:1");
}

TEST_CASE("slurm: sbatch's refusals that trying again cannot cure", "[unit][slurm]") {
  // Recorded from Slurm 22.05 (local-slurm.sh) and slurm_errno.c.
  for (const char* permanent :
       {"sbatch: error: invalid partition specified: gpu\nsbatch: error: Batch job submission "
        "failed: Invalid partition name specified",
        "sbatch: error: Invalid --time specification",
        "sbatch: error: Batch job submission failed: Invalid account or account/partition "
        "combination specified",
        "sbatch: error: Batch job submission failed: Requested node configuration is not "
        "available"})
    CHECK(is_configuration_refusal(permanent));
  for (const char* transient :
       {"sbatch: error: Batch job submission failed: Socket timed out on send/recv operation",
        "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect "
        "failure)",
        "sbatch: error: Slurm temporarily unable to accept job, sleeping and retrying",
        "sbatch: error: Batch job submission failed: Job violates accounting/QOS policy (job "
        "submit limit, user's size and/or time limits)"})
    CHECK_FALSE(is_configuration_refusal(transient));
}

TEST_CASE("slurm: poll with a fake runner: one squeue, one sacct, invalid ids, fallback",
          "[unit][slurm]") {
  std::vector<std::vector<std::string>> seen;
  bool sacct_works = true;
  SlurmBackend b(SlurmProfile{}, [&](const std::vector<std::string>& argv) {
    seen.push_back(argv);
    CommandResult r;
    if (argv[0] == "squeue") {
      r.exit_code = 1;  // every id left the queue
      r.err = "slurm_load_jobs error: Invalid job id specified\n";
    } else if (argv[0] == "sacct") {
      if (sacct_works) {
        r.out = "7|a|TIMEOUT|0:0\n8|b|COMPLETED|0:0\n8|b|FAILED|1:0\n";
      } else {
        r.exit_code = 1;
        r.err = "sacct: error: no job completion plugin\n";
      }
    } else if (argv[0] == "scontrol") {
      r.out = "JobId=7 JobName=a UserId=root(0) JobState=CANCELLED Reason=None ExitCode=0:15\n";
    }
    return r;
  });
  auto reports = b.poll({"7", "8", "9", "bogus"});
  CHECK(reports.at("7").state == JobState::timed_out);
  CHECK(reports.at("8").state == JobState::failed);  // the last record wins
  CHECK(reports.at("9").state == JobState::unknown);
  CHECK(reports.at("bogus").state == JobState::unknown);
  CHECK(b.calls("squeue") == 1);
  CHECK(b.calls("sacct") == 1);
  CHECK(seen[0] ==
        std::vector<std::string>{"squeue", "-h", "-t", "all", "-j", "7,8,9", "-o", "%i|%T|%r"});
  sacct_works = false;
  reports = b.poll({"7", "8"});
  CHECK(reports.at("7").state == JobState::cancelled);
  CHECK(reports.at("8").state == JobState::unknown);
  CHECK(b.calls("scontrol") == 1);
}

// ------------------------------------------------------------------------------ real Slurm

TEST_CASE("slurm: a job runs its argv in a directory with spaces and quotes",
          "[integration][slurm]") {
  LocalSlurm::ensure();
  SlurmBackend backend(local_profile());
  const auto dir = job_dir("touch it's");
  const auto marker = dir / "done marker";
  const auto id = backend.submit(make_submission("ionscreen-test-" + random_tag() + "-touch", dir,
                                                 {"/usr/bin/touch", marker.string()}));
  const auto reports = wait_ended(backend, {id});
  INFO(read_text(dir / "stderr"));
  CHECK(reports.at(id).state == JobState::finished);
  CHECK(fs::exists(marker));
  CHECK(fs::exists(dir / "stdout"));
  CHECK(read_text(dir / "slurm.sh").find("set -euo pipefail") != std::string::npos);
  fs::remove_all(dir.parent_path());
}

TEST_CASE("slurm: a failing job is failed and a refused submission throws",
          "[integration][slurm]") {
  LocalSlurm::ensure();
  SlurmBackend backend(local_profile());
  const auto dir = job_dir("false");
  const auto id = backend.submit(
      make_submission("ionscreen-test-" + random_tag() + "-false", dir, {"/bin/false"}));
  const auto reports = wait_ended(backend, {id});
  CHECK(reports.at(id).state == JobState::failed);
  CHECK_THAT(reports.at(id).reason,
             Catch::StartsWith("FAILED"));  // squeue: NonZeroExitCode; sacct -c: exit code 1:0

  auto profile = local_profile();
  profile.partition = "no-such-partition";
  SlurmBackend refusing(profile);
  // Review finding D12: a wrong partition was retried for ever. It is a permanent refusal that
  // names the profile file.
  try {
    refusing.submit(make_submission("ionscreen-test-refused", dir, {"/bin/true"}));
    FAIL("sbatch accepted a job for a partition that does not exist");
  } catch (const SchedulerError& e) {
    CHECK_THAT(e.what(), Catch::Contains("invalid partition") && Catch::Contains("local.ini") &&
                             Catch::Contains("partition = no-such-partition"));
    CHECK(e.permanent());
  }
  fs::remove_all(dir.parent_path());
}

TEST_CASE("slurm: a cancelled job is cancelled, and cancel is idempotent", "[integration][slurm]") {
  LocalSlurm::ensure();
  SlurmBackend backend(local_profile());
  const auto dir = job_dir("sleep");
  const auto id = backend.submit(
      make_submission("ionscreen-test-" + random_tag() + "-sleep", dir, {"/bin/sleep", "60"}));
  const auto first = backend.poll({id}).at(id).state;
  CHECK((first == JobState::queued || first == JobState::running));
  backend.cancel(id);
  const auto reports = wait_ended(backend, {id});
  CHECK(reports.at(id).state == JobState::cancelled);
  CHECK_NOTHROW(backend.cancel(id));
  CHECK_NOTHROW(backend.cancel("999999"));
  fs::remove_all(dir.parent_path());
}

TEST_CASE("slurm: find_by_name recovers forgotten ids, queued and ended", "[integration][slurm]") {
  LocalSlurm::ensure();
  SlurmBackend backend(local_profile());
  const auto dir = job_dir("find");
  const std::string prefix = "ionscreen-test-" + random_tag() + "-";
  std::set<std::string> submitted;
  submitted.insert(backend.submit(make_submission(prefix + "1", dir, {"/bin/true"})));
  const auto sleeper = backend.submit(make_submission(prefix + "2", dir, {"/bin/sleep", "60"}));
  submitted.insert(sleeper);
  backend.submit(make_submission("ionscreen-other-" + random_tag(), dir, {"/bin/true"}));
  // forget the ids: a fresh backend finds them by name
  SlurmBackend fresh(local_profile());
  const auto found = fresh.find_by_name(prefix);
  CHECK(std::set<std::string>(found.begin(), found.end()) == submitted);
  CHECK(fresh.calls("squeue") == 1);
  CHECK(fresh.calls("sacct") == 1);
  backend.cancel(sleeper);
  wait_ended(backend, std::vector<std::string>(submitted.begin(), submitted.end()));
  // after they ended (squeue -t all or sacct -c still know them)
  const auto again = fresh.find_by_name(prefix);
  CHECK(std::set<std::string>(again.begin(), again.end()) == submitted);
  fs::remove_all(dir.parent_path());
}

TEST_CASE("slurm: polling 20 jobs takes one squeue call", "[integration][slurm]") {
  LocalSlurm::ensure();
  SlurmBackend backend(local_profile());
  const auto dir = job_dir("twenty");
  const std::string prefix = "ionscreen-test-" + random_tag() + "-";
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    const auto d = dir / std::to_string(i);
    fs::create_directories(d);
    ids.push_back(backend.submit(
        make_submission(prefix + std::to_string(i), d, {"/usr/bin/touch", (d / "ok").string()})));
  }
  CHECK(backend.calls("sbatch") == 20);
  const auto reports = backend.poll(ids);
  CHECK(reports.size() == 20);
  CHECK(backend.calls("squeue") == 1);
  CHECK(backend.calls("sacct") <= 1);
  const auto before = backend.calls("squeue");
  const auto done = wait_ended(backend, ids);
  const int polls = backend.calls("squeue") - before;
  CHECK(backend.calls("sacct") <= polls + 1);  // at most one sacct per poll
  for (std::size_t i = 0; i < ids.size(); ++i) {
    CHECK(done.at(ids[i]).state == JobState::finished);
    CHECK(fs::exists(dir / std::to_string(i) / "ok"));
  }
  fs::remove_all(dir.parent_path());
}
