// The table engine behind the job protocol (`ionscreen job`): E_b looked up in a CSV, and the
// fault injection that tests a campaign's failure handling. Everything here runs in-process; the
// faults that need a real process (fail's exit status, hang's wall-time kill) are tested through
// the wrapper in test_engine.cpp.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "pipeline/base/error.hpp"
#include "pipeline/jobs/builtin_job.hpp"
#include "pipeline/jobs/faults.hpp"
#include "pipeline/jobs/job_protocol.hpp"
#include "pipeline/jobs/table_job.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using ionscreen::pipeline::testing::slurp;
using namespace ionscreen::pipeline;

namespace {

/// A fresh directory for this file's tests.
fs::path fresh_dir(const std::string& name) {
  return ionscreen::pipeline::testing::fresh_dir(std::string("table-job-") + name);
}

/// "c<candidate>-a<attempt>" (appended piece by piece: GCC 12 warns falsely on literal + string).
std::string job_id_of(int candidate, int attempt) {
  std::string id = "c";
  id += std::to_string(candidate);
  id += "-a";
  id += std::to_string(attempt);
  return id;
}

/// A small landscape: a found value, an infinite one, a text column with a non-number.
fs::path fixture_table() {
  const fs::path file = fresh_dir("table") / "landscape.csv";
  write_atomically(file,
                   "# a small landscape for the table engine tests\n"
                   "compound,carrier,E_b,E_dft\n"
                   "LiFeSO4F,Li,0.5,0.41\n"
                   "LiMgSO4F,Li,inf,pending\n"
                   "NaFeSO4F,Na,0.75,0.52\n");
  return file;
}

nlohmann::json table_job(const std::string& job_id, const std::string& candidate) {
  return {{"protocol", 1},
          {"engine", "table"},
          {"job_id", job_id},
          {"candidate", candidate},
          {"table", fixture_table().string()},
          {"key_column", "compound"},
          {"column", "E_b"}};
}

/// Runs `job` in a fresh directory; returns the directory.
fs::path run(const std::string& name, const nlohmann::json& job, bool expect_success) {
  const fs::path dir = fresh_dir(name);
  write_atomically(dir / "job.json", job.dump());
  CHECK(run_builtin_job(dir, "unused-inputs") == expect_success);
  return dir;
}

}  // namespace

TEST_CASE("a table job looks E_b up by key", "[unit][job][table]") {
  const fs::path dir = run("found", table_job("c1-a1", "NaFeSO4F"), true);
  CHECK(slurp(dir / "status") == "done\n");
  const nlohmann::json result = read_json(dir / "result.json");
  CHECK(result["protocol"] == 1);
  CHECK(result["engine"] == "table");
  CHECK(result["job_id"] == "c1-a1");
  CHECK(result["E_b"].get<double>() == 0.75);
  CHECK(result["seconds"].get<double>() >= 0.0);

  // The key may also be a text column whose value names one row.
  nlohmann::json by_carrier = table_job("c1-a2", "Na");
  by_carrier["key_column"] = "carrier";
  CHECK(read_json(run("by-carrier", by_carrier, true) / "result.json")["E_b"].get<double>() ==
        0.75);
}

TEST_CASE("a table job that cannot find a usable value fails naming table, key, column, value",
          "[unit][job][table]") {
  struct Case {
    const char* name;
    nlohmann::json job;
    std::vector<std::string> says;
  };
  const std::string table = fixture_table().string();
  nlohmann::json missing_column = table_job("c2-a1", "LiFeSO4F");
  missing_column["column"] = "E_2D";
  nlohmann::json text_value = table_job("c2-a1", "LiMgSO4F");
  text_value["column"] = "E_dft";
  nlohmann::json ambiguous = table_job("c2-a1", "Li");
  ambiguous["key_column"] = "carrier";
  nlohmann::json unknown_key = table_job("c2-a1", "LiFeSO4F");
  unknown_key["temperature"] = 300;
  nlohmann::json relative = table_job("c2-a1", "LiFeSO4F");
  relative["table"] = "landscape.csv";
  nlohmann::json bad_seed = table_job("c2-a1", "LiFeSO4F");
  bad_seed["seed"] = -1;
  const std::vector<Case> cases = {
      {"missing-key", table_job("c2-a1", "LiXxSO4F"), {table, "compound = 'LiXxSO4F'"}},
      {"inf",
       table_job("c2-a1", "LiMgSO4F"),
       {table, "LiMgSO4F", "'E_b'", "inf", "no percolating path"}},
      {"missing-column", missing_column, {table, "LiFeSO4F", "E_2D", "E_b"}},
      {"not-a-number", text_value, {table, "LiMgSO4F", "E_dft", "'pending' is not a number"}},
      {"ambiguous", ambiguous, {table, "2 rows have carrier = 'Li'"}},
      {"unknown-key", unknown_key, {"job.json", "temperature", "unknown key"}},
      {"relative-table", relative, {"'table'", "absolute"}},
      {"bad-seed", bad_seed, {"'seed'", "-1", "non-negative integer"}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const fs::path dir = run(c.name, c.job, false);
    const std::string status = slurp(dir / "status");
    CHECK(status.rfind("failed: ", 0) == 0);
    for (const auto& part : c.says) CHECK_THAT(status, Catch::Contains(part));
    CHECK_FALSE(fs::exists(dir / "result.json"));
  }
}

TEST_CASE("fault specs are parsed strictly", "[unit][faults]") {
  const FaultRates rates = parse_faults("fail=0.1,hang=0.05,garbage=0.05,slow=0.2", "origin");
  CHECK(rates.fail == 0.1);
  CHECK(rates.hang == 0.05);
  CHECK(rates.garbage == 0.05);
  CHECK(rates.slow == 0.2);
  CHECK(parse_faults("", "origin").fail == 0.0);
  CHECK(parse_faults("slow=1", "origin").slow == 1.0);
  const std::pair<const char*, const char*> bad[] = {
      {"crash=0.1", "unknown kind 'crash'"},
      {"fail=lots", "'lots' is not a number"},
      {"fail=", "'' is not a number"},
      {"fail=1.5", "outside [0, 1]"},
      {"fail=-0.1", "outside [0, 1]"},
      {"fail=0.6,hang=0.6", "sum to 1.2"},
      {"fail", "not kind=rate"},
      {"fail=0.1,fail=0.2", "repeats the kind 'fail'"},
      {"fail=nan", "outside [0, 1]"},
  };
  for (const auto& [spec, says] : bad) {
    INFO(spec);
    CHECK_THROWS_AS(parse_faults(spec, "job.json: key 'faults'"), InputError);
    CHECK_THROWS_WITH(parse_faults(spec, "job.json: key 'faults'"),
                      Catch::Contains(says) && Catch::Contains("job.json: key 'faults'") &&
                          Catch::Contains(spec) && Catch::Contains("accepted"));
  }
}

TEST_CASE("fault draws are deterministic per (seed, job id) and hit the configured rates",
          "[unit][faults]") {
  CHECK(fault_draw(1, "c000017-a1") == fault_draw(1, "c000017-a1"));
  CHECK(fault_draw(1, "c000017-a1") != fault_draw(1, "c000017-a2"));  // a retry draws afresh
  CHECK(fault_draw(1, "c000017-a1") != fault_draw(2, "c000017-a1"));
  // The hash is documented (docs/job_protocol.md) so that tests elsewhere can predict outcomes;
  // these values come from an independent Python transcription of that text.
  CHECK(fault_draw(1, "c0000017-a01") == 0.9218838355265174);
  CHECK(fault_draw(7, "c000017-a1") == 0.2574769069676379);
  CHECK(fault_draw(0, "") == 0.6524484863740322);

  const FaultRates rates = parse_faults("fail=0.2,hang=0.05,garbage=0.1,slow=0.15", "test");
  const std::map<Fault, double> expected = {{Fault::fail, 0.2},
                                            {Fault::hang, 0.05},
                                            {Fault::garbage, 0.1},
                                            {Fault::slow, 0.15},
                                            {Fault::none, 0.5}};
  const int n = 400;
  std::map<Fault, int> seen;
  std::set<int> variants;
  for (int i = 0; i < n; ++i) {
    const std::string job_id = job_id_of(100000 + i, 1);
    const double draw = fault_draw(7, job_id);
    REQUIRE(draw >= 0.0);
    REQUIRE(draw < 1.0);
    const Fault fault = choose_fault(rates, draw);
    CHECK(choose_fault(rates, fault_draw(7, job_id)) == fault);  // the same id draws the same
    ++seen[fault];
    if (fault == Fault::garbage) variants.insert(garbage_variant(rates, draw));
  }
  for (const auto& [fault, p] : expected) {
    INFO(to_string(fault) << ": " << seen[fault] << " of " << n << ", expected rate " << p);
    CHECK(std::abs(seen[fault] - n * p) <= 4.0 * std::sqrt(n * p * (1.0 - p)));  // binomial 4 sigma
  }
  CHECK(variants == std::set<int>{0, 1, 2});  // every kind of garbage is written
}

TEST_CASE("injected faults in a table job: fail leaves status running, garbage and slow finish",
          "[unit][job][faults]") {
  nlohmann::json job = table_job("c3-a1", "LiFeSO4F");
  SECTION("fail: no final status, no result, as a crashed code") {
    job["faults"] = "fail=1";
    const fs::path dir = run("fail", job, false);
    CHECK(slurp(dir / "status") == "running\n");
    CHECK_FALSE(fs::exists(dir / "result.json"));
  }
  SECTION("garbage: status done, result.json unusable in each of its variants") {
    std::set<std::string> kinds;
    for (int i = 0; i < 30; ++i) {
      job["job_id"] = job_id_of(3, i);
      job["faults"] = "garbage=1";
      const fs::path dir = run("garbage", job, true);
      CHECK(slurp(dir / "status") == "done\n");
      const std::string text = slurp(dir / "result.json");
      const auto parsed = nlohmann::json::parse(text, nullptr, false);
      if (parsed.is_discarded()) {
        kinds.insert("not JSON");
      } else {
        REQUIRE(parsed["E_b"].is_string());
        kinds.insert(parsed["E_b"] == "nan" ? "nan" : "text");
      }
    }
    CHECK(kinds == std::set<std::string>{"not JSON", "nan", "text"});
  }
  SECTION("slow: half a second, then the right value") {
    job["faults"] = "slow=1";
    const auto before = std::chrono::steady_clock::now();
    const fs::path dir = run("slow", job, true);
    CHECK(std::chrono::steady_clock::now() - before >= std::chrono::milliseconds(500));
    CHECK(read_json(dir / "result.json")["E_b"].get<double>() == 0.5);
  }
  SECTION("a fault spec the engine does not accept fails the job, naming it") {
    job["faults"] = "fail=0.1,explode=0.2";
    const fs::path dir = run("bad-faults", job, false);
    CHECK_THAT(slurp(dir / "status"),
               Catch::StartsWith("failed: ") && Catch::Contains("unknown kind 'explode'"));
  }
  SECTION("the same job id and seed give the same outcome; another seed may not") {
    job["faults"] = "fail=0.5";
    for (int i = 0; i < 20; ++i) {
      job["job_id"] = job_id_of(4, i);
      job["seed"] = 3;
      const double draw = fault_draw(3, job["job_id"].get<std::string>());
      const bool succeeds = choose_fault(FaultRates{0.5, 0.0, 0.0, 0.0}, draw) == Fault::none;
      run("seeded", job, succeeds);
      run("seeded-again", job, succeeds);
    }
  }
}

TEST_CASE("a job.json with a number out of range fails naming the file", "[unit][job]") {
  // Review finding D1: nlohmann's out_of_range escaped as "[json.exception.out_of_range.406]"
  // without the file's name.
  const fs::path dir = fresh_dir("overflow");
  write_atomically(dir / "job.json",
                   R"({"protocol": 1, "engine": "table", "job_id": "c3-a1", "seed": 1e400})");
  CHECK_FALSE(run_builtin_job(dir, "unused-inputs"));
  const std::string status = slurp(dir / "status");
  CHECK_THAT(status, Catch::Contains("failed: ") && Catch::Contains((dir / "job.json").string()) &&
                         Catch::Contains("not valid JSON"));
}
