// The DFT stage runner's state machine (pipeline/jobs/dft/stages.hpp) with a scripted stand-in for
// a code: which stage runs when, the corrections after each kind of problem, the bounds on them,
// the end point and band checks, resuming from an earlier attempt's folder. The real codes run
// in tests/dft/.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <numbers>

#include "pipeline/jobs/dft/stages.hpp"
#include "pipeline/jobs/engine_factory.hpp"
#include "pipeline/jobs/job_protocol.hpp"
#include "structures/cif.hpp"
#include "structures/poscar.hpp"
#include "tests/pipeline/support.hpp"

namespace fs = std::filesystem;
using namespace ionscreen::pipeline;
using namespace ionscreen::pipeline::dft;
using ionscreen::structures::Crystal;
using testing::fresh_dir;
using testing::slurp;

namespace {

constexpr double kHeight = 0.4;  // eV, the scripted band's barrier

/// A code whose outcomes follow a script per stage folder ("relax_start", "relax_end", "neb"):
/// the k-th reading of a stage reports script[stage][k] (none once the script runs out).
class ScriptedCode : public DftCode {
 public:
  std::map<std::string, std::vector<Problem>> script;
  mutable std::map<std::string, std::vector<Corrections>> writes;  // per stage, per try
  bool end_relaxes_to_start = false;
  double max_force = 0.01;  ///< eV/Å, what every relaxation reports (within the tolerance)

  std::string name() const override { return "scripted"; }
  void check(const DftSettings&, const std::set<std::string>&) const override {}

  Command write_relax(const fs::path& dir, const Crystal&, const DftSettings&, const DftSite& site,
                      const Corrections& c) const override {
    writes[dir.filename().string()].push_back(c);
    return {launch(site, "pw", site.cores), "relax.out"};
  }
  RelaxResult read_relax(const fs::path& dir, const Crystal& input) const override {
    const std::string stage = dir.filename().string();
    RelaxResult r;
    r.problem = current(stage);
    r.reason = "scripted " + std::string(to_string(r.problem));
    r.energy = -10.0;
    r.max_force = max_force;
    r.steps = 3;
    r.last = input;
    if (end_relaxes_to_start && stage == "relax_end")
      r.last = ionscreen::structures::read_poscar(dir.parent_path() / "hop" / "start.vasp");
    return r;
  }
  Command write_neb(const fs::path& dir, const std::vector<Crystal>& band,
                    const std::pair<double, double>&, const DftSettings&, const DftSite& site,
                    const Corrections& c) const override {
    writes[dir.filename().string()].push_back(c);
    bands.push_back(band);
    return {launch(site, "neb", site.cores), "neb.out"};
  }
  NebResult read_neb(const fs::path& dir, const std::vector<Crystal>& band,
                     const DftSettings&) const override {
    NebResult r;
    r.problem = current(dir.filename().string());
    r.reason = "scripted " + std::string(to_string(r.problem));
    const auto n = static_cast<double>(band.size() - 1);
    for (std::size_t k = 0; k < band.size(); ++k)
      r.energies.push_back(
          -10.0 + kHeight * std::pow(std::sin(std::numbers::pi * static_cast<double>(k) / n), 2));
    r.max_forces.assign(band.size(), 0.01);
    r.steps = 12;
    return r;
  }
  mutable std::vector<std::vector<Crystal>> bands;

 private:
  Problem current(const std::string& stage) const {
    const std::size_t k = reads[stage]++;
    const auto& s = script.count(stage) ? script.at(stage) : std::vector<Problem>{};
    return k < s.size() ? s[k] : Problem::none;
  }
  mutable std::map<std::string, std::size_t> reads;
};

/// A job directory for Li3PO4 (mp-2878, 32 sites, as in the unit cell) with 3 images.
fs::path make_job(const std::string& name, DftSettings settings = {}, DftSite site = {}) {
  const fs::path dir = fresh_dir(name);
  fs::copy_file(fs::path(IONSCREEN_SOURCE_DIR) / "tests/fixtures/structures/Li3PO4_mp-2878.cif",
                dir / "structure.cif");
  settings.images = 3;
  settings.supercell = "1x1x1";
  site.launcher = {};
  site.programs["pw"] = "/bin/true";
  site.programs["neb"] = "/bin/true";
  const nlohmann::json job = {{"protocol", kJobProtocolVersion},
                              {"engine", "qe"},
                              {"job_id", "c0000001-a01"},
                              {"carrier", "Li"},
                              {"structure", "structure.cif"},
                              {"dft", to_json(settings)},
                              {"site", to_json(site)}};
  write_atomically(dir / "job.json", job.dump(2));
  return dir;
}

/// Fields of next_command: stage folder, log, argv...
std::vector<std::string> next_command(const fs::path& dir) {
  const std::string text = slurp(dir / "next_command");
  std::vector<std::string> fields;
  std::string field;
  for (char ch : text) {
    if (ch == '\0') {
      fields.push_back(field);
      field.clear();
    } else {
      field += ch;
    }
  }
  return fields;
}

/// Runs the runner until it finishes; returns the stage folder of every command it handed out.
std::vector<std::string> run_to_end(const fs::path& dir, const ScriptedCode& code) {
  std::vector<std::string> stages;
  for (int i = 0; i < 50 && dft_step(dir, code) == StepResult::run; ++i)
    stages.push_back(fs::path(next_command(dir).at(0)).filename().string());
  return stages;
}

std::string status_of(const fs::path& dir) { return slurp(dir / "status"); }

}  // namespace

TEST_CASE("stage runner: relax both end points, then the band; E_b from the band",
          "[dft][stages]") {
  const fs::path dir = make_job("happy");
  ScriptedCode code;
  REQUIRE(dft_step(dir, code) == StepResult::run);
  const auto first = next_command(dir);
  REQUIRE(first.size() == 3);
  CHECK(first[0] == (dir / "relax_start").string());
  CHECK(first[1] == "relax.out");
  CHECK(first[2] == "/bin/true");
  CHECK(describe_stages(dir) == "relax_start running (try 1)");
  const auto rest = run_to_end(dir, code);
  CHECK(describe_stages(dir) == "relax_start complete, relax_end complete, neb complete");
  CHECK(rest == std::vector<std::string>{"relax_end", "neb"});
  REQUIRE(status_of(dir) == "done\n");
  const auto result = read_json(dir / "result.json");
  // The scripted band is -10 + 0.4 sin^2(pi k / 4), k = 0..4: highest at k = 2, 0.4 eV up.
  CHECK(result["E_b"].get<double>() == Approx(kHeight).margin(1e-12));
  CHECK(result["saddle_image"] == 2);
  CHECK(result["converged"] == true);
  CHECK(result["energies"].size() == 5);
  CHECK(result["hop"]["atoms"] == 31);  // 32 sites, one Li taken out for the vacancy
  CHECK(result["stages"]["relax_start"]["state"] == "complete");

  // The band handed to the code: the end point's atoms at the copies nearest the start, and no
  // atom jumping between neighbouring images.
  REQUIRE(code.bands.size() == 1);
  const auto& band = code.bands[0];
  REQUIRE(band.size() == 5);
  const double hop = result["hop"]["length"].get<double>();
  for (std::size_t k = 1; k < band.size(); ++k)
    for (std::size_t i = 0; i < band[k].sites.size(); ++i) {
      const double step =
          band[k].cartesian(band[k].sites[i].frac - band[k - 1].sites[i].frac).norm();
      CHECK(step <= hop);
    }
  const auto moving = result["hop"]["moving"].get<std::size_t>();
  const double travelled =
      band[0].cartesian(band.back().sites[moving].frac - band[0].sites[moving].frac).norm();
  CHECK(travelled == Approx(hop).margin(1e-6));

  // The engine's reading of the directory agrees.
  const JobOutcome engine_outcome =
      make_engine(EngineSettings{}, {}, {})->read_outcome(dir, "c0000001-a01");
  REQUIRE(std::holds_alternative<JobDone>(engine_outcome));
  CHECK(std::get<JobDone>(engine_outcome).e_b == Approx(kHeight));
}

TEST_CASE("stage runner: with free_atoms = moving, held atoms stay put in every image",
          "[dft][stages]") {
  DftSettings settings;
  settings.free_atoms = FreeAtoms::moving;
  const fs::path dir = make_job("held", settings);
  ScriptedCode code;
  run_to_end(dir, code);
  REQUIRE(status_of(dir) == "done\n");
  REQUIRE(code.bands.size() == 1);
  const auto& band = code.bands[0];
  const auto moving = read_json(dir / "result.json")["hop"]["moving"].get<std::size_t>();
  int held = 0;
  for (std::size_t i = 0; i < band[0].sites.size(); ++i) {
    if (i == moving) {
      CHECK(band[0].sites[i].fixed == std::array<bool, 3>{});
      continue;
    }
    for (const Crystal& image : band) {
      CHECK(image.sites[i].fixed == std::array<bool, 3>{true, true, true});
      CHECK((image.sites[i].frac - band[0].sites[i].frac).norm() == 0.0);
    }
    ++held;
  }
  CHECK(held == 30);
}

TEST_CASE("stage runner: bounded corrections per problem", "[dft][stages]") {
  SECTION("an SCF failure raises the SCF level and runs the stage again") {
    const fs::path dir = make_job("scf");
    ScriptedCode code;
    code.script["relax_start"] = {Problem::scf_not_converged, Problem::scf_not_converged};
    REQUIRE(dft_step(dir, code) == StepResult::run);
    REQUIRE(dft_step(dir, code) == StepResult::run);
    CHECK(describe_stages(dir) == "relax_start running (try 2, scf level 1)");
    const auto stages = run_to_end(dir, code);
    CHECK(stages == std::vector<std::string>{"relax_start", "relax_end", "neb"});
    REQUIRE(code.writes["relax_start"].size() == 3);
    CHECK(code.writes["relax_start"][1].scf == 1);
    CHECK(code.writes["relax_start"][2].scf == 2);
    CHECK(status_of(dir) == "done\n");
    const auto state = read_json(dir / "stages.json");
    CHECK(state["relax_start"]["problems"].size() == 2);
  }
  SECTION("a band out of steps restarts; past max_corrections it is recorded as unconverged") {
    DftSettings settings;
    settings.max_corrections = 2;
    const fs::path dir = make_job("unconverged", settings);
    ScriptedCode code;
    code.script["neb"] = {Problem::steps_exhausted, Problem::steps_exhausted,
                          Problem::steps_exhausted};
    const auto stages = run_to_end(dir, code);
    CHECK(std::count(stages.begin(), stages.end(), "neb") == 3);
    CHECK(code.writes["neb"][2].restarts == 2);
    REQUIRE(status_of(dir) == "done\n");
    const auto result = read_json(dir / "result.json");
    CHECK(result["E_b"].is_null());
    CHECK(result["converged"] == false);
    CHECK(result["E_b_lower_bound"].get<double>() == Approx(kHeight));
    const JobOutcome outcome =
        make_engine(EngineSettings{}, {}, {})->read_outcome(dir, "c0000001-a01");
    REQUIRE(std::holds_alternative<JobFailed>(outcome));
    const JobFailed& failed = std::get<JobFailed>(outcome);
    CHECK_FALSE(failed.retryable);
    CHECK_THAT(failed.reason, Catch::Contains("NEB not converged") && Catch::Contains("0.4"));
  }
  SECTION("a second crash of a stage ends the job with the reason") {
    const fs::path dir = make_job("crash");
    ScriptedCode code;
    code.script["relax_end"] = {Problem::crashed, Problem::crashed};
    run_to_end(dir, code);
    INFO(status_of(dir));
    CHECK(code.writes["relax_end"].size() == 2);
    CHECK_THAT(status_of(dir), Catch::StartsWith("failed: relax_end: crashed: scripted crashed"));
    CHECK_FALSE(fs::exists(dir / "result.json"));
  }
  SECTION("a rejected input is not tried again") {
    const fs::path dir = make_job("bad");
    ScriptedCode code;
    code.script["relax_start"] = {Problem::bad_input};
    run_to_end(dir, code);
    CHECK(code.writes["relax_start"].size() == 1);
    CHECK_THAT(status_of(dir), Catch::StartsWith("failed: relax_start: bad_input"));
  }
}

TEST_CASE("stage runner: checks before and between stages", "[dft][stages]") {
  SECTION("end points that relax into the same minimum give no band") {
    const fs::path dir = make_job("same-minimum");
    ScriptedCode code;
    code.end_relaxes_to_start = true;
    run_to_end(dir, code);
    CHECK(code.writes.count("neb") == 0);
    CHECK_THAT(status_of(dir), Catch::Contains("relaxed into the same minimum"));
  }
  SECTION("a program that cannot be run, named with its site key") {
    DftSite site;
    const fs::path dir = make_job("no-program", {}, site);
    auto job = read_json(dir / "job.json");
    job["site"]["programs"]["pw"] = "no-such-pw.x";
    write_atomically(dir / "job.json", job.dump());
    ScriptedCode code;
    CHECK(dft_step(dir, code) == StepResult::finished);
    CHECK_THAT(status_of(dir), Catch::Contains("[dft] pw = 'no-such-pw.x'"));
  }
  SECTION("a converged verdict the numbers contradict is a damaged output, restarted") {
    // Review finding D10: a relaxation "converged" with a largest force three times the
    // tolerance was passed on to the band.
    const fs::path dir = make_job("doubted");
    ScriptedCode code;
    code.max_force = 0.09;  // [dft] relax_force_tolerance is 0.03
    const auto stages = run_to_end(dir, code);
    CHECK(std::count(stages.begin(), stages.end(), "relax_start") == 4);  // 3 restarts
    CHECK(code.writes.count("neb") == 0);
    CHECK_THAT(status_of(dir),
               Catch::Contains("cut_off") && Catch::Contains("above [dft] relax_force_tolerance"));
  }
  SECTION("a structure outside the job directory") {
    // Review finding D13: the DFT runner joined job.json's path unchecked, so /etc/passwd's
    // second line reached the status and the ledger.
    for (const char* outside : {"../structure.cif", "/etc/passwd", ".."}) {
      const fs::path dir = make_job("outside");
      auto job = read_json(dir / "job.json");
      job["structure"] = outside;
      write_atomically(dir / "job.json", job.dump());
      ScriptedCode code;
      CHECK(dft_step(dir, code) == StepResult::finished);
      CHECK_THAT(status_of(dir), Catch::StartsWith("failed: ") &&
                                     Catch::Contains("key 'structure'") &&
                                     Catch::Contains("inside the job directory"));
      CHECK(code.writes.empty());
    }
  }
  SECTION("a hop index past the structure's distinct hops") {
    DftSettings settings;
    settings.hop = "999";
    const fs::path dir = make_job("hop-index", settings);
    ScriptedCode code;
    CHECK(dft_step(dir, code) == StepResult::finished);
    CHECK_THAT(status_of(dir),
               Catch::Contains("hop = '999'") && Catch::Contains("distinct Li hops"));
  }
}

TEST_CASE("stage runner: a new attempt goes on from the last complete stage", "[dft][stages]") {
  const fs::path first = make_job("attempt1");
  ScriptedCode code;
  REQUIRE(dft_step(first, code) == StepResult::run);  // relax_start handed out
  REQUIRE(dft_step(first, code) == StepResult::run);  // relax_start done, relax_end handed out
  fs::create_directories(first / "relax_end" / "wavefunctions");
  write_atomically(first / "relax_end" / "wavefunctions" / "big", "x");
  // The attempt dies here (wall time). The next attempt's folder starts as a copy.
  const fs::path second = make_job("attempt2");
  carry_over(first, second, {"wavefunctions"});
  CHECK_FALSE(fs::exists(second / "relax_end" / "wavefunctions"));
  CHECK(read_json(second / "job.json")["job_id"] == "c0000001-a01");  // its own job.json kept
  ScriptedCode next;  // a fresh process: no memory of the first attempt
  next.script["relax_end"] = {Problem::cut_off};
  const auto stages = run_to_end(second, next);
  // relax_start is not run again; relax_end, read as cut off, restarts from its last state.
  CHECK(stages == std::vector<std::string>{"relax_end", "neb"});
  CHECK(next.writes["relax_end"].at(0).restarts == 1);
  CHECK(status_of(second) == "done\n");
}
