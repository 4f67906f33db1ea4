// CP2K as a DftCode (pipeline/jobs/dft/cp2k.hpp): the inputs it writes (unit conversions derived by
// hand below), `extra` and check() errors, and its readers on REAL CP2K 2023.1 outputs stored in
// tests/fixtures/dft/cp2k (README.md there says how each was produced; the known answers are
// what grep and ASE read from those files, as quoted at each test).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "pipeline/base/error.hpp"
#include "pipeline/jobs/dft/cp2k.hpp"
#include "pipeline/jobs/dft/output_text.hpp"
#include "tests/pipeline/support.hpp"

namespace fs = std::filesystem;
using namespace ionscreen;
using namespace ionscreen::pipeline::dft;
using ionscreen::pipeline::InputError;
using ionscreen::pipeline::testing::fresh_dir;
using ionscreen::pipeline::testing::slurp;

namespace {

const fs::path kFixtures = fs::path(IONSCREEN_SOURCE_DIR) / "tests/fixtures/dft/cp2k";

/// Rock-salt LiF, conventional cell (a = 4.026 Å, as tests/dft/lif.cif), without the Li at
/// (1/2, 1/2, 0): 7 atoms, Li at the origin first. `moving` is the first Li's position.
structures::Crystal lif_vacancy(const Eigen::Vector3d& moving = Eigen::Vector3d::Zero()) {
  structures::Crystal c;
  c.name = "LiF";
  c.lattice = Eigen::Matrix3d::Identity() * 4.026;
  const auto add = [&](const char* element, double x, double y, double z) {
    structures::Site s;
    s.element = element;
    s.frac = Eigen::Vector3d(x, y, z);
    c.sites.push_back(s);
  };
  add("Li", moving.x(), moving.y(), moving.z());
  add("F", .5, 0, 0);
  add("Li", 0, .5, .5);
  add("F", .5, .5, .5);
  add("Li", .5, 0, .5);
  add("F", 0, 0, .5);
  add("F", 0, .5, 0);
  return c;
}

/// Every atom but the first held fixed (free_atoms = moving).
structures::Crystal only_first_free(structures::Crystal c) {
  for (std::size_t i = 1; i < c.sites.size(); ++i) c.sites[i].fixed = {true, true, true};
  return c;
}

/// The 3-image band of the fixtures: the first Li in straight steps from the origin into the
/// vacancy at (1/2, 1/2, 0), the middle image pushed 0.3 Å along z (off the symmetric line).
std::vector<structures::Crystal> lif_band() {
  std::vector<structures::Crystal> band;
  for (int k = 0; k <= 4; ++k)
    band.push_back(only_first_free(lif_vacancy(Eigen::Vector3d(.5, .5, 0) * k / 4.0)));
  band[2].sites[0].frac.z() += 0.3 / 4.026;
  return band;
}

/// GFN1-xTB settings of the fixtures: a charged vacancy (CP2K's restricted SCF with an even
/// electron count), Gamma point.
DftSettings xtb_settings() {
  DftSettings s;
  s.method = Method::xtb;
  s.kspacing = 0.0;
  s.extra = {{"FORCE_EVAL/DFT/CHARGE", "-1"}};
  return s;
}

DftSite serial_site() { return DftSite{}; }

/// The value of `keyword` in the written input ("" if absent): first line "KEYWORD value".
std::string keyword(const std::string& input, const std::string& name) {
  std::smatch m;
  if (std::regex_search(input, m, std::regex("\\n\\s*" + name + " ([^\\n]*)\\n"))) return m[1];
  return "";
}

double number_of(const std::string& input, const std::string& name) {
  return std::stod(keyword(input, name));
}

/// A fixture folder copied to a fresh scratch folder (the readers may list its files).
fs::path fixture(const std::string& name) {
  const fs::path dir = fresh_dir("cp2k-" + name);
  fs::copy(kFixtures / name, dir, fs::copy_options::recursive);
  return dir;
}

}  // namespace

// Writes the fixture inputs (tests/fixtures/dft/cp2k/make_fixtures.sh runs this, then CP2K).
TEST_CASE("cp2k fixture inputs", "[.cp2k-fixture-inputs]") {
  const char* out = std::getenv("IONSCREEN_CP2K_FIXTURE_DIR");
  REQUIRE(out);
  const auto cp2k = make_cp2k();
  const fs::path root(out);
  const auto relax_start = lif_vacancy(Eigen::Vector3d(0.03, 0.02, 0.0));
  const auto write_relax = [&](const char* name, const DftSettings& s) {
    fs::create_directories(root / name);
    cp2k->write_relax(root / name, relax_start, s, serial_site(), {});
  };
  write_relax("relax_converged", xtb_settings());
  DftSettings capped = xtb_settings();
  capped.max_relax_steps = 1;
  write_relax("relax_steps", capped);
  DftSettings scf = xtb_settings();
  scf.max_scf_steps = 2;
  scf.max_relax_steps = 2;
  write_relax("relax_scf", scf);
  DftSettings abort_input;  // DFT with a basis set name the basis file does not hold
  abort_input.kspacing = 0.0;
  abort_input.basis = {{"Li", "NO-SUCH-BASIS"}};
  abort_input.extra = xtb_settings().extra;
  write_relax("relax_abort", abort_input);
  DftSettings crash = xtb_settings();  // the neutral cell (a UKS doublet) with CP2K's charge check
  crash.extra = {{"FORCE_EVAL/DFT/QS/XTB/CHECK_ATOMIC_CHARGES", "T"}};
  write_relax("relax_crash", crash);
  const auto write_neb = [&](const char* name, const DftSettings& s) {
    fs::create_directories(root / name);
    cp2k->write_neb(root / name, lif_band(), {0.0, 0.0}, s, serial_site(), {});
  };
  write_neb("neb_converged", xtb_settings());
  DftSettings neb_capped = xtb_settings();
  neb_capped.max_neb_steps = 2;
  write_neb("neb_steps", neb_capped);
}

// ----------------------------------------------------------------------------------------------
// Inputs. Expected numbers are derived by hand from CODATA 2018 (1 Hartree = 27.211386245988 eV,
// 1 Bohr = 0.529177210903 Å, 1 Ry = 13.605693122994 eV).

TEST_CASE("cp2k relaxation input: units, constraints, method and files", "[cp2k][dft]") {
  const auto cp2k = make_cp2k();
  const fs::path dir = fresh_dir("cp2k-relax-input");
  DftSettings s;  // dft, PBEsol, kspacing 0.5, relax_force_tolerance 0.03, scf_tolerance 1e-5
  s.max_relax_steps = 37;
  s.cutoff = 6000.0;
  DftSite site;
  site.launcher = {"mpirun", "-np", "{cores}"};
  site.cores = 4;
  const Command command =
      cp2k->write_relax(dir, only_first_free(lif_vacancy()), s, site, Corrections{});
  CHECK(command.argv == std::vector<std::string>{"mpirun", "-np", "4", "cp2k.psmp", "-i",
                                                 "relax.inp", "-o", "relax.out"});
  CHECK(command.log == "relax.log");
  const std::string in = slurp(dir / "relax.inp");
  CHECK(keyword(in, "RUN_TYPE") == "GEO_OPT");
  CHECK(keyword(in, "PROJECT") == "relax");
  CHECK(keyword(in, "MAX_ITER") == "37");
  // 0.03 eV/Å * 0.529177210903 Å/Bohr / 27.211386245988 eV/Hartree = 5.8340711e-4 Hartree/Bohr
  CHECK(number_of(in, "MAX_FORCE") == Approx(5.8340711e-4).epsilon(1e-7));
  // 1e-5 eV / 27.211386245988 = 3.6749322e-7 Hartree
  CHECK(number_of(in, "EPS_SCF") == Approx(3.6749322e-7).epsilon(1e-7));
  // 6000 eV / 13.605693122994 eV/Ry = 440.99187 Ry
  CHECK(number_of(in, "CUTOFF") == Approx(440.99187).epsilon(1e-6));
  CHECK(keyword(in, "PARAMETRIZATION") == "PBESOL");
  // kspacing 0.5: n = ceil(2π / 4.026 / 0.5) = ceil(3.12) = 4 along each cubic axis
  CHECK(keyword(in, "SCHEME") == "MONKHORST-PACK 4 4 4");
  CHECK(keyword(in, "A") == "4.0260000000 0.0000000000 0.0000000000");
  CHECK(keyword(in, "BASIS_SET_FILE_NAME") == "/usr/share/cp2k/BASIS_MOLOPT");
  // `grep '^ *Li ' /usr/share/cp2k/BASIS_MOLOPT`: "Li DZVP-MOLOPT-SR-GTH DZVP-MOLOPT-SR-GTH-q3";
  // F's is -q7: hence GTH-PBE-q3 and GTH-PBE-q7 (both in GTH_POTENTIALS).
  CHECK(in.find("&KIND Li\n      BASIS_SET DZVP-MOLOPT-SR-GTH\n      POTENTIAL GTH-PBE-q3\n") !=
        std::string::npos);
  CHECK(in.find("&KIND F\n      BASIS_SET DZVP-MOLOPT-SR-GTH\n      POTENTIAL GTH-PBE-q7\n") !=
        std::string::npos);
  // Atoms 2..7 held (1-based), atom 1 free.
  CHECK(keyword(in, "COMPONENTS_TO_FIX") == "XYZ");
  CHECK(keyword(in, "LIST") == "2 3 4 5 6 7");
  // 3 Li (Z 3) + 4 F (Z 9) = 45 electrons with all cores: odd, so UKS as a doublet.
  CHECK(keyword(in, "UKS") == "T");
  CHECK(keyword(in, "MULTIPLICITY") == "2");
  CHECK(in.find("Li 0.0000000000 0.0000000000 0.0000000000\n") != std::string::npos);

  s.functional = Functional::pbe;
  s.kspacing = 0.0;
  s.extra = {{"FORCE_EVAL/DFT/CHARGE", "-1"}};  // 46 electrons: restricted
  s.cutoff = 0.0;
  cp2k->write_relax(dir, lif_vacancy(), s, site, Corrections{});
  const std::string in2 = slurp(dir / "relax.inp");
  CHECK(keyword(in2, "PARAMETRIZATION") == "ORIG");
  CHECK(keyword(in2, "SCHEME").empty());
  CHECK(keyword(in2, "UKS").empty());
  CHECK(keyword(in2, "CUTOFF") == "400");
  CHECK(in2.find("FIXED_ATOMS") == std::string::npos);

  // [dft] charge does the same as the extra keyword: CHARGE -1, 46 electrons, restricted.
  s.extra.clear();
  s.charge = -1;
  cp2k->write_relax(dir, lif_vacancy(), s, site, Corrections{});
  const std::string in3 = slurp(dir / "relax.inp");
  CHECK(keyword(in3, "CHARGE") == "-1");
  CHECK(keyword(in3, "UKS").empty());
}

TEST_CASE("cp2k spin, +U and xtb inputs", "[cp2k][dft]") {
  const auto cp2k = make_cp2k();
  const fs::path dir = fresh_dir("cp2k-spin-input");
  DftSettings s;
  s.kspacing = 0.0;
  s.spin = Spin::on;
  s.magmom = {{"Fe", 4.0}};
  s.hubbard_u = {{"Fe", 5.3}};
  auto c = lif_vacancy();
  c.sites[0].element = "Fe";  // Fe (Z 26) + 2 Li + 4 F: 68 electrons, even
  cp2k->write_relax(dir, c, s, DftSite{}, Corrections{});
  const std::string in = slurp(dir / "relax.inp");
  // Moments: Fe 4 + 6 atoms * 0.6 (the default) = 7.6 -> 8 unpaired, even like 68: 2S+1 = 9.
  CHECK(keyword(in, "UKS") == "T");
  CHECK(keyword(in, "MULTIPLICITY") == "9");
  CHECK(in.find("&KIND Fe\n      BASIS_SET DZVP-MOLOPT-SR-GTH\n      POTENTIAL GTH-PBE-q16\n"
                "      MAGNETIZATION 4\n      &DFT_PLUS_U\n        L 2\n"
                "        U_MINUS_J [eV] 5.3\n") != std::string::npos);
  CHECK(in.find("MAGNETIZATION 0.6") != std::string::npos);

  DftSettings x = xtb_settings();
  cp2k->write_relax(dir, lif_vacancy(), x, DftSite{}, Corrections{});
  const std::string xin = slurp(dir / "relax.inp");
  CHECK(keyword(xin, "METHOD") == "QUICKSTEP");
  CHECK(xin.find("METHOD XTB") != std::string::npos);
  CHECK(keyword(xin, "DO_EWALD") == "T");
  CHECK(keyword(xin, "CHECK_ATOMIC_CHARGES") == "F");
  CHECK(keyword(xin, "CHARGE") == "-1");
  CHECK(xin.find("BASIS_SET") == std::string::npos);
  CHECK(xin.find("&KIND") == std::string::npos);
  CHECK(xin.find("METHOD DIRECT_P_MIXING") != std::string::npos);
}

TEST_CASE("cp2k SCF corrections", "[cp2k][dft]") {
  const auto cp2k = make_cp2k();
  const fs::path dir = fresh_dir("cp2k-corrections");
  const std::vector<std::tuple<int, double, std::string, std::string>> levels = {
      {0, 0.3, "100", ""},
      {1, 0.15, "200", ""},
      {2, 0.15, "200", "300"},
      {3, 0.075, "400", "1000"}};
  for (const auto& [level, alpha, max_scf, temperature] : levels) {
    Corrections corrections;
    corrections.scf = level;
    cp2k->write_relax(dir, lif_vacancy(), xtb_settings(), DftSite{}, corrections);
    const std::string in = slurp(dir / "relax.inp");
    INFO("level " << level);
    CHECK(number_of(in, "ALPHA") == Approx(alpha));
    CHECK(keyword(in, "MAX_SCF") == max_scf);
    CHECK(keyword(in, "ELECTRONIC_TEMPERATURE") == temperature);
    CHECK(keyword(in, "ADDED_MOS") == (temperature.empty() ? "" : "-1"));
  }
}

TEST_CASE("cp2k extra keywords replace, add, or are refused", "[cp2k][dft]") {
  const auto cp2k = make_cp2k();
  const fs::path dir = fresh_dir("cp2k-extra");
  DftSettings s = xtb_settings();
  s.extra.emplace_back("force_eval/dft/scf/max_scf", "250");
  s.extra.emplace_back("FORCE_EVAL/DFT/SCF/OUTER_SCF/MAX_SCF", "10");
  s.extra.emplace_back("MOTION/GEO_OPT/OPTIMIZER", "LBFGS");
  cp2k->check(s, {"Li", "F"});
  cp2k->write_relax(dir, lif_vacancy(), s, DftSite{}, Corrections{});
  const std::string in = slurp(dir / "relax.inp");
  CHECK(std::regex_search(in, std::regex("\\n      MAX_SCF 250\\n")));
  CHECK(in.find("MAX_SCF 100") == std::string::npos);
  CHECK(in.find("&OUTER_SCF\n        MAX_SCF 10\n      &END OUTER_SCF") != std::string::npos);
  CHECK(in.find("    OPTIMIZER LBFGS\n  &END GEO_OPT") != std::string::npos);

  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"MAX_SCF", "3"},
                                                        {"FORCE_EVAL//SCF", "3"},
                                                        {"FORCE_EVAL/DFT/SCF/", "3"},
                                                        {"MOTION/GEO OPT/MAX_ITER", "3"},
                                                        {"SUBSYS/CELL/A", "1 0 0"},
                                                        {"FORCE_EVAL/DFT/SCF/MAX_SCF", ""},
                                                        {"FORCE_EVAL/DFT/CHARGE", "-0.5"},
                                                        {"MOTION/GEO_OPT/MAX_FORCE", "1"}}) {
    DftSettings bad = xtb_settings();
    bad.extra.emplace_back(key, value);
    INFO(key << "=" << value);
    CHECK_THROWS_AS(cp2k->check(bad, {"Li", "F"}), InputError);
    CHECK_THROWS_WITH(cp2k->write_relax(dir, lif_vacancy(), bad, DftSite{}, Corrections{}),
                      Catch::Contains("[dft] extra") && Catch::Contains(key));
  }
  DftSettings kind;  // dft: one &KIND per element, so a path through KIND is ambiguous
  kind.extra = {{"FORCE_EVAL/SUBSYS/KIND/BASIS_SET", "SZV-MOLOPT-GTH"}};
  CHECK_THROWS_WITH(cp2k->write_relax(dir, lif_vacancy(), kind, DftSite{}, Corrections{}),
                    Catch::Contains("KIND occurs more than once"));
}

TEST_CASE("cp2k band input: replicas as given, periodic-safe band settings", "[cp2k][dft]") {
  const auto cp2k = make_cp2k();
  const fs::path dir = fresh_dir("cp2k-neb-input");
  auto band = lif_band();
  band.back().sites[1].frac.x() = -0.25;  // an atom outside the cell stays where it is
  DftSettings s = xtb_settings();
  s.max_neb_steps = 77;
  DftSite site;
  site.cores = 10;
  const Command command = cp2k->write_neb(dir, band, {0.0, 0.0}, s, site, Corrections{});
  CHECK(command.argv == std::vector<std::string>{"cp2k.psmp", "-i", "neb.inp", "-o", "neb.out"});
  const std::string in = slurp(dir / "neb.inp");
  CHECK(keyword(in, "RUN_TYPE") == "BAND");
  CHECK(keyword(in, "BAND_TYPE") == "CI-NEB");
  CHECK(keyword(in, "NUMBER_OF_REPLICA") == "5");
  CHECK(keyword(in, "NPROC_REP") == "2");  // 10 cores, 5 replicas
  CHECK(keyword(in, "ROTATE_FRAMES") == "F");
  CHECK(keyword(in, "ALIGN_FRAMES") == "F");
  // 5 eV/Å² * 0.529177210903² Å²/Bohr² / 27.211386245988 = 0.051454292 Hartree/Bohr²
  CHECK(number_of(in, "K_SPRING") == Approx(0.051454292).epsilon(1e-7));
  // 0.05 eV/Å -> 9.7234519e-4 Hartree/Bohr
  CHECK(number_of(in, "MAX_FORCE") == Approx(9.7234519e-4).epsilon(1e-7));
  CHECK(keyword(in, "MAX_STEPS") == "77");
  CHECK(keyword(in, "LIST") == "2 3 4 5 6 7");
  // Replica coordinates in Å without element names, in band order: the moving Li at 0, 1/4,
  // (1/2 + 0.3 Å up), 3/4 and all of the way to (2.013, 2.013, 0).
  std::vector<std::string> first_rows;
  const std::regex replica("&COORD\\n\\s+([^\\n]+)\\n\\s+([^\\n]+)\\n");
  for (auto it = std::sregex_iterator(in.begin(), in.end(), replica); it != std::sregex_iterator();
       ++it)
    first_rows.push_back((*it)[1].str() + " | " + (*it)[2].str());
  REQUIRE(first_rows.size() == 6);  // 5 replicas, then the FORCE_EVAL's own &COORD
  CHECK(first_rows[0] ==
        "0.0000000000 0.0000000000 0.0000000000 | "
        "2.0130000000 0.0000000000 0.0000000000");
  CHECK(first_rows[2] ==
        "1.0065000000 1.0065000000 0.3000000000 | "
        "2.0130000000 0.0000000000 0.0000000000");
  CHECK(first_rows[4] ==
        "2.0130000000 2.0130000000 0.0000000000 | "
        "-1.0065000000 0.0000000000 0.0000000000");
  CHECK(first_rows[5] ==
        "Li 0.0000000000 0.0000000000 0.0000000000 | "
        "F 2.0130000000 0.0000000000 0.0000000000");

  s.climbing = false;
  site.cores = 3;
  cp2k->write_neb(dir, band, {0.0, 0.0}, s, site, Corrections{});
  const std::string plain = slurp(dir / "neb.inp");
  CHECK(keyword(plain, "BAND_TYPE") == "IT-NEB");
  CHECK(keyword(plain, "NPROC_REP") == "3");
}

TEST_CASE("cp2k writers remove an earlier try's outputs", "[cp2k][dft]") {
  // CP2K appends to an existing -o file: a rerun must not find the old relax.out.
  const auto cp2k = make_cp2k();
  const fs::path dir = fresh_dir("cp2k-rerun");
  for (const char* name :
       {"relax.out", "relax-pos-1.xyz", "relax-1.restart", "notes.txt", "relaxed.cif"})
    std::ofstream(dir / name) << "old\n";
  cp2k->write_relax(dir, lif_vacancy(), xtb_settings(), DftSite{}, Corrections{});
  CHECK(!fs::exists(dir / "relax.out"));
  CHECK(!fs::exists(dir / "relax-pos-1.xyz"));
  CHECK(!fs::exists(dir / "relax-1.restart"));
  CHECK(fs::exists(dir / "notes.txt"));
  CHECK(fs::exists(dir / "relaxed.cif"));
  CHECK(fs::exists(dir / "relax.inp"));
}

TEST_CASE("cp2k check names what is missing", "[cp2k][dft]") {
  const auto cp2k = make_cp2k();
  DftSettings s;
  cp2k->check(s, {"Li", "F", "Fe"});  // Debian's /usr/share/cp2k has all three
  DftSettings folder;
  folder.pseudo_dir = "/nonexistent/cp2k-data";
  CHECK_THROWS_WITH(cp2k->check(folder, {"Li"}), Catch::Contains("/nonexistent/cp2k-data"));

  // A data folder with Li only: every other element is named in one message, with the file.
  const fs::path data = fresh_dir("cp2k-data");
  std::ofstream(data / "BASIS_MOLOPT") << "# test\n Li DZVP-MOLOPT-SR-GTH DZVP-MOLOPT-SR-GTH-q3\n"
                                       << "  1\n";
  std::ofstream(data / "GTH_POTENTIALS") << "Li GTH-PBE-q3 GTH-PBE\n    3\n";
  DftSettings partial;
  partial.pseudo_dir = data;
  cp2k->check(partial, {"Li"});
  CHECK_THROWS_WITH(cp2k->check(partial, {"Li", "F", "Na"}),
                    Catch::Contains("[dft] basis") && Catch::Contains("F, Na") &&
                        Catch::Contains((data / "BASIS_MOLOPT").string()) &&
                        Catch::Contains("[dft] pseudopotentials") &&
                        Catch::Contains((data / "GTH_POTENTIALS").string()));
  partial.basis = {{"Li", "TZVP-MOLOPT-GTH"}};
  CHECK_THROWS_WITH(cp2k->check(partial, {"Li"}), Catch::Contains("Li:TZVP-MOLOPT-GTH"));

  DftSettings u;
  u.hubbard_u = {{"Li", 3.0}};
  CHECK_THROWS_WITH(cp2k->check(u, {"Li"}), Catch::Contains("[dft] hubbard_u: Li"));
  DftSettings xtb = xtb_settings();
  xtb.pseudo_dir = "/nonexistent/cp2k-data";  // xtb reads no basis or potential files
  cp2k->check(xtb, {"Li", "F"});
}

// ----------------------------------------------------------------------------------------------
// Readers on real CP2K 2023.1 outputs (tests/fixtures/dft/cp2k/README.md). Hartree -> eV with
// 27.211386245988; Hartree/Bohr -> eV/Å with 27.211386245988 / 0.529177210903 = 51.42208.

TEST_CASE("cp2k reads a converged relaxation", "[cp2k][dft]") {
  const auto cp2k = make_cp2k();
  const auto input = lif_vacancy(Eigen::Vector3d(0.03, 0.02, 0.0));
  const RelaxResult r = cp2k->read_relax(fixture("relax_converged"), input);
  CHECK(r.problem == Problem::none);
  // `grep 'ENERGY| Total FORCE_EVAL' relax.out | tail -1`: -22.220139899368480 Hartree
  CHECK(r.energy == Approx(-22.220139899368480 * 27.211386245988).epsilon(1e-12));
  // `grep 'Informations at step' relax.out | tail -1`: step = 17
  CHECK(r.steps == 17);
  // `grep 'Max. gradient  ' relax.out | tail -1`: 0.0000749228 Hartree/Bohr
  CHECK(r.max_force == Approx(0.0000749228 * 51.42208).epsilon(1e-6));
  // ASE, read('relax-pos-1.xyz', index=-1).positions[0]: [0.10700315 0.10036981 0.00017988] Å
  REQUIRE(r.last);
  const Eigen::Vector3d li = r.last->cartesian(r.last->sites[0].frac);
  CHECK(li.x() == Approx(0.10700315).margin(1e-7));
  CHECK(li.y() == Approx(0.10036981).margin(1e-7));
  CHECK(li.z() == Approx(0.00017988).margin(1e-7));
  CHECK(r.last->sites[3].element == "F");
}

TEST_CASE("cp2k reads a relaxation stopped at its step cap", "[cp2k][dft]") {
  const auto cp2k = make_cp2k();
  const auto input = lif_vacancy(Eigen::Vector3d(0.03, 0.02, 0.0));
  const RelaxResult r = cp2k->read_relax(fixture("relax_steps"), input);  // MAX_ITER 1
  CHECK(r.problem == Problem::steps_exhausted);
  CHECK(r.steps == 1);
  // grep: ENERGY -22.219668921239801 Hartree, Max. gradient 0.0025406805 Hartree/Bohr
  CHECK(r.energy == Approx(-22.219668921239801 * 27.211386245988).epsilon(1e-12));
  CHECK(r.max_force == Approx(0.0025406805 * 51.42208).epsilon(1e-6));
  // ASE: the only frame, i = 1: Li at [0.11567458 0.0768784 -0.00047534] Å
  REQUIRE(r.last);
  CHECK(r.last->cartesian(r.last->sites[0].frac).y() == Approx(0.0768784).margin(1e-7));
}

TEST_CASE("cp2k reads an SCF that did not converge", "[cp2k][dft]") {
  const auto cp2k = make_cp2k();
  // MAX_SCF 2, MAX_ITER 2: `grep 'SCF run NOT converged' relax.out` after every step.
  const RelaxResult r =
      cp2k->read_relax(fixture("relax_scf"), lif_vacancy(Eigen::Vector3d(0.03, 0.02, 0.0)));
  CHECK(r.problem == Problem::scf_not_converged);
  CHECK(r.steps == 2);
}

TEST_CASE("cp2k reads its ABORT banner as a rejected input", "[cp2k][dft]") {
  const auto cp2k = make_cp2k();
  // A basis set name the basis file lacks; CP2K stops before the first SCF step.
  const RelaxResult r = cp2k->read_relax(fixture("relax_abort"), lif_vacancy());
  CHECK(r.problem == Problem::bad_input);
  CHECK_THAT(r.reason, Catch::Contains("The requested basis set <NO-SUCH-BASIS> for element <Li> "
                                       "was not found in the basis set files "
                                       "</usr/share/cp2k/BASIS_MOLOPT>"));
  CHECK(!r.last);
  CHECK(std::isnan(r.energy));
}

TEST_CASE("cp2k reads a cut-off or missing relaxation output", "[cp2k][dft]") {
  const auto cp2k = make_cp2k();
  const auto input = lif_vacancy(Eigen::Vector3d(0.03, 0.02, 0.0));
  const fs::path dir = fixture("relax_converged");
  // Cut the output and the trajectory mid-run (half of each file, the trajectory mid-frame).
  for (const char* name : {"relax.out", "relax-pos-1.xyz"}) {
    const std::string text = slurp(dir / name);
    std::ofstream(dir / name, std::ios::trunc) << text.substr(0, text.size() / 2 + 17);
  }
  const RelaxResult r = cp2k->read_relax(dir, input);
  CHECK(r.problem == Problem::cut_off);
  REQUIRE(r.last);  // the last complete frame: a restart can go on from it
  CHECK(r.steps > 0);
  CHECK(r.steps < 17);
  fs::remove(dir / "relax.out");
  const RelaxResult missing = cp2k->read_relax(dir, input);
  CHECK(missing.problem == Problem::cut_off);
  CHECK_THAT(missing.reason, Catch::Contains("relax.out is missing"));
}

TEST_CASE("cp2k reads a converged band", "[cp2k][dft]") {
  const auto cp2k = make_cp2k();
  const auto band = lif_band();
  const NebResult r = cp2k->read_neb(fixture("neb_converged"), band, xtb_settings());
  CHECK(r.problem == Problem::none);
  // neb-1.ener has rows for steps 0..6 (`tail -1 neb-1.ener`), MAX_STEPS 200.
  CHECK(r.steps == 6);
  // numpy.loadtxt('neb-1.ener')[-1, 1:6] * 27.211386245988
  const std::vector<double> expected = {-604.6279165, -604.38228525, -603.73463622, -604.38233524,
                                        -604.62797944};
  REQUIRE(r.energies.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) CHECK(r.energies[i] == Approx(expected[i]).epsilon(1e-9));
  CHECK(r.max_forces.empty());  // CP2K prints no per-image force
  // ASE, read('neb-pos-Replica_nr_3-1.xyz', index=-1): i = 6, Li at [1.00650502 1.00650502
  // 0.43048359] Å; the fixed F atoms where they started.
  REQUIRE(r.band.size() == 5);
  const Eigen::Vector3d li = r.band[2].cartesian(r.band[2].sites[0].frac);
  CHECK(li.z() == Approx(0.43048359).margin(1e-7));
  CHECK(li.x() == Approx(1.00650502).margin(1e-7));
  CHECK((r.band[2].sites[1].frac - band[2].sites[1].frac).norm() < 1e-9);

  // The same files judged against MAX_STEPS = 6: the band stopped at its cap.
  DftSettings capped = xtb_settings();
  capped.max_neb_steps = 6;
  CHECK(cp2k->read_neb(fixture("neb_converged"), band, capped).problem == Problem::steps_exhausted);
  // ... and against an extra override of MAX_STEPS.
  DftSettings overridden = xtb_settings();
  overridden.extra.emplace_back("MOTION/BAND/OPTIMIZE_BAND/DIIS/MAX_STEPS", "6");
  CHECK(cp2k->read_neb(fixture("neb_converged"), band, overridden).problem ==
        Problem::steps_exhausted);
}

TEST_CASE("cp2k reads a band stopped at its step cap", "[cp2k][dft]") {
  const auto cp2k = make_cp2k();
  DftSettings s = xtb_settings();
  s.max_neb_steps = 2;  // as the fixture was written
  const NebResult r = cp2k->read_neb(fixture("neb_steps"), lif_band(), s);
  CHECK(r.problem == Problem::steps_exhausted);
  CHECK(r.steps == 2);
  // numpy.loadtxt('neb-1.ener')[-1, 2] * 27.211386245988 (the first image)
  REQUIRE(r.energies.size() == 5);
  CHECK(r.energies[1] == Approx(-604.39486576).epsilon(1e-9));
}

TEST_CASE("cp2k reads a cut-off or garbled band", "[cp2k][dft]") {
  const auto cp2k = make_cp2k();
  const auto band = lif_band();
  const fs::path dir = fixture("neb_converged");
  // Killed during step 6: neb.out without its end, the last .ener row cut in the middle.
  const std::string out = slurp(dir / "neb.out");
  std::ofstream(dir / "neb.out", std::ios::trunc) << out.substr(0, out.size() / 2);
  const std::string ener = slurp(dir / "neb-1.ener");
  std::ofstream(dir / "neb-1.ener", std::ios::trunc) << ener.substr(0, ener.size() - 60);
  const NebResult r = cp2k->read_neb(dir, band, xtb_settings());
  CHECK(r.problem == Problem::cut_off);
  CHECK(r.steps == 5);  // the last complete row
  CHECK(r.energies.size() == 5);
  CHECK(r.band.size() == 5);

  // A band that ended normally with a garbled energy file is not read as numbers.
  const fs::path garbled = fixture("neb_converged");
  std::ofstream(garbled / "neb-1.ener", std::ios::app) << "   7  -22.2  nan-ish\n";
  const NebResult g = cp2k->read_neb(garbled, band, xtb_settings());
  CHECK(g.problem == Problem::crashed);
  CHECK_THAT(g.reason, Catch::Contains("garbled"));
}

TEST_CASE("cp2k reads an ABORT during the run as a crash", "[cp2k][dft]") {
  const auto cp2k = make_cp2k();
  // The neutral cell (45 electrons: written as a UKS doublet) with CHECK_ATOMIC_CHARGES T:
  // `grep -A6 '\[ABORT\]' relax.out` shows "xTB Charges" and "xtb_matrices.F:1691", after
  // SCF steps had run.
  const RelaxResult r =
      cp2k->read_relax(fixture("relax_crash"), lif_vacancy(Eigen::Vector3d(0.03, 0.02, 0.0)));
  CHECK(r.problem == Problem::crashed);
  CHECK_THAT(r.reason, Catch::Equals("CP2K: xTB Charges xtb_matrices.F:1691"));
}

TEST_CASE("the codes' number reader refuses non-finite, absurd and non-integral counts",
          "[cp2k][dft]") {
  // Review findings D10 (a force of 1e308 read as a converged step) and D14 (an atom count of
  // 1e26 cast to an integer: undefined behaviour).
  CHECK(number("-604.641") == -604.641);
  CHECK(number("1.0D-3") == 1e-3);
  for (const char* bad : {"NaN", "Infinity", "1e308", "-9e307", "1e400", "*****", "1.0x"})
    CHECK_FALSE(number(bad).has_value());
  CHECK(integer("17", 0, 100) == 17);
  CHECK(integer("1.7E1", 0, 100) == 17);
  for (const char* bad : {"1e26", "-1", "2.5", "101", "1e308"})
    CHECK_FALSE(integer(bad, 0, 100).has_value());
}

TEST_CASE("cp2k never reports a damaged output's older step as converged", "[cp2k][dft]") {
  // Review finding D10: a relax.out that lost steps 2-17 but kept the completion banner gave
  // step 1's energy with step 17's geometry; a banner text inside another line counted as one.
  const auto cp2k = make_cp2k();
  const auto input = lif_vacancy(Eigen::Vector3d(0.03, 0.02, 0.0));
  const fs::path dir = fixture("relax_converged");
  const std::string text = slurp(dir / "relax.out");
  const auto cut_from = text.find(" OPTIMIZATION STEP:      2");
  const auto cut_to = text.find("***                    GEOMETRY OPTIMIZATION COMPLETED");
  REQUIRE(cut_from != std::string::npos);
  REQUIRE(cut_to != std::string::npos);
  const std::string middle_lost =
      text.substr(0, cut_from) + text.substr(text.rfind('\n', cut_to) + 1);
  std::ofstream(dir / "relax.out", std::ios::trunc) << middle_lost;
  const RelaxResult r = cp2k->read_relax(dir, input);
  CHECK(r.problem == Problem::cut_off);
  CHECK_THAT(r.reason, Catch::Contains("relax-pos-1.xyz"));

  const fs::path quoted = fixture("relax_converged");
  std::string banner_less = slurp(quoted / "relax.out");
  const auto banner = banner_less.find("***                    GEOMETRY OPTIMIZATION COMPLETED");
  banner_less.replace(banner, 3, "say");
  std::ofstream(quoted / "relax.out", std::ios::trunc) << banner_less;
  CHECK(cp2k->read_relax(quoted, input).problem != Problem::none);
}
