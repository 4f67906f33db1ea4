// The campaign INI file: every key, defaults, the to_ini round trip, error messages (file, line,
// key, value, what is accepted), overrides, durations and path resolution.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "pipeline/base/data_directory.hpp"
#include "pipeline/base/error.hpp"
#include "pipeline/campaign/config.hpp"

namespace fs = std::filesystem;
using namespace ionscreen::pipeline;
using Catch::Contains;

namespace {

/// A fresh folder, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() /
              ("ionscreen_config_" + std::to_string(std::random_device{}()))) {
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }

 private:
  fs::path path_;
};

/// Sets or unsets an environment variable for the scope, restoring it after.
class EnvGuard {
 public:
  EnvGuard(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value != nullptr ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~EnvGuard() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

/// Works in `dir` for the scope.
class InDirectory {
 public:
  explicit InDirectory(const fs::path& dir) : old_(fs::current_path()) { fs::current_path(dir); }
  ~InDirectory() { fs::current_path(old_); }
  InDirectory(const InDirectory&) = delete;
  InDirectory& operator=(const InDirectory&) = delete;

 private:
  fs::path old_;
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

/// The message of loading `text` as <temp>/campaign.ini with `overrides`.
std::string file_error(const std::string& text, const std::vector<std::string>& overrides = {}) {
  const TempDir dir;
  const auto file = dir.write("campaign.ini", text);
  return error_of([&] { (void)load_campaign_config(file, overrides); });
}

/// The config of `text` parsed as if from <dir>/campaign.ini.
CampaignConfig parsed(const std::string& text, const std::vector<std::string>& overrides = {}) {
  const TempDir dir;
  return parse_campaign_config(text, dir.path() / "campaign.ini", overrides);
}

const std::string kFull = R"(# a campaign using every key
[campaign]
name = full-run.1
directory = runs/full
carrier = Na
seed = 42

[candidates]
space = ../spaces/small.ini
inputs = ../inputs/
table = ../data/table.csv
key = formula
where = carrier=Na

[search]
mode = threshold
threshold = 5%
threshold_reference = ../data/reference.csv
threshold_column = E_2D
threshold_where = carrier=Na   ; an inline comment
kernel = sum(se[M], se[X])
acquisition = straddle
batch = 4
batch_method = cl
initial = 0
initial_candidates = NaFeSO4F, NaMnSO4F NaCoSO4F
budget = 50
target = 0.25
wall_clock = 2h
transfer = hp
transfer_source = ../li-run

[engine]
name = table
barrier = E_3D
grid_spacing = 0.15
table = ../data/barriers.csv
key = name
column = E_b
faults = fail=0.1,hang=0.05   # a comment

[jobs]
backend = slurm
max_in_flight = 8
retries = 3
time_limit = 90s
poll = 500ms
slurm_profile = ../profiles/site.ini
)";

/// The files kFull refers to, below `dir`; returns the campaign file dir/sub/campaign.ini.
fs::path write_full(const TempDir& dir) {
  for (const char* f : {"spaces/small.ini", "data/table.csv", "data/reference.csv",
                        "data/barriers.csv", "profiles/site.ini"})
    dir.write(f, "x\n");
  fs::create_directories(dir.path() / "inputs");
  return dir.write("sub/campaign.ini", kFull);
}

}  // namespace

TEST_CASE("campaign config: a file with every key", "[unit][config]") {
  const TempDir dir;
  const fs::path& d = dir.path();
  const auto c = load_campaign_config(write_full(dir));
  CHECK(c.file == d / "sub/campaign.ini");
  CHECK(c.name == "full-run.1");
  CHECK(c.directory == d / "sub/runs/full");
  CHECK(c.carrier == "Na");
  CHECK(c.seed == 42);
  CHECK(c.space == d / "spaces/small.ini");
  CHECK(c.inputs == d / "inputs");
  CHECK(c.table == d / "data/table.csv");
  CHECK(c.table_key == "formula");
  CHECK(c.table_where == "carrier=Na");
  CHECK(c.mode == SearchMode::threshold);
  CHECK(c.threshold == Threshold{Threshold::Kind::quantile, 0.05});
  CHECK(c.threshold_reference == d / "data/reference.csv");
  CHECK(c.threshold_column == "E_2D");
  CHECK(c.threshold_where == "carrier=Na");
  CHECK(c.kernel == "sum(se[M], se[X])");
  CHECK(c.acquisition == ionscreen::gp::AcquisitionKind::straddle);
  CHECK(c.batch == 4);
  CHECK(c.batch_method == ionscreen::gp::BatchMethod::constant_liar);
  CHECK(c.initial == 0);
  CHECK(c.initial_candidates == std::vector<std::string>{"NaFeSO4F", "NaMnSO4F", "NaCoSO4F"});
  CHECK(c.budget == 50);
  CHECK(c.target == 0.25);
  CHECK(c.wall_clock_seconds == 7200.0);
  CHECK(c.transfer == ionscreen::gp::TransferMode::hp);
  CHECK(c.transfer_source == d / "li-run");
  CHECK(c.engine.kind == EngineKind::table);
  CHECK(c.engine.barrier == BvseBarrier::e3d);
  CHECK(c.engine.grid_spacing == 0.15);
  CHECK(c.engine.table == d / "data/barriers.csv");
  CHECK(c.engine.table_key == "name");
  CHECK(c.engine.table_column == "E_b");
  CHECK(c.engine.faults == "fail=0.1,hang=0.05");
  CHECK(c.backend == BackendKind::slurm);
  CHECK(c.max_in_flight == 8);
  CHECK(c.retries == 3);
  CHECK(c.time_limit_minutes == 2);
  CHECK(c.poll_seconds == 0.5);
  CHECK(c.slurm_profile == d / "profiles/site.ini");
}

TEST_CASE("campaign config: defaults", "[unit][config]") {
  const EnvGuard home("IONSCREEN_HOME", nullptr);
  const fs::path data{IONSCREEN_SOURCE_DIR};
  REQUIRE(data_directory() == data);
  const TempDir dir;
  const auto c = load_campaign_config(dir.write("my-run.ini", "[campaign]\ncarrier = Na\n"));
  // The struct's documented defaults, plus those that depend on the file and the data folder.
  CampaignConfig expected;
  expected.file = dir.path() / "my-run.ini";
  expected.name = "my-run";
  expected.directory = dir.path() / "my-run";
  expected.carrier = "Na";
  expected.space = data / "inputs/spaces/default.ini";
  expected.inputs = data / "inputs";
  expected.threshold_where = "carrier=Na";
  expected.acquisition = ionscreen::gp::AcquisitionKind::ei;
  CHECK(to_ini(c) == to_ini(expected));  // a readable difference if any
  CHECK(c == expected);
  CHECK((c.mode == SearchMode::optimum && c.batch == 1 && c.initial == 5 &&
         c.time_limit_minutes == 60 && c.backend == BackendKind::local && c.slurm_profile.empty() &&
         !c.target));

  // The mode picks the acquisition; slurm picks the test cluster's profile; an empty
  // threshold_where means no filter (absent means the carrier's).
  CHECK(parsed("[search]\nmode = threshold\n").acquisition == ionscreen::gp::AcquisitionKind::lse);
  CHECK(parsed("[jobs]\nbackend = slurm\n").slurm_profile ==
        data / "cluster/slurm/profiles/local.ini");
  CHECK(parsed("[search]\nthreshold_where =\n").threshold_where.empty());
  CHECK(parsed("").threshold_where == "carrier=Li");

  const TempDir home_dir;
  home_dir.write("inputs/spaces/default.ini", "x\n");
  const EnvGuard custom("IONSCREEN_HOME", home_dir.path().c_str());
  CHECK(data_directory() == home_dir.path());
  CHECK(parsed("").space == home_dir.path() / "inputs/spaces/default.ini");
  const EnvGuard empty("IONSCREEN_HOME", "");
  CHECK(data_directory() == data);
}

TEST_CASE("campaign config: to_ini reads back to an equal config", "[unit][config]") {
  const TempDir dir;
  const auto full = load_campaign_config(write_full(dir));
  const auto minimal = load_campaign_config(dir.write("min.ini", ""));
  const auto other =
      load_campaign_config(dir.write("other.ini",
                                     "[search]\ntarget = -0.125\nwall_clock = 0.5\n"
                                     "initial_candidates = a\n[jobs]\npoll = 1e-3\n"));
  for (const auto& c : {full, minimal, other}) {
    const std::string text = to_ini(c);
    const auto again = parse_campaign_config(text, c.file);
    CHECK(again == c);
    CHECK(to_ini(again) == text);
    // Stored elsewhere (the campaign's snapshot), only `file` differs.
    auto moved = load_campaign_config(dir.write("snapshot/copy.ini", text));
    moved.file = c.file;
    CHECK(moved == c);
  }
  CHECK_THAT(to_ini(full), Contains("\n[engine]\nname = table\n") &&
                               Contains("\ntable = " + (dir.path() / "data/table.csv").string()));
  auto unwritable = minimal;
  unwritable.kernel = "se #1";
  CHECK_THROWS_AS(to_ini(unwritable), InputError);
}

TEST_CASE("campaign config: wrong types and ranges name file, line, key, value, accepted",
          "[unit][config]") {
  const std::string e = file_error("\n[search]\nbatch = four\n");
  CHECK_THAT(e, Contains("campaign.ini:3: [search] batch = 'four': not an integer "
                         "(expected an integer >= 1)"));
  CHECK_THAT(file_error("[search]\nbatch = 3.5\n"),
             Contains(":2: [search] batch = '3.5': not an integer"));
  CHECK_THAT(file_error("[search]\nbatch = 99999999999999999999\n"), Contains("out of range"));
  CHECK_THAT(file_error("[search]\nbatch = 0\n"),
             Contains("'0': out of range (expected an integer >= 1)"));
  CHECK_THAT(file_error("[search]\nbudget = -1\n"), Contains("budget = '-1'") && Contains(">= 0"));
  CHECK_THAT(file_error("[jobs]\nretries = 11\n"),
             Contains("retries = '11'") && Contains("0 to 10"));
  CHECK_THAT(file_error("[jobs]\nretries = -1\n"), Contains("0 to 10"));
  CHECK_THAT(file_error("[jobs]\nmax_in_flight = 0\n"), Contains("max_in_flight = '0'"));
  CHECK_THAT(file_error("[campaign]\nseed = -3\n"), Contains("seed = '-3': negative"));
  CHECK_THAT(file_error("[campaign]\nseed = 18446744073709551616\n"), Contains("out of range"));
  CHECK(parsed("[campaign]\nseed = 18446744073709551615\n").seed == 18446744073709551615ull);

  CHECK_THAT(file_error("[search]\ninitial = 1\n"),
             Contains("campaign.ini:2: [search] initial = '1': too few") &&
                 Contains("initial_candidates"));
  CHECK(parsed("[search]\ninitial = 0\ninitial_candidates = a, b\n").initial == 0);
  CHECK_THAT(file_error("[search]\ninitial_candidates = a, b a\n"), Contains("'a' listed twice"));

  CHECK_THAT(file_error("[engine]\ngrid_spacing = 0.05\n"),
             Contains("grid_spacing = '0.05': out of range (expected a spacing in angstrom in "
                      "(0.05, 1])"));
  CHECK_THAT(file_error("[engine]\ngrid_spacing = 1.5\n"), Contains("out of range"));
  CHECK(parsed("[engine]\ngrid_spacing = 1\n").engine.grid_spacing == 1.0);
  for (const char* bad : {"nan", "inf", "-infinity", "1e400", "abc", "0.2eV"})
    CHECK_THAT(file_error(std::string("[engine]\ngrid_spacing = ") + bad + "\n"),
               Contains(std::string("'") + bad + "': not a finite number"));
  CHECK_THAT(file_error("[search]\ntarget = nan\n"),
             Contains("target = 'nan': not a finite number"));
  CHECK_THAT(file_error("[candidates]\nkey =\n"), Contains(":2: [candidates] key = '': empty"));
  CHECK_THAT(file_error("[engine]\nfaults = fail=2\n"),
             Contains("campaign.ini:2: [engine]: faults 'fail=2'") && Contains("[0, 1]"));
}

TEST_CASE("campaign config: enumerations list what is accepted", "[unit][config]") {
  CHECK_THAT(file_error("[campaign]\ncarrier = K\n"),
             Contains("campaign.ini:2: [campaign] carrier = 'K': not accepted") &&
                 Contains("(expected one of Li, Na)"));
  CHECK_THAT(file_error("[search]\nmode = optimal\n"),
             Contains("did you mean 'optimum'?") && Contains("one of optimum, threshold"));
  CHECK_THAT(file_error("[search]\nacquisition = ucb\n"),
             Contains("one of ei, pi, lcb, thompson, straddle, lse"));
  CHECK_THAT(file_error("[search]\nbatch_method = qq\n"), Contains("one of kb, cl"));
  CHECK_THAT(file_error("[search]\ntransfer = sometimes\n"),
             Contains("one of none, hp, posterior, multitask, auto"));
  CHECK_THAT(file_error("[engine]\nname = gaussian\n"),
             Contains("one of bvse, table, qe, cp2k, vasp"));
  CHECK_THAT(file_error("[engine]\nbarrier = E_4D\n"),
             Contains("did you mean 'E_1D'?") && Contains("one of E_1D, E_2D, E_3D"));
  CHECK_THAT(file_error("[jobs]\nbackend = pbs\n"), Contains("one of local, slurm"));
  for (const char* bad : {"bad name!", "..", "a/b", ""})
    CHECK_THAT(file_error(std::string("[campaign]\nname = ") + bad + "\n"),
               Contains(std::string("name = '") + bad + "': not a campaign name") &&
                   Contains("A-Z a-z 0-9 . _ -"));
  CHECK_THAT(file_error("[campaign]\nname = " + std::string(65, 'a') + "\n"),
             Contains("not a campaign name"));
  CHECK(parsed("[campaign]\nname = " + std::string(64, 'a') + "\n").name.size() == 64);

  // Consistency between keys, reported at the line of the key that breaks it.
  CHECK_THAT(file_error("[search]\nacquisition = lse\n"),
             Contains("campaign.ini:2: [search] acquisition = 'lse': not for mode = optimum") &&
                 Contains("ei, pi, lcb or thompson with mode = optimum"));
  CHECK_THAT(file_error("[search]\nmode = threshold\nacquisition = ei\n"),
             Contains(":3: [search] acquisition = 'ei': not for mode = threshold"));
  CHECK_THAT(file_error("[search]\ntransfer = hp\n"),
             Contains(":2: [search] transfer = 'hp': needs transfer_source"));
  CHECK_THAT(file_error("[engine]\nname = table\n"),
             Contains(":2: [engine] name = 'table': needs [engine] table"));
}

TEST_CASE("campaign config: the [dft] section", "[unit][config][dft]") {
  const EnvGuard home("IONSCREEN_HOME", nullptr);
  const TempDir dir;
  dir.write("pseudo/Li.UPF", "");
  const auto c = load_campaign_config(dir.write("dft.ini", R"([engine]
name = qe
[dft]
functional = PBE
cutoff = 500
kspacing = 0
spin = on
magmom = Fe:4, Mn:3.5
hubbard_u = Fe:5.3
charge = -1
images = 7
climbing = false
spring = 2.5
max_corrections = 1
interpolation = linear
hop = 2
supercell = 2x2x1
free_atoms = moving
pseudo_dir = pseudo
pseudopotentials = Li:Li.UPF, O:O.UPF
extra = electrons.mixing_beta=0.3, system.nosym=.true.
)"));
  CHECK(c.engine.kind == EngineKind::qe);
  CHECK(c.dft.functional == ionscreen::pipeline::dft::Functional::pbe);
  CHECK(c.dft.cutoff == 500.0);
  CHECK(c.dft.spin == ionscreen::pipeline::dft::Spin::on);
  CHECK(c.dft.magmom == std::map<std::string, double>{{"Fe", 4.0}, {"Mn", 3.5}});
  CHECK(c.dft.hubbard_u.at("Fe") == 5.3);
  CHECK(c.dft.charge == -1);
  CHECK(c.dft.images == 7);
  CHECK_FALSE(c.dft.climbing);
  CHECK(c.dft.hop == "2");
  CHECK(c.dft.supercell == "2x2x1");
  CHECK(c.dft.pseudo_dir == dir.path() / "pseudo");
  CHECK(c.dft.pseudopotentials.at("O") == "O.UPF");
  CHECK(c.dft.extra == std::vector<std::pair<std::string, std::string>>{
                           {"electrons.mixing_beta", "0.3"}, {"system.nosym", ".true."}});
  CHECK(c.dft.site == fs::path(IONSCREEN_SOURCE_DIR) / "cluster/sites/local.ini");
  CHECK(parse_campaign_config(to_ini(c), c.file) == c);

  CHECK_THAT(
      file_error("[dft]\nfunctional = B3LYP\n"),
      Contains("[dft] functional = 'B3LYP': not accepted") && Contains("one of PBE, PBEsol"));
  CHECK_THAT(file_error("[dft]\nsupercell = 2x2\n"),
             Contains("supercell = '2x2': not auto or NxMxK") && Contains("2x2x1"));
  CHECK_THAT(file_error("[dft]\nhop = longest\n"), Contains("shortest, or a hop index"));
  CHECK_THAT(file_error("[dft]\nimages = 0\n"), Contains("images = '0': out of range"));
  CHECK_THAT(file_error("[dft]\nhubbard_u = Fe=5\n"),
             Contains("'Fe=5' is not Element:value") && Contains("Fe:5.3, Co:6.2"));
  CHECK_THAT(file_error("[dft]\nmagmom = fe:5\n"), Contains("'fe:5' is not Element:value"));
  CHECK_THAT(file_error("[dft]\nextra = mixing_beta\n"),
             Contains("'mixing_beta' is not key=value"));
  CHECK_THAT(file_error("[dft]\npseudo_dir = /no/such/folder\n"), Contains("no such folder"));
  CHECK_THAT(file_error("[dft]\nsite = /no/such/site.ini\n"), Contains("no such file"));
  CHECK_THAT(file_error("[dft]\nspring = -1\n"), Contains("spring = '-1': out of range"));
  CHECK_THAT(file_error("[dft]\nfunctionl = PBE\n"), Contains("did you mean 'functional'?"));
}

TEST_CASE("campaign config: a Slurm campaign's directory holds no backslash", "[unit][config]") {
  // Review finding D11: Slurm dropped the backslash from --output, and every job failed to launch.
  CHECK_THAT(file_error("[campaign]\ndirectory = runs/b\\x\n[jobs]\nbackend = slurm\n"),
             Contains("[campaign] directory") && Contains("backslash") &&
                 Contains("a directory without '\\'"));
  CHECK(parsed("[campaign]\ndirectory = runs/b\\x\n").directory.string().find('\\') !=
        std::string::npos);  // the local backend has no such limit
}

TEST_CASE("campaign config: thresholds", "[unit][config]") {
  CHECK_THAT(file_error("[search]\nthreshold = abc\n"),
             Contains(":2: [search] threshold = 'abc':") && Contains("q0.05") && Contains("5%"));
  CHECK_THAT(file_error("[search]\nthreshold = q1.5\n"), Contains("quantile must be in (0, 1)"));
  CHECK_THAT(file_error("[search]\nmode = threshold\nthreshold = 5%\n"),
             Contains(":3: [search] threshold = '5%': a quantile needs threshold_reference"));
  CHECK(parsed("[search]\nthreshold = 0.25eV\n").threshold ==
        Threshold{Threshold::Kind::absolute, 0.25});
}

TEST_CASE("campaign config: files that must exist", "[unit][config]") {
  const TempDir dir;
  const auto missing = [&](const std::string& text) {
    const auto file = dir.write("campaign.ini", text);
    return error_of([&] { (void)load_campaign_config(file); });
  };
  const std::string absent = (dir.path() / "missing.csv").string();
  CHECK_THAT(missing("[candidates]\ntable = missing.csv\n"),
             Contains("campaign.ini:2: [candidates] table = '" + absent +
                      "': no such file (expected an existing file)"));
  CHECK_THAT(missing("[candidates]\nspace = missing.csv\n"), Contains("[candidates] space"));
  CHECK_THAT(missing("[candidates]\ninputs = nowhere\n"),
             Contains("[candidates] inputs = '" + (dir.path() / "nowhere").string() +
                      "': no such folder"));
  CHECK_THAT(missing("[search]\nthreshold_reference = missing.csv\n"),
             Contains("[search] threshold_reference = '" + absent));
  CHECK_THAT(missing("[engine]\nname = table\ntable = missing.csv\n"),
             Contains(":3: [engine] table = '" + absent));
  CHECK_THAT(missing("[jobs]\nslurm_profile = missing.csv\n"),
             Contains("[jobs] slurm_profile = '" + absent));
  // A default that does not exist: named as such.
  const TempDir empty_home;
  const EnvGuard home("IONSCREEN_HOME", empty_home.path().c_str());
  CHECK_THAT(missing(""), Contains("campaign.ini (default): [candidates] space = '" +
                                   (empty_home.path() / "inputs/spaces/default.ini").string()));
  CHECK_THAT(error_of([&] { (void)load_campaign_config(dir.path() / "none.ini"); }),
             Contains("none.ini: cannot open the campaign file"));
}

TEST_CASE("campaign config: unknown sections and keys suggest the nearest", "[unit][config]") {
  CHECK_THAT(file_error("[search]\nmode = optimum\nbach = 2\n"),
             Contains("campaign.ini:3: [search] unknown key 'bach'; did you mean 'batch'?") &&
                 Contains("known keys of [search]: mode, threshold,") && Contains("batch_method"));
  CHECK_THAT(file_error("[jobs]\nretires = 2\n"), Contains("did you mean 'retries'?"));
  CHECK_THAT(file_error("[search]\ntransfer_src = x\n"),
             Contains("did you mean 'transfer_source'?"));
  const std::string far = file_error("[search]\nzzzzzzzz = 1\n");
  CHECK_THAT(far, Contains("unknown key 'zzzzzzzz'") && Contains("known keys of [search]"));
  CHECK_THAT(far, !Contains("did you mean"));
  CHECK_THAT(file_error("# c\n[serach]\nbatch = 2\n"),
             Contains("campaign.ini:2: unknown section [serach]; did you mean 'search'?") &&
                 Contains("known sections: campaign, candidates, search, engine, dft, jobs"));
  CHECK_THAT(file_error("[extra]\n"), Contains(":1: unknown section [extra] (known sections"));
  CHECK_THAT(file_error("batch = 2\n[search]\n"),
             Contains("campaign.ini:1: key 'batch' comes before any [section]; did you mean "
                      "[search] batch?"));
  CHECK_THAT(file_error("table = x\n"), Contains("[candidates] table or [engine] table?"));
}

TEST_CASE("campaign config: the INI reader's own errors", "[unit][config]") {
  CHECK_THAT(file_error("[search]\nbatch = 2\n\nbatch = 3\n"),
             Contains("campaign.ini:4: key 'batch' repeats line 2"));
  CHECK_THAT(file_error("[search]\njust words\n"),
             Contains("campaign.ini:2: 'just words' is not 'key = value'"));
  CHECK_THAT(file_error("[search\n"),
             Contains("campaign.ini:1: malformed section header '[search'"));
  CHECK_THAT(file_error("[ ]\n"), Contains("malformed section header"));
  CHECK_THAT(file_error("[search]\n[jobs]\n[search]\n"),
             Contains("campaign.ini:3: section [search] repeats line 1"));
  CHECK_THAT(file_error("[search]\n = 3\n"), Contains("campaign.ini:2: '= 3' has no key"));
  // The same key in two sections is two keys; comments and blank lines are skipped.
  const auto c =
      parsed("; top\n[candidates]\nkey = a;b#c # one\n\n  # two\n[engine]\nkey = b ;x\n");
  CHECK(c.table_key == "a;b#c");  // a comment needs white space before it
  CHECK(c.engine.table_key == "b");
}

TEST_CASE("campaign config: overrides", "[unit][config]") {
  const TempDir dir;
  const auto file = dir.write("campaign.ini", "[search]\nbatch = 2\n");
  const auto c = load_campaign_config(
      file, {"search.batch=4", " jobs.time_limit = 2h ", "candidates.where=carrier=Li",
             "search.batch=5", "search.target="});
  CHECK(c.batch == 5);  // in order, the last wins
  CHECK(c.time_limit_minutes == 120);
  CHECK(c.table_where == "carrier=Li");
  CHECK_FALSE(c.target);
  const auto fails = [&](const std::string& o) {
    return error_of([&] { (void)load_campaign_config(file, {o}); });
  };
  CHECK(fails("search.batch=four") ==
        file.string() + ": override 'search.batch=four': [search] batch = 'four': not an " +
            "integer (expected an integer >= 1)");
  CHECK_THAT(fails("search.bach=4"),
             Contains("campaign.ini: override 'search.bach=4': [search] unknown key 'bach'; "
                      "did you mean 'batch'?") &&
                 Contains("known keys of [search]"));
  CHECK_THAT(fails("serach.batch=4"),
             Contains("override 'serach.batch=4': unknown section [serach]; did you mean "
                      "'search'?"));
  for (const char* bad :
       {"searchbatch=4", "search.batch", ".batch=4", "search.=4", "=4", "batch=4.5", ""})
    CHECK_THAT(fails(bad), Contains(std::string("override '") + bad +
                                    "': not section.key=value (expected e.g. search.batch=4)"));
  // A check across keys names the override that set the offending value.
  CHECK_THAT(fails("search.acquisition=lse"),
             Contains("override 'search.acquisition=lse': [search] acquisition = 'lse': not for "
                      "mode = optimum"));
}

TEST_CASE("campaign config: durations", "[unit][config]") {
  const auto minutes = [](const std::string& t) {
    return parsed("[jobs]\ntime_limit = " + t + "\n").time_limit_minutes;
  };
  CHECK(minutes("90") == 90);
  CHECK(minutes("90s") == 2);  // rounded up
  CHECK(minutes("60s") == 1);
  CHECK(minutes("61s") == 2);
  CHECK(minutes("1ms") == 1);
  CHECK(minutes("30m") == 30);
  CHECK(minutes("2h") == 120);
  CHECK(minutes("1.5h") == 90);
  CHECK(minutes("0.1h") == 6);
  for (const char* bad : {"0", "0s", "2d", "-5m", "abc", "h", "1.5", "99999999999", "1e12h"})
    CHECK_THAT(file_error(std::string("[jobs]\ntime_limit = ") + bad + "\n"),
               Contains(std::string(":2: [jobs] time_limit = '") + bad + "'") &&
                   Contains("whole minutes >= 1, or a duration such as 90s, 30m, 2h"));

  CHECK_THAT(file_error("[jobs]\ntime_limit = 2d\n"), Contains("'2d': not a duration"));

  const auto poll = [](const std::string& t) {
    return parsed("[jobs]\npoll = " + t + "\n").poll_seconds;
  };
  CHECK(poll("2s") == 2.0);
  CHECK(poll("500ms") == 0.5);
  CHECK(poll("3") == 3.0);
  CHECK(poll("0.25") == 0.25);
  CHECK(poll("1m") == 60.0);
  for (const char* bad : {"0", "0ms", "-1s", "fast", ""})
    CHECK_THAT(file_error(std::string("[jobs]\npoll = ") + bad + "\n"),
               Contains(std::string("poll = '") + bad + "'") && Contains("a duration > 0"));

  const auto wall = [](const std::string& t) {
    return parsed("[search]\nwall_clock = " + t + "\n").wall_clock_seconds;
  };
  CHECK(wall("2h") == 7200.0);
  CHECK(wall("30m") == 1800.0);
  CHECK(wall("3600") == 3600.0);
  CHECK(wall("0") == 0.0);
  CHECK_THAT(file_error("[search]\nwall_clock = -1h\n"), Contains("wall_clock = '-1h': negative"));
}

TEST_CASE("campaign config: relative paths: the INI folder in the file, the cwd in overrides",
          "[unit][config]") {
  const TempDir dir;
  dir.write("data/t.csv", "x\n");
  const auto file =
      dir.write("sub/campaign.ini",
                "[campaign]\ndirectory = runs/a/../b/\n[candidates]\ntable = ../data/t.csv\n");
  const auto c = load_campaign_config(file);
  CHECK(c.directory == dir.path() / "sub/runs/b");
  CHECK(c.table == dir.path() / "data/t.csv");

  const InDirectory here(dir.path() / "data");
  const fs::path cwd = fs::current_path();
  const auto o =
      load_campaign_config(file, {"candidates.table=t.csv", "campaign.directory=out/",
                                  "search.transfer_source=" + (dir.path() / "x").string()});
  CHECK(o.table == cwd / "t.csv");
  CHECK(o.directory == cwd / "out");
  CHECK(o.transfer_source == dir.path() / "x");  // absolute stays
  CHECK_THAT(error_of([&] { (void)load_campaign_config(file, {"candidates.table=u.csv"}); }),
             Contains("override 'candidates.table=u.csv': [candidates] table = '" +
                      (cwd / "u.csv").string() + "': no such file"));

  // A relative file name: the folder it names anchors the file's paths, not the cwd.
  const InDirectory top(dir.path());
  const auto r = load_campaign_config("sub/campaign.ini");
  CHECK(r.file == fs::current_path() / "sub/campaign.ini");
  CHECK(r.table == fs::current_path() / "data/t.csv");
  CHECK(r.name == "campaign");
  CHECK(r.directory == fs::current_path() / "sub/runs/b");
}
