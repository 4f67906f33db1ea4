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

#include "pipeline/builtin_job.hpp"
#include "pipeline/bvse_command.hpp"
#include "pipeline/engine.hpp"
#include "pipeline/error.hpp"
#include "pipeline/job_files.hpp"
#include "pipeline/local_backend.hpp"
#include "structures/cif.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using ionscreen::pipeline::testing::slurp;
using namespace ionscreen::pipeline;

namespace {

const fs::path kSource = IONSCREEN_SOURCE_DIR;
using Kind = JobOutcome::Kind;

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

CampaignConfig table_config() {
  const fs::path table = fresh_dir("table") / "landscape.csv";
  write_atomically(table, "compound,E_b\nLiFeSO4F,0.5\nNaFeSO4F,0.75\n");
  CampaignConfig config;
  config.file = "/campaigns/test.ini";
  config.engine = "table";
  config.engine_table = table;
  config.seed = 11;
  return config;
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
  const auto engine = make_engine(table_config(), "ionscreen");
  CHECK(engine->read_outcome(fresh_dir("nothing"), "c1-a1").kind == Kind::pending);
  CHECK(engine->read_outcome(job_with("running\n", ""), "c1-a1").kind == Kind::pending);
}

TEST_CASE("read_outcome: done with a finite E_b", "[unit][engine]") {
  const auto engine = make_engine(table_config(), "ionscreen");
  const JobOutcome outcome = engine->read_outcome(
      job_with("done\n", R"({"protocol": 1, "job_id": "c1-a1", "E_b": 0.42})"), "c1-a1");
  CHECK(outcome.kind == Kind::done);
  CHECK(outcome.e_b == 0.42);
  CHECK(outcome.reason.empty());
}

TEST_CASE("read_outcome: a failed status is the engine's final word", "[unit][engine]") {
  const auto engine = make_engine(table_config(), "ionscreen");
  const JobOutcome outcome =
      engine->read_outcome(job_with("failed: structure.cif: no oxidation states\n", ""), "c1-a1");
  CHECK(outcome.kind == Kind::failed);
  CHECK(outcome.reason == "structure.cif: no oxidation states");
  CHECK_FALSE(outcome.retryable);
}

TEST_CASE("read_outcome: an unusable result is a retryable failure naming file and problem",
          "[unit][engine]") {
  const auto engine = make_engine(table_config(), "ionscreen");
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
      {"finished\n", "", "'finished' is not a status"},
  };
  for (const Case& c : cases) {
    INFO(c.status << c.result);
    const fs::path dir = job_with(c.status, c.result);
    const JobOutcome outcome = engine->read_outcome(dir, "c1-a1");
    CHECK(outcome.kind == Kind::failed);
    CHECK(outcome.retryable);
    CHECK_THAT(outcome.reason, Catch::Contains(c.says) && Catch::Contains(dir.string()));
  }
}

TEST_CASE("read_outcome: BVSE's no percolating path is a final failure", "[unit][engine]") {
  const auto engine = make_engine(table_config(), "ionscreen");
  const JobOutcome outcome = engine->read_outcome(
      job_with("done\n", R"({"job_id": "c1-a1", "E_b": null, "percolates": false})"), "c1-a1");
  CHECK(outcome.kind == Kind::failed);
  CHECK_FALSE(outcome.retryable);
  CHECK(outcome.reason == "no percolating path below 10 eV");
}

TEST_CASE("make_engine checks the [engine] settings", "[unit][engine]") {
  CampaignConfig config = table_config();
  CHECK(make_engine(config, "ionscreen")->name() == "table");
  config.faults = "fail=0.1,hang=0.05";
  CHECK(make_engine(config, "ionscreen")->name() == "table");
  config.faults = "fail=2";
  CHECK_THROWS_WITH(
      make_engine(config, "ionscreen"),
      Catch::Contains("/campaigns/test.ini: [engine] faults") && Catch::Contains("outside [0, 1]"));
  config.faults.clear();
  config.engine_table.clear();
  CHECK_THROWS_WITH(make_engine(config, "ionscreen"),
                    Catch::Contains("[engine] table") && Catch::Contains("absolute path"));
  config.engine = "gaussian";
  CHECK_THROWS_AS(make_engine(config, "ionscreen"), InputError);
  CHECK_THROWS_WITH(make_engine(config, "ionscreen"),
                    Catch::Contains("[engine] engine = 'gaussian'") &&
                        Catch::Contains("bvse, table, qe, cp2k, vasp"));
  // A DFT code: its site profile must be readable, and under the local backend (no setup
  // script) its programs must be runnable before anything is submitted.
  config.engine = "vasp";
  CHECK_THROWS_WITH(make_engine(config, "ionscreen"), Catch::Contains("[dft] site: no site profile"));
  config.dft.site = fs::path(IONSCREEN_SOURCE_DIR) / "cluster/sites/local.ini";
  CHECK_THROWS_WITH(make_engine(config, "ionscreen"),
                    Catch::Contains("[dft] vasp = 'vasp_std'") && Catch::Contains("not an executable"));
  CampaignConfig bvse;
  CHECK(make_engine(bvse, "ionscreen")->name() == "bvse");
  bvse.faults = "fail=0.1";
  CHECK_THROWS_WITH(make_engine(bvse, "ionscreen"), Catch::Contains("only for engine = table"));
}

TEST_CASE("an engine's argv passes the environment explicitly, no shell string", "[unit][engine]") {
  CampaignConfig config;
  config.inputs = "/data/inputs with space";
  const auto engine = make_engine(config, "/opt/ionscreen/bin/ionscreen");
  const fs::path dir = "/runs/demo/jobs/c000017-a1";
  CHECK(engine->argv(dir) ==
        std::vector<std::string>{"/usr/bin/env", "IONSCREEN=/opt/ionscreen/bin/ionscreen",
                                 "IONSCREEN_INPUTS=/data/inputs with space", "bash",
                                 (data_directory() / "cluster/wrappers/bvse.sh").string(),
                                 dir.string()});
  // Relative paths are resolved now: the wrapper runs in the job directory.
  const auto relative = make_engine(table_config(), "build/ionscreen")->argv("jobs/c1-a1");
  CHECK(relative[1] == std::string("IONSCREEN=") + fs::absolute("build/ionscreen").string());
  CHECK(relative[4] == (data_directory() / "cluster/wrappers/table.sh").string());
  CHECK(relative[5] == fs::absolute("jobs/c1-a1").string());
  CHECK(fs::exists(relative[4]));
}

TEST_CASE("a table engine's job runs in-process to a done outcome", "[unit][engine]") {
  CampaignConfig config = table_config();
  config.faults = "slow=0.01";
  const auto engine = make_engine(config, "ionscreen");
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
                              {"table", config.engine_table.string()},
                              {"key_column", "compound"},
                              {"column", "E_b"},
                              {"faults", "slow=0.01"},
                              {"seed", 11}});
  CHECK(engine->read_outcome(dir, "c000017-a1").kind == Kind::pending);
  REQUIRE(run_builtin_job(dir, kSource / "inputs"));
  const JobOutcome outcome = engine->read_outcome(dir, "c000017-a1");
  CHECK(outcome.kind == Kind::done);
  CHECK(outcome.e_b == 0.75);
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
  CampaignConfig config;
  config.inputs = kSource / "inputs";
  const auto engine = make_engine(config, "ionscreen");
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
  REQUIRE(run_builtin_job(dir, config.inputs));
  const JobOutcome outcome = engine->read_outcome(dir, "c000001-a1");
  INFO(outcome.reason);
  CHECK(outcome.kind == Kind::done);
  CHECK(std::isfinite(outcome.e_b));
  CHECK(outcome.e_b > 0.0);

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
  CampaignConfig config = table_config();
  config.faults = faults;
  const auto engine = make_engine(config, ionscreen_binary());
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
    CHECK(outcome.kind == Kind::done);
    CHECK(outcome.e_b == 0.75);
  }
  SECTION("fail: the process exits non-zero and the status stays running") {
    const auto [report, outcome] = run_table_job("fail=1", "fail");
    CHECK(report.state == JobState::failed);
    CHECK(report.reason == "exit 1");
    CHECK(outcome.kind == Kind::pending);
  }
  SECTION("hang: the backend's wall-time limit ends it") {
    const auto before = std::chrono::steady_clock::now();
    const auto [report, outcome] = run_table_job("hang=1", "hang");
    CHECK(report.state == JobState::timed_out);
    CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(10));
    CHECK(outcome.kind == Kind::pending);
  }
  SECTION("garbage: finished, but a retryable failure") {
    const auto [report, outcome] = run_table_job("garbage=1", "garbage");
    CHECK(report.state == JobState::finished);
    CHECK(outcome.kind == Kind::failed);
    CHECK(outcome.retryable);
    CHECK_THAT(outcome.reason, Catch::Contains("result.json"));
  }
}
