// The BVSE engine behind the job protocol (`ionscreen job`): job.json in, status and result.json
// out.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "pipeline/jobs/builtin_job.hpp"
#include "pipeline/jobs/job_protocol.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using ionscreen::pipeline::testing::slurp;
using namespace ionscreen::pipeline;

namespace {

const fs::path kSource = IONSCREEN_SOURCE_DIR;

/// A fresh job directory with Li3PO4 and the given job.json.
fs::path job_dir(const std::string& name, const nlohmann::json& job) {
  const fs::path dir = fs::temp_directory_path() / ("ionscreen-test-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(kSource / "tests/fixtures/structures/Li3PO4_mp-2878.cif", dir / "structure.cif");
  write_atomically(dir / "job.json", job.dump());
  return dir;
}

nlohmann::json li3po4_job() {
  return {{"protocol", 1},
          {"engine", "bvse"},
          {"job_id", "c17-a1"},
          {"structure", "structure.cif"},
          {"carrier", "Li"}};
}

}  // namespace

TEST_CASE("a BVSE job writes status and result, nothing half-written", "[unit][job]") {
  const auto barrier = GENERATE(std::string("E_1D"), std::string("E_3D"));
  nlohmann::json job = li3po4_job();
  job["barrier"] = barrier;
  const fs::path dir = job_dir("ok", job);
  REQUIRE(run_builtin_job(dir, kSource / "inputs"));
  CHECK(slurp(dir / "status") == "done\n");
  const nlohmann::json result = read_json(dir / "result.json");
  CHECK(result["job_id"] == "c17-a1");
  CHECK(result["protocol"] == 1);
  // bvlain's published Li3PO4 values (BVSE.md).
  CHECK(result["E_1D"].get<double>() == Approx(0.4785).margin(0.005));
  CHECK(result["E_3D"].get<double>() == Approx(0.8008).margin(0.005));
  CHECK(result["E_b"] == result[barrier]);
  for (const auto& entry : fs::directory_iterator(dir)) CHECK(entry.path().extension() != ".tmp");
  fs::remove_all(dir);
}

TEST_CASE("a bad job fails with its reason in the status file", "[unit][job]") {
  struct Case {
    const char* key;
    nlohmann::json value;
    const char* says;
  };
  const Case cases[] = {
      {"protocol", 2, "protocol 1"},
      {"engine", "vasp", "built-in engines are bvse, table"},
      {"barrier", "E_4D", "E_1D, E_2D, E_3D"},
      {"structure", "../etc/passwd", "inside the job directory"},
      {"carrier", "Xx", "Xx"},
      {"grid_spacing", "fine", "not a number"},
      {"temperature", 300, "unknown key"},
  };
  for (const Case& c : cases) {
    nlohmann::json job = li3po4_job();
    job[c.key] = c.value;
    const fs::path dir = job_dir("bad", job);
    INFO(c.key);
    CHECK_FALSE(run_builtin_job(dir, kSource / "inputs"));
    const std::string status = slurp(dir / "status");
    CHECK(status.rfind("failed: ", 0) == 0);
    CHECK_THAT(status, Catch::Contains(c.says));
    CHECK_FALSE(fs::exists(dir / "result.json"));
    fs::remove_all(dir);
  }
  const fs::path dir = job_dir("garbage", li3po4_job());
  write_atomically(dir / "job.json", "{ not json");
  CHECK_FALSE(run_builtin_job(dir, kSource / "inputs"));
  CHECK_THAT(slurp(dir / "status"), Catch::Contains("not valid JSON"));
  fs::remove_all(dir);
}
