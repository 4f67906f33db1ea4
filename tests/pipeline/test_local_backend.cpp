// LocalBackend with real child processes: small /bin/sh scripts written into temp job directories
// are the programs (argv, never a shell string built by the library).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "pipeline/backends/local_backend.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using ionscreen::pipeline::testing::fresh_dir;
using ionscreen::pipeline::testing::slurp;
using namespace ionscreen::pipeline;

namespace {

const fs::path kSource = IONSCREEN_SOURCE_DIR;

/// A job name unique to this test process (other test processes may scan for names concurrently).
std::string job_name(const std::string& name) {
  return std::string("ionscreen-test-") + std::to_string(::getpid()) + "-" + name;
}

/// A job directory holding run.sh with `script` as its body; argv is /bin/sh run.sh (relative, so
/// it also checks that the job starts in its directory).
Submission script_job(const fs::path& dir, const std::string& script, const std::string& name) {
  std::ofstream(dir / "run.sh") << script;
  Submission s;
  s.job_id = name;
  s.name = job_name(name);
  s.directory = dir;
  s.argv = {"/bin/sh", "run.sh"};
  return s;
}

/// Polls `id` until it leaves queued/running, at most `tries` x 50 ms.
JobReport wait_for(LocalBackend& backend, const std::string& id, int tries = 100) {
  JobReport report;
  for (int i = 0; i < tries; ++i) {
    report = backend.poll({id}).at(id);
    if (report.state != JobState::queued && report.state != JobState::running) return report;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return report;
}

bool wait_for_file(const fs::path& p, int tries = 100) {
  for (int i = 0; i < tries && !fs::exists(p); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fs::exists(p);
}

/// True when no process `pid` exists, or only as a zombie waiting for its (new) parent.
bool gone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  return stat.empty() || (close != std::string::npos && stat.substr(close + 2, 1) == "Z");
}

long long read_number(const fs::path& p) { return std::stoll(slurp(p)); }

}  // namespace

TEST_CASE("a local job that exits 0 is finished, its output in the job directory",
          "[unit][backend]") {
  const fs::path dir = fresh_dir("finished");
  LocalBackend backend(1);
  const auto id =
      backend.submit(script_job(dir, "echo hello > made; echo out; echo err >&2\n", "ok"));
  CHECK(id.starts_with("local-" + std::to_string(::getpid()) + "."));
  CHECK(id.ends_with("-1"));
  const auto report = wait_for(backend, id);
  CHECK(report.scheduler_id == id);
  CHECK(report.state == JobState::finished);
  CHECK(report.reason == "exit 0");
  CHECK(slurp(dir / "made") == "hello\n");
  CHECK(slurp(dir / "stdout") == "out\n");
  CHECK(slurp(dir / "stderr") == "err\n");
  CHECK(backend.running_jobs() == 0);
  CHECK(backend.submit(script_job(fresh_dir("second"), "true\n", "two")) ==
        id.substr(0, id.size() - 1) + "2");
}

TEST_CASE("a local job that exits 3 failed, with the exit status as reason", "[unit][backend]") {
  const fs::path dir = fresh_dir("exit3");
  LocalBackend backend(1);
  const auto id = backend.submit(script_job(dir, "exit 3\n", "exit3"));
  const auto report = wait_for(backend, id);
  CHECK(report.state == JobState::failed);
  CHECK_THAT(report.reason, Catch::Contains("exit 3"));

  const auto killed = backend.submit(script_job(fresh_dir("usr1"), "kill -USR1 $$\n", "usr1"));
  const auto killed_report = wait_for(backend, killed);
  CHECK(killed_report.state == JobState::failed);
  CHECK_THAT(killed_report.reason, Catch::Contains("SIGUSR1"));
}

TEST_CASE("cancelling a running local job stops its whole process group", "[unit][backend]") {
  const fs::path dir = fresh_dir("cancel");
  LocalBackend backend(1);
  const auto id =
      backend.submit(script_job(dir,
                                "echo $$ > pid.tmp; mv pid.tmp pid; sleep 30 & echo $! > child.tmp;"
                                " mv child.tmp child; wait\n",
                                "cancel"));
  REQUIRE(wait_for_file(dir / "child"));
  const auto pid = static_cast<pid_t>(read_number(dir / "pid"));
  const auto child = static_cast<pid_t>(read_number(dir / "child"));
  CHECK(backend.poll({id}).at(id).state == JobState::running);
  const auto before = std::chrono::steady_clock::now();
  backend.cancel(id);
  CHECK(std::chrono::steady_clock::now() - before < LocalBackend::kill_grace);  // SIGTERM did it
  const auto report = backend.poll({id}).at(id);
  CHECK(report.state == JobState::cancelled);
  CHECK(gone(pid));
  for (int i = 0; i < 100 && !gone(child); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(gone(child));
  CHECK(backend.running_jobs() == 0);
  backend.cancel(id);  // idempotent
  backend.cancel("local-999");
  CHECK(backend.poll({id}).at(id).state == JobState::cancelled);
}

TEST_CASE("cancelling a queued local job removes it from the queue", "[unit][backend]") {
  LocalBackend backend(1);
  const auto first = backend.submit(script_job(fresh_dir("q1"), "sleep 30\n", "q1"));
  const fs::path second_dir = fresh_dir("q2");
  const auto second = backend.submit(script_job(second_dir, "echo ran > ran\n", "q2"));
  CHECK(backend.poll({second}).at(second).state == JobState::queued);
  backend.cancel(second);
  backend.cancel(first);
  const auto reports = backend.poll({first, second});
  CHECK(reports.at(first).state == JobState::cancelled);
  CHECK(reports.at(second).state == JobState::cancelled);
  CHECK_FALSE(fs::exists(second_dir / "ran"));
  CHECK_FALSE(fs::exists(second_dir / "stdout"));  // never started
}

TEST_CASE("a local job exceeding its wall time is killed and timed_out", "[unit][backend]") {
  const fs::path dir = fresh_dir("timeout");
  LocalBackend backend(1, std::chrono::seconds(1));  // one "minute" lasts one second
  auto submission = script_job(dir, "echo $$ > pid; sleep 30\n", "timeout");
  submission.time_limit_minutes = 1;
  const auto before = std::chrono::steady_clock::now();
  const auto id = backend.submit(submission);
  const auto report = wait_for(backend, id);
  const auto elapsed = std::chrono::steady_clock::now() - before;
  CHECK(report.state == JobState::timed_out);
  CHECK_THAT(report.reason, Catch::Contains("time limit"));
  CHECK(elapsed >= std::chrono::seconds(1));
  CHECK(elapsed < std::chrono::seconds(4));
  CHECK(gone(static_cast<pid_t>(read_number(dir / "pid"))));
}

TEST_CASE("with max 2 local jobs, at most 2 run at once and all 5 finish", "[unit][backend]") {
  LocalBackend backend(2);
  std::vector<std::string> ids;
  std::vector<fs::path> dirs;
  for (int i = 0; i < 5; ++i) {
    dirs.push_back(fresh_dir("pool" + std::to_string(i)));
    ids.push_back(
        backend.submit(script_job(dirs.back(), "date +%s%N > start; sleep 0.3; date +%s%N > end\n",
                                  "pool" + std::to_string(i))));
  }
  CHECK(backend.running_jobs() == 2);
  const auto first = backend.poll(ids);  // FIFO: the first two run, the rest wait their turn
  CHECK(first.at(ids[0]).state == JobState::running);
  CHECK(first.at(ids[1]).state == JobState::running);
  for (std::size_t i = 2; i < ids.size(); ++i) CHECK(first.at(ids[i]).state == JobState::queued);
  bool all_done = false;
  for (int i = 0; i < 100 && !all_done; ++i) {
    const auto reports = backend.poll(ids);
    int running = 0;
    all_done = true;
    for (const auto& [id, report] : reports) {
      running += report.state == JobState::running ? 1 : 0;
      all_done = all_done && report.state == JobState::finished;
    }
    CHECK(running <= 2);
    CHECK(backend.running_jobs() <= 2);
    if (!all_done) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(all_done);
  // From the processes' own clocks: at no job's start were more than 2 jobs (it included) running.
  std::vector<std::pair<long long, long long>> spans;
  for (const auto& dir : dirs)
    spans.emplace_back(read_number(dir / "start"), read_number(dir / "end"));
  for (const auto& [start, end] : spans) {
    const auto overlapping = std::count_if(spans.begin(), spans.end(), [&](const auto& other) {
      return other.first <= start && start < other.second;
    });
    CHECK(overlapping <= 2);
  }
}

TEST_CASE("a local job directory with spaces and quotes works (argv, no shell)",
          "[unit][backend]") {
  const fs::path dir = fresh_dir("job with 'single' \"double\" $HOME; quotes");
  LocalBackend backend(1);
  auto submission = script_job(dir, "pwd > where; printf '%s\\n' \"$1\" > arg\n", "quotes");
  const std::string argument = "an argument with 'quotes' and $(spaces)";
  submission.argv = {"/bin/sh", (dir / "run.sh").string(), argument};
  const auto id = backend.submit(submission);
  CHECK(wait_for(backend, id).state == JobState::finished);
  CHECK(slurp(dir / "where") == dir.string() + "\n");
  CHECK(slurp(dir / "arg") == argument + "\n");
}

TEST_CASE("a missing local program or job directory is a SchedulerError naming the path",
          "[unit][backend]") {
  LocalBackend backend(1);
  auto submission = script_job(fresh_dir("missing"), "true\n", "missing");
  submission.argv = {"/nonexistent/ionscreen-program"};
  CHECK_THROWS_AS(backend.submit(submission), SchedulerError);
  CHECK_THROWS_WITH(backend.submit(submission), Catch::Contains("/nonexistent/ionscreen-program") &&
                                                    Catch::Contains("No such file or directory"));
  submission.argv = {"/bin/sh", "run.sh"};
  submission.directory = "/nonexistent/job dir";
  CHECK_THROWS_AS(backend.submit(submission), SchedulerError);
  CHECK_THROWS_WITH(backend.submit(submission), Catch::Contains("/nonexistent/job dir") &&
                                                    Catch::Contains("No such file or directory"));
  submission.argv.clear();
  CHECK_THROWS_AS(backend.submit(submission), SchedulerError);
  CHECK_THROWS_AS(LocalBackend(0), SchedulerError);
  CHECK(backend.find_by_name(job_name("missing")).empty());  // refused: not known
}

TEST_CASE("unknown ids and find_by_name on a local backend", "[unit][backend]") {
  LocalBackend backend(2);
  const auto a = backend.submit(script_job(fresh_dir("name-a"), "true\n", "c1-a"));
  const auto b = backend.submit(script_job(fresh_dir("name-b"), "true\n", "c1-b"));
  const auto c = backend.submit(script_job(fresh_dir("name-c"), "true\n", "c2-a"));
  CHECK(backend.find_by_name(job_name("c1-")) == std::vector<std::string>{a, b});
  CHECK(backend.find_by_name(job_name("")) == std::vector<std::string>{a, b, c});
  CHECK(backend.find_by_name("other").empty());
  const auto reports = backend.poll({"local-999", "12345", "pid-12x-3"});
  CHECK(reports.at("local-999").state == JobState::unknown);
  CHECK(reports.at("12345").state == JobState::unknown);
  CHECK(reports.at("pid-12x-3").state == JobState::unknown);
  for (const auto& id : {a, b, c}) CHECK(wait_for(backend, id).state == JobState::finished);
  // A new backend (as after a restart) does not know the old one's ids; their processes ended,
  // so there is nothing to adopt.
  LocalBackend restarted(1);
  CHECK(restarted.poll({a}).at(a).state == JobState::unknown);
  CHECK(restarted.find_by_name(job_name("")).empty());
}

TEST_CASE("destroying a local backend kills and reaps its running jobs", "[unit][backend]") {
  const fs::path dir = fresh_dir("destroy");
  pid_t pid = 0;
  {
    LocalBackend backend(1);
    backend.submit(script_job(dir, "echo $$ > pid.tmp; mv pid.tmp pid; sleep 30\n", "destroy"));
    REQUIRE(wait_for_file(dir / "pid"));
    pid = static_cast<pid_t>(read_number(dir / "pid"));
    CHECK_FALSE(gone(pid));
  }
  CHECK(gone(pid));
  // Reaped by us, not left as our zombie: no child of ours is left to wait for.
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
}

TEST_CASE("a local BVSE job runs cluster/wrappers/bvse.sh end to end", "[.wrapper][backend]") {
  const char* binary = std::getenv("IONSCREEN_BINARY");  // set by the CTest test pipeline_wrappers
  REQUIRE(binary != nullptr);
  const fs::path dir = fresh_dir("bvse job with spaces");  // paths travel as whole arguments
  fs::copy(kSource / "tests/fixtures/jobs/bvse_li3po4", dir, fs::copy_options::recursive);
  LocalBackend backend(
      1, std::chrono::minutes(1),
      {{"IONSCREEN", binary}, {"IONSCREEN_INPUTS", (kSource / "inputs").string()}});
  Submission submission;
  submission.job_id = "fixture-li3po4";
  submission.name = job_name("fixture-li3po4");
  submission.directory = dir;
  submission.argv = {(kSource / "cluster/wrappers/bvse.sh").string(), dir.string()};
  const auto id = backend.submit(submission);
  const auto report = wait_for(backend, id, 600);
  INFO("stderr: " << slurp(dir / "stderr"));
  REQUIRE(report.state == JobState::finished);
  CHECK(slurp(dir / "status").rfind("done", 0) == 0);
  const auto result = nlohmann::json::parse(slurp(dir / "result.json"));
  CHECK(result.at("job_id") == "fixture-li3po4");
  CHECK(result.at("E_b").get<double>() == Approx(0.4785).margin(0.005));
}

namespace {

/// A LocalBackend whose destructor never runs, as when the campaign process crashed: its jobs keep
/// running. (Held through a static pointer, so leak checkers see it as reachable.)
LocalBackend& crashed_backend() {
  static auto* crashed = new std::vector<std::unique_ptr<LocalBackend>>();
  crashed->push_back(std::make_unique<LocalBackend>(1));
  return *crashed->back();
}

/// Kills and reaps a job a crashed backend left behind (our child in these tests) at scope exit,
/// so no zombie outlives the test.
struct Reaper {
  pid_t pid = 0;
  ~Reaper() {
    if (pid <= 0) return;
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
};

}  // namespace

TEST_CASE("a new local backend finds and follows a job an earlier one left running",
          "[unit][backend]") {
  const fs::path dir = fresh_dir("adopt");
  LocalBackend& earlier = crashed_backend();
  const auto own_id = earlier.submit(
      script_job(dir,
                 "printf '%s\\n' \"$IONSCREEN_JOB_NAME\" > name; echo $$ > pid.tmp; mv pid.tmp pid;"
                 " while [ ! -e stop ]; do sleep 0.05; done\n",
                 "adopt-1"));
  REQUIRE(wait_for_file(dir / "pid"));
  Reaper reaper{static_cast<pid_t>(read_number(dir / "pid"))};
  CHECK(slurp(dir / "name") == job_name("adopt-1") + "\n");

  LocalBackend restarted(1);
  const auto found = restarted.find_by_name(job_name("adopt-"));
  REQUIRE(found.size() == 1);  // the group leader only, not its children
  const std::string id = found.front();
  CHECK(id.rfind(std::string("pid-") + std::to_string(reaper.pid) + "-", 0) == 0);
  CHECK(restarted.find_by_name(job_name("adopt-")) == found);
  CHECK(restarted.find_by_name(job_name("adopt-2")).empty());
  // The backend that started it reports its own id, not an adopted one.
  CHECK(earlier.find_by_name(job_name("adopt-")) == std::vector<std::string>{own_id});

  CHECK(restarted.poll({id}).at(id).state == JobState::running);
  // The same pid with another start time is another process: not this job.
  const std::string reused = std::string("pid-") + std::to_string(reaper.pid) + "-1";
  CHECK(restarted.poll({reused}).at(reused).state == JobState::finished);

  std::ofstream(dir / "stop").put('\n');
  JobReport report = wait_for(restarted, id);
  CHECK(report.state == JobState::finished);  // the job ended (it is still our zombie here)
  CHECK(report.reason == "adopted process ended; exit status unknown");
  CHECK(restarted.find_by_name(job_name("adopt-")).empty());
  restarted.cancel(id);  // ended: a no-op
  CHECK(restarted.poll({id}).at(id).state == JobState::finished);
}

TEST_CASE("cancelling an adopted local job stops its whole process group", "[unit][backend]") {
  const fs::path dir = fresh_dir("adopt-cancel");
  crashed_backend().submit(
      script_job(dir,
                 "echo $$ > pid.tmp; mv pid.tmp pid; sleep 30 & echo $! > child.tmp;"
                 " mv child.tmp child; wait\n",
                 "adopt-cancel"));
  REQUIRE(wait_for_file(dir / "child"));
  Reaper reaper{static_cast<pid_t>(read_number(dir / "pid"))};
  const auto child = static_cast<pid_t>(read_number(dir / "child"));

  LocalBackend restarted(1);
  const auto found = restarted.find_by_name(job_name("adopt-cancel"));
  REQUIRE(found.size() == 1);
  const auto before = std::chrono::steady_clock::now();
  restarted.cancel(found.front());
  CHECK(std::chrono::steady_clock::now() - before < LocalBackend::kill_grace);  // SIGTERM did it
  const auto report = restarted.poll(found).at(found.front());
  CHECK(report.state == JobState::cancelled);
  CHECK_THAT(report.reason, Catch::Contains("exit status unknown"));
  CHECK(gone(reaper.pid));
  for (int i = 0; i < 100 && !gone(child); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(gone(child));
  restarted.cancel(found.front());  // idempotent
  CHECK(restarted.poll(found).at(found.front()).state == JobState::cancelled);
}
