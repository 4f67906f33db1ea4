// Engines behind the job protocol: the inputs they write, the argv that runs them, and what a job
// directory's status and result.json say (read_outcome). The tests tagged [wrapper] run the real
// wrappers and the real ionscreen binary (IONSCREEN_BINARY, set by the CTest test
// pipeline_wrappers) under a LocalBackend.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "pipeline/backends/local_backend.hpp"
#include "pipeline/base/data_directory.hpp"
#include "pipeline/base/error.hpp"
#include "pipeline/jobs/builtin_job.hpp"
#include "pipeline/jobs/engine_factory.hpp"
#include "pipeline/jobs/job_protocol.hpp"
#include "pipeline/jobs/structure_bvse.hpp"
#include "structures/cif.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using ionscreen::pipeline::testing::slurp;
using namespace ionscreen::pipeline;

namespace {

const fs::path kSource = IONSCREEN_SOURCE_DIR;

bool pending(const JobOutcome& outcome) { return std::holds_alternative<JobPending>(outcome); }
/// The outcome's barrier; fails the test when it is not done.
double done_e_b(const JobOutcome& outcome) {
  const auto* failed = std::get_if<JobFailed>(&outcome);
  INFO((failed ? failed->reason : std::string()));
  REQUIRE(std::holds_alternative<JobDone>(outcome));
  return std::get<JobDone>(outcome).e_b;
}
/// The outcome's failure; fails the test when it is not a failure.
JobFailed failure(const JobOutcome& outcome) {
  REQUIRE(std::holds_alternative<JobFailed>(outcome));
  return std::get<JobFailed>(outcome);
}

/// A fresh directory for this file's tests.
fs::path fresh_dir(const std::string& name) {
  return ionscreen::pipeline::testing::fresh_dir(std::string("engine-") + name);
}

/// A job directory holding `status` and, unless empty, result.json.
fs::path job_with(const std::string& status, const std::string& result) {
  const fs::path dir = fresh_dir("outcome");
  if (!status.empty()) write_atomically(dir / "status", status);
  if (!result.empty()) write_atomically(dir / "result.json", result);
  return dir;
}

/// A table engine's settings and context, as a campaign file would give them.
struct TableEngineSetup {
  EngineSettings settings;
  EngineContext context;
  ionscreen::pipeline::dft::DftSettings dft;
};

TableEngineSetup table_setup() {
  const fs::path table = fresh_dir("table") / "landscape.csv";
  write_atomically(table, "compound,E_b\nLiFeSO4F,0.5\nNaFeSO4F,0.75\n");
  TableEngineSetup setup;
  setup.settings.kind = EngineKind::table;
  setup.settings.table = table;
  setup.context.origin = "/campaigns/test.ini";
  setup.context.program = "ionscreen";
  setup.context.seed = 11;
  return setup;
}

std::unique_ptr<Engine> table_engine() {
  const TableEngineSetup setup = table_setup();
  return make_engine(setup.settings, setup.dft, setup.context);
}

JobSpec table_spec(const std::string& job_id) {
  JobSpec spec;
  spec.job_id = job_id;
  spec.candidate = "NaFeSO4F";
  spec.carrier = "Na";
  return spec;
}

}  // namespace

TEST_CASE("read_outcome: pending until a final status", "[unit][engine]") {
  const auto engine = table_engine();
  CHECK(pending(engine->read_outcome(fresh_dir("nothing"), "c1-a1")));
  CHECK(pending(engine->read_outcome(job_with("running\n", ""), "c1-a1")));
}

TEST_CASE("read_outcome: done with a finite E_b", "[unit][engine]") {
  const auto engine = table_engine();
  const JobOutcome outcome = engine->read_outcome(
      job_with("done\n", R"({"protocol": 1, "job_id": "c1-a1", "E_b": 0.42})"), "c1-a1");
  CHECK(done_e_b(outcome) == 0.42);
}

TEST_CASE("read_outcome: a failed status is the engine's final word", "[unit][engine]") {
  const auto engine = table_engine();
  const JobFailed failed = failure(
      engine->read_outcome(job_with("failed: structure.cif: no oxidation states\n", ""), "c1-a1"));
  CHECK(failed.reason == "structure.cif: no oxidation states");
  CHECK_FALSE(failed.retryable);
}

TEST_CASE("read_outcome: an unusable result is a retryable failure naming file and problem",
          "[unit][engine]") {
  const auto engine = table_engine();
  struct Case {
    const char* status;
    const char* result;
    const char* says;
  };
  const Case cases[] = {
      {"done\n", "", "cannot open"},
      {"done\n", R"({"job_id": "c1-a1", "E_b": 0.4)", "not valid JSON"},
      {"done\n", "[1, 2]", "not a JSON object"},
      {"done\n", R"({"job_id": "c9-a1", "E_b": 0.4})", "\"c9-a1\" is not this job's"},
      {"done\n", R"({"E_b": 0.4})", "'job_id' missing"},
      {"done\n", R"({"job_id": "c1-a1"})", "'E_b' missing"},
      {"done\n", R"({"job_id": "c1-a1", "E_b": null})", "E_b null is not a number"},
      {"done\n", R"({"job_id": "c1-a1", "E_b": "nan"})", "E_b \"nan\" is not a number"},
      {"done\n", R"({"job_id": "c1-a1", "E_b": "0.4 eV"})", "is not a number"},
      // Review finding D1: a number out of a double's range wedged every resume.
      {"done\n", R"({"job_id": "c1-a1", "E_b": 1e400})", "not valid JSON"},
      {"done\n", R"({"job_id": "c1-a1", "E_b": -1e309})", "number overflow"},
      {"finished\n", "", "'finished' is not a status"},
  };
  for (const Case& c : cases) {
    INFO(c.status << c.result);
    const fs::path dir = job_with(c.status, c.result);
    const JobFailed failed = failure(engine->read_outcome(dir, "c1-a1"));
    CHECK(failed.retryable);
    CHECK_THAT(failed.reason, Catch::Contains(c.says) && Catch::Contains(dir.string()));
  }
}

TEST_CASE("read_outcome: BVSE's no percolating path is a final failure", "[unit][engine]") {
  const auto engine = table_engine();
  const JobFailed failed = failure(engine->read_outcome(
      job_with("done\n", R"({"job_id": "c1-a1", "E_b": null, "percolates": false})"), "c1-a1"));
  CHECK_FALSE(failed.retryable);
  CHECK(failed.reason == "no percolating path below 10 eV");
}

TEST_CASE("make_engine checks the [engine] settings", "[unit][engine]") {
  TableEngineSetup setup = table_setup();
  const auto make = [&] { return make_engine(setup.settings, setup.dft, setup.context); };
  CHECK(make()->name() == "table");
  setup.settings.faults = "fail=0.1,hang=0.05";
  CHECK(make()->name() == "table");
  setup.settings.faults = "fail=2";
  CHECK_THROWS_WITH(make(), Catch::Contains("/campaigns/test.ini: [engine] faults") &&
                                Catch::Contains("outside [0, 1]"));
  setup.settings.faults.clear();
  setup.settings.table.clear();
  CHECK_THROWS_WITH(make(), Catch::Contains("[engine] table") && Catch::Contains("absolute path"));
  // A DFT code: its site profile must be readable, and where its programs must run here (the
  // local backend, no setup script) they must be runnable before anything is submitted.
  setup.settings.kind = EngineKind::vasp;
  CHECK_THROWS_WITH(make(), Catch::Contains("[dft] site: no site profile"));
  setup.dft.site = fs::path(IONSCREEN_SOURCE_DIR) / "cluster/sites/local.ini";
  CHECK(make()->name() == "vasp");  // on Slurm, the programs are the compute node's business
  setup.context.programs_run_here = true;
  CHECK_THROWS_WITH(
      make(), Catch::Contains("[dft] vasp = 'vasp_std'") && Catch::Contains("not an executable"));
  EngineSettings bvse;
  CHECK(make_engine(bvse, setup.dft, setup.context)->name() == "bvse");
  bvse.faults = "fail=0.1";
  CHECK_THROWS_WITH(make_engine(bvse, setup.dft, setup.context),
                    Catch::Contains("only for engine = table"));
}

TEST_CASE("an engine's argv passes the environment explicitly, no shell string", "[unit][engine]") {
  EngineContext context;
  context.program = "/opt/ionscreen/bin/ionscreen";
  context.inputs = "/data/inputs with space";
  const auto engine = make_engine(EngineSettings{}, {}, context);
  const fs::path dir = "/runs/demo/jobs/c000017-a1";
  CHECK(engine->argv(dir) ==
        std::vector<std::string>{"/usr/bin/env", "IONSCREEN=/opt/ionscreen/bin/ionscreen",
                                 "IONSCREEN_INPUTS=/data/inputs with space", "bash",
                                 (data_directory() / "cluster/wrappers/bvse.sh").string(),
                                 dir.string()});
  // Relative paths are resolved now: the wrapper runs in the job directory.
  TableEngineSetup setup = table_setup();
  setup.context.program = "build/ionscreen";
  const auto relative = make_engine(setup.settings, setup.dft, setup.context)->argv("jobs/c1-a1");
  CHECK(relative[1] == std::string("IONSCREEN=") + fs::absolute("build/ionscreen").string());
  CHECK(relative[4] == (data_directory() / "cluster/wrappers/table.sh").string());
  CHECK(relative[5] == fs::absolute("jobs/c1-a1").string());
  CHECK(fs::exists(relative[4]));
}

TEST_CASE("a table engine's job runs in-process to a done outcome", "[unit][engine]") {
  TableEngineSetup setup = table_setup();
  setup.settings.faults = "slow=0.01";
  const auto engine = make_engine(setup.settings, setup.dft, setup.context);
  const fs::path dir = fresh_dir("table-job");
  engine->write_inputs(table_spec("c000017-a1"), dir);
  const std::string written = slurp(dir / "job.json");
  engine->write_inputs(table_spec("c000017-a1"), dir);
  CHECK(slurp(dir / "job.json") == written);  // idempotent
  const nlohmann::json job = read_json(dir / "job.json");
  CHECK(job == nlohmann::json{{"protocol", 1},
                              {"engine", "table"},
                              {"job_id", "c000017-a1"},
                              {"candidate", "NaFeSO4F"},
                              {"table", setup.settings.table.string()},
                              {"key_column", "compound"},
                              {"column", "E_b"},
                              {"faults", "slow=0.01"},
                              {"seed", 11}});
  CHECK(pending(engine->read_outcome(dir, "c000017-a1")));
  REQUIRE(run_builtin_job(dir, kSource / "inputs"));
  CHECK(done_e_b(engine->read_outcome(dir, "c000017-a1")) == 0.75);
}

TEST_CASE("a BVSE engine's job on the tavorite prototype runs in-process to a finite E_b",
          "[unit][engine]") {
  // The prototype file has no oxidation states; the campaign's structures carry them.
  auto crystal =
      ionscreen::structures::read_cif(kSource / "inputs/prototypes/LiFeSO4F_tavorite.cif");
  assign_oxidation_states(crystal, "Li:1,Fe:2,S:6,O:-2,F:-1", "prototype");
  JobSpec spec;
  spec.job_id = "c000001-a1";
  spec.candidate = "LiFeSO4F";
  spec.carrier = "Li";
  spec.structure_cif = ionscreen::structures::write_cif(crystal);
  EngineContext context;
  context.program = "ionscreen";
  context.inputs = kSource / "inputs";
  const auto engine = make_engine(EngineSettings{}, {}, context);
  const fs::path dir = fresh_dir("bvse-job");
  engine->write_inputs(spec, dir);
  CHECK(slurp(dir / "structure.cif") == spec.structure_cif);
  const nlohmann::json job = read_json(dir / "job.json");
  CHECK(job == nlohmann::json{{"protocol", 1},
                              {"engine", "bvse"},
                              {"job_id", "c000001-a1"},
                              {"structure", "structure.cif"},
                              {"carrier", "Li"},
                              {"grid_spacing", 0.2},
                              {"barrier", "E_1D"}});
  REQUIRE(run_builtin_job(dir, context.inputs));
  const double e_b = done_e_b(engine->read_outcome(dir, "c000001-a1"));
  CHECK(std::isfinite(e_b));
  CHECK(e_b > 0.0);

  spec.structure_cif.clear();
  CHECK_THROWS_WITH(engine->write_inputs(spec, dir),
                    Catch::Contains("c000001-a1") && Catch::Contains("needs a structure"));
}

namespace {

/// The ionscreen binary the [wrapper] tests run (CTest passes it in IONSCREEN_BINARY).
fs::path ionscreen_binary() {
  const char* binary = std::getenv("IONSCREEN_BINARY");
  REQUIRE(binary != nullptr);
  REQUIRE(fs::exists(binary));
  return binary;
}

/// Polls `id` until it leaves queued/running (at most 30 s).
JobReport wait_for(LocalBackend& backend, const std::string& id) {
  JobReport report;
  for (int i = 0; i < 600; ++i) {
    report = backend.poll({id}).at(id);
    if (report.state != JobState::queued && report.state != JobState::running) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return report;
}

/// Runs one table job with `faults` through its real wrapper under a LocalBackend.
std::pair<JobReport, JobOutcome> run_table_job(const std::string& faults, const std::string& name) {
  TableEngineSetup setup = table_setup();
  setup.settings.faults = faults;
  setup.context.program = ionscreen_binary();
  const auto engine = make_engine(setup.settings, setup.dft, setup.context);
  const fs::path dir = fresh_dir("wrapper 'table' job " + name);  // spaces and quotes: argv only
  const JobSpec spec = table_spec("c000017-" + name);
  engine->write_inputs(spec, dir);
  LocalBackend backend(1, std::chrono::seconds(1));  // one "minute" of wall time lasts a second
  Submission submission;
  submission.job_id = spec.job_id;
  submission.name = std::string("ionscreen-test-") + std::to_string(::getpid()) + "-" + spec.job_id;
  submission.directory = dir;
  submission.argv = engine->argv(dir);
  submission.time_limit_minutes = 1;
  const JobReport report = wait_for(backend, backend.submit(submission));
  INFO("stderr: " << slurp(dir / "stderr"));
  return {report, engine->read_outcome(dir, spec.job_id)};
}

}  // namespace

TEST_CASE("table jobs with injected faults through the real wrapper", "[.wrapper][engine]") {
  SECTION("no fault: finished, done") {
    const auto [report, outcome] = run_table_job("", "ok");
    CHECK(report.state == JobState::finished);
    CHECK(done_e_b(outcome) == 0.75);
  }
  SECTION("fail: the process exits non-zero and the status stays running") {
    const auto [report, outcome] = run_table_job("fail=1", "fail");
    CHECK(report.state == JobState::failed);
    CHECK(report.reason == "exit 1");
    CHECK(pending(outcome));
  }
  SECTION("hang: the backend's wall-time limit ends it") {
    const auto before = std::chrono::steady_clock::now();
    const auto [report, outcome] = run_table_job("hang=1", "hang");
    CHECK(report.state == JobState::timed_out);
    CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(10));
    CHECK(pending(outcome));
  }
  SECTION("garbage: finished, but a retryable failure") {
    const auto [report, outcome] = run_table_job("garbage=1", "garbage");
    CHECK(report.state == JobState::finished);
    const JobFailed failed = failure(outcome);
    CHECK(failed.retryable);
    CHECK_THAT(failed.reason, Catch::Contains("result.json"));
  }
}
