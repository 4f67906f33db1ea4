// VASP: the OUTCAR reader on real public output files (tests/fixtures/dft/vasp,
// provenance in its README.md), the verdicts read_relax / read_neb give on them and on copies cut
// or damaged here, and the input writers against hand-derived expectations. Known answers come
// from the files themselves, read with grep/awk or pymatgen 2022.11.7 (/usr/bin/python3), as
// each comment says.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "pipeline/base/error.hpp"
#include "pipeline/jobs/dft/vasp.hpp"
#include "structures/poscar.hpp"

namespace {
namespace fs = std::filesystem;
namespace dft = ionscreen::pipeline::dft;
namespace vasp = ionscreen::pipeline::dft::vasp;
using ionscreen::pipeline::InputError;
using ionscreen::structures::Crystal;
using ionscreen::structures::Site;

const fs::path kFixtures = fs::path(IONSCREEN_SOURCE_DIR) / "tests/fixtures/dft/vasp";

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
  REQUIRE(out);
}

/// A fresh, empty folder under the temporary directory.
fs::path scratch_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("ionscreen_test_vasp_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

/// The Si2 cell of si_relax_OUTCAR. That run relaxed the cell too (ISIF = 3; ionscreen's keep it
/// fixed), so this is its final cell, the last "direct lattice vectors" (fcc, a/2 = 2.734878460),
/// in which read_relax expresses the positions.
Crystal silicon() {
  Crystal si;
  si.name = "Si2";
  const double h = 2.734878460;
  si.lattice << 0.0, h, h, h, 0.0, h, h, h, 0.0;
  si.sites = {Site{"Si", {0.125, 0.125, 0.125}, 0, "Si1", 1.0, {}},
              Site{"Si", {0.875, 0.875, 0.875}, 0, "Si2", 1.0, {}}};
  return si;
}

/// `text` cut just before the n-th (1-based) occurrence of `marker`.
std::string cut_before(const std::string& text, const std::string& marker, int n) {
  std::size_t at = 0;
  for (int k = 0; k < n; ++k) {
    at = text.find(marker, k == 0 ? 0 : at + 1);
    REQUIRE(at != std::string::npos);
  }
  return text.substr(0, at);
}

std::map<std::string, std::string> incar_tags(const fs::path& file) {
  std::map<std::string, std::string> tags;
  std::istringstream in(slurp(file));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find(" = ");
    REQUIRE(eq != std::string::npos);
    tags[line.substr(0, eq)] = line.substr(eq + 3);
  }
  return tags;
}

/// A fake PAW library (tests/fixtures/dft/vasp/fake_paw: one-line stand-ins, not potentials).
dft::DftSettings fake_settings() {
  dft::DftSettings s;
  s.pseudo_dir = kFixtures / "fake_paw";
  return s;
}

/// Li Fe Fe O O Li: the species entries (runs) are Li Fe O Li, so POTCAR holds four potentials.
Crystal lifeo() {
  Crystal c;
  c.name = "test";
  c.lattice = 4.0 * Eigen::Matrix3d::Identity();
  const char* elements[] = {"Li", "Fe", "Fe", "O", "O", "Li"};
  for (int i = 0; i < 6; ++i)
    c.sites.push_back(Site{elements[i], {0.1 * i, 0.15 * i, 0.05 * i}, 0, "", 1.0, {}});
  c.sites[5].fixed = {true, true, true};
  return c;
}

}  // namespace

TEST_CASE("OUTCAR of a real relaxation: every ionic step", "[vasp][dft]") {
  // custodian tests/files/io/OUTCAR.gz: Si2, VASP relaxation, 3 ionic steps, converged.
  const vasp::Outcar o =
      vasp::parse_outcar(slurp(kFixtures / "si_relax_OUTCAR"), "si_relax_OUTCAR");
  REQUIRE(o.steps.size() == 3);  // grep -c 'energy  without entropy='
  // grep 'energy(sigma->0)' / 'free  energy   TOTEN'; the last equals pymatgen's
  // Outcar(...).final_energy = -10.84147246.
  CHECK(o.steps[0].energy == Approx(-10.83820728).margin(1e-9));
  CHECK(o.steps[1].energy == Approx(-10.84014034).margin(1e-9));
  CHECK(o.steps[2].energy == Approx(-10.84147246).margin(1e-9));
  CHECK(o.steps[0].free_energy == Approx(-10.83820748).margin(1e-9));
  CHECK(o.steps[2].free_energy == Approx(-10.84147289).margin(1e-9));
  // grep 'Iteration': 1(1..11), 2(1..4), 3(1..4); "NELM   =    100".
  CHECK(o.steps[0].scf_steps == 11);
  CHECK(o.steps[1].scf_steps == 4);
  CHECK(o.steps[2].scf_steps == 4);
  CHECK(o.nelm == 100);
  // The first POSITION / TOTAL-FORCE block: 0.68750 0.68750 0.68750, 4.81250 ...
  REQUIRE(o.steps[0].positions.size() == 2);
  CHECK(o.steps[0].positions[1].isApprox(Eigen::Vector3d(4.8125, 4.8125, 4.8125)));
  CHECK(o.steps[0].chain_max_force == -1.0);  // not a VTST build: no "FORCES: max atom"
  CHECK(o.reached_accuracy);
  CHECK(o.finished);
  CHECK(o.fatal.empty());
}

TEST_CASE("OUTCAR of a real VTST run: forces and VASP's own maximum", "[vasp][dft]") {
  // pymatgen neb_analysis/neb1/neb/04/OUTCAR (Fe31, VASP 5.4.1 with VTST 3.1), from its last
  // POSITION / TOTAL-FORCE block to the end.
  const vasp::Outcar o =
      vasp::parse_outcar(slurp(kFixtures / "fe31_vtst_OUTCAR_tail"), "fe31_vtst_OUTCAR_tail");
  REQUIRE(o.steps.size() == 1);
  const auto& s = o.steps[0];
  REQUIRE(s.forces.size() == 31);
  CHECK(s.energy == Approx(-255.98097765).margin(1e-9));
  CHECK(s.free_energy == Approx(-256.31561198).margin(1e-9));
  CHECK(s.forces[24].isApprox(Eigen::Vector3d(0.065337, -0.011107, 0.014836)));
  // VASP printed "FORCES: max atom, RMS 0.070074"; awk over the TOTAL-FORCE columns gives the
  // largest |F| = 0.070073 (atom 28), the same force to the printed precision.
  CHECK(s.chain_max_force == Approx(0.070074).margin(1e-9));
  double largest = 0.0;
  for (const auto& f : s.forces) largest = std::max(largest, f.norm());
  CHECK(largest == Approx(0.070073).margin(1e-6));
  CHECK(o.nelm == 60);  // no NELM echo in the trimmed file: VASP's default
  CHECK(o.reached_accuracy);
  CHECK(o.finished);
}

TEST_CASE("read_relax on a real relaxation", "[vasp][dft]") {
  const auto code = dft::make_vasp();
  const fs::path dir = scratch_dir("relax");
  fs::copy_file(kFixtures / "si_relax_OUTCAR", dir / "OUTCAR");
  const dft::RelaxResult r = code->read_relax(dir, silicon());
  CHECK(r.problem == dft::Problem::none);
  CHECK(r.steps == 3);
  CHECK(r.energy == Approx(-10.84147246).margin(1e-9));
  CHECK(r.max_force == Approx(0.0).margin(1e-9));  // Si2 forces vanish by symmetry
  REQUIRE(r.last);
  // pymatgen Vasprun(si_relax_vasprun_trimmed.xml).final_structure: 0.125 and 0.875 (x3).
  CHECK(r.last->sites[0].frac.isApprox(Eigen::Vector3d(0.125, 0.125, 0.125), 1e-6));
  CHECK(r.last->sites[1].frac.isApprox(Eigen::Vector3d(0.875, 0.875, 0.875), 1e-6));
}

TEST_CASE("read_relax: cut off, SCF cap, damaged, crashed", "[vasp][dft]") {
  const auto code = dft::make_vasp();
  const fs::path dir = scratch_dir("relax_problems");
  const std::string real = slurp(kFixtures / "si_relax_OUTCAR");

  SECTION("cut off inside the third step's forces: the second step is the last complete") {
    spit(dir / "OUTCAR", cut_before(real, "TOTAL-FORCE", 3) + "   0.68750   0.68");
    const dft::RelaxResult r = code->read_relax(dir, silicon());
    CHECK(r.problem == dft::Problem::cut_off);
    CHECK(r.steps == 2);
    CHECK(r.energy == Approx(-10.84014034).margin(1e-9));  // grep: the second energy(sigma->0)
  }
  SECTION("cut off in the middle of an energy: the truncated number is never read") {
    const std::string line = "energy(sigma->0) =      -10.84147246";
    const std::size_t at = real.rfind(line);
    spit(dir / "OUTCAR", real.substr(0, at + line.size() - 4));  // ends "-10.8414"
    const dft::RelaxResult r = code->read_relax(dir, silicon());
    CHECK(r.problem == dft::Problem::cut_off);
    CHECK(r.steps == 2);
    CHECK(r.energy == Approx(-10.84014034).margin(1e-9));
  }
  SECTION("the last step used every electronic step (NELM lowered to 4 in a copy)") {
    std::string text = real;
    const std::string echo = "NELM   =    100;";
    text.replace(text.find(echo), echo.size(), "NELM   =      4;");
    spit(dir / "OUTCAR", text);
    const dft::RelaxResult r = code->read_relax(dir, silicon());
    CHECK(r.problem == dft::Problem::scf_not_converged);
    CHECK(r.reason.find("NELM = 4") != std::string::npos);
  }
  SECTION("a garbled force is a crash with the line, never a number") {
    std::string text = real;
    const std::string row = "4.81250      4.81250      4.81250        -0.000000";
    text.replace(text.rfind(row), row.size(), "4.81250      4.81250      4.81250        *********");
    spit(dir / "OUTCAR", text);
    const dft::RelaxResult r = code->read_relax(dir, silicon());
    CHECK(r.problem == dft::Problem::crashed);
    CHECK(r.reason.find("*********") != std::string::npos);
    CHECK(std::isnan(r.energy));
    CHECK_FALSE(r.last);
  }
  SECTION("no OUTCAR") {
    const dft::RelaxResult r = code->read_relax(dir, silicon());
    CHECK(r.problem == dft::Problem::cut_off);
    CHECK(r.reason.find("OUTCAR is missing") != std::string::npos);
  }
  SECTION("VASP 6.3.0 stopped in EDDDAV (custodian tests/files/vasp.edddav2)") {
    fs::copy_file(kFixtures / "edddav_OUTCAR", dir / "OUTCAR");
    const dft::RelaxResult r = code->read_relax(dir, silicon());
    CHECK(r.problem == dft::Problem::crashed);
    // grep -n EDDDAV: "|     Error EDDDAV: Call to ZHEGV failed. Returncode = 1 2 128   |"
    CHECK_THAT(r.reason,
               Catch::Contains("Error EDDDAV: Call to ZHEGV failed. Returncode = 1 2 128"));
  }
  SECTION("ZBRENT in VASP's standard output (custodian tests/files/vasp.zbrent)") {
    spit(dir / "OUTCAR", cut_before(real, "reached required accuracy", 1));
    fs::copy_file(kFixtures / "zbrent_vasp.out", dir / "vasp.out");
    const dft::RelaxResult r = code->read_relax(dir, silicon());
    CHECK(r.problem == dft::Problem::crashed);
    CHECK_THAT(r.reason, Catch::Contains("ZBRENT: fatal error in bracketing"));
  }
  SECTION("footer without convergence: NSW used up") {
    std::string text = real;
    const std::string done = "reached required accuracy";
    text.replace(text.find(done), done.size(), "(line removed for the test)");
    spit(dir / "OUTCAR", text);
    CHECK(code->read_relax(dir, silicon()).problem == dft::Problem::steps_exhausted);
  }
}

TEST_CASE("write_relax: INCAR, KPOINTS, POSCAR, POTCAR", "[vasp][dft]") {
  const auto code = dft::make_vasp();
  const fs::path dir = scratch_dir("write_relax");
  spit(dir / "OUTCAR", "an earlier try's output\n");
  dft::DftSettings settings = fake_settings();
  settings.hubbard_u = {{"Fe", 5.3}};
  dft::DftSite site;
  site.cores = 4;
  site.launcher = {"mpirun", "-np", "{cores}"};
  const dft::Command cmd = code->write_relax(dir, lifeo(), settings, site, {});
  CHECK(cmd.argv == std::vector<std::string>{"mpirun", "-np", "4", "vasp_std"});
  CHECK(cmd.log == "vasp.out");
  CHECK_FALSE(fs::exists(dir / "OUTCAR"));  // the earlier try's output is gone

  const auto tags = incar_tags(dir / "INCAR");
  CHECK(tags.at("PREC") == "Accurate");
  CHECK(tags.at("ENCUT") == "520");  // VASP default of the header: 520 eV
  CHECK(tags.at("GGA") == "PS");     // PBEsol
  CHECK(tags.at("EDIFF") == "1e-05");
  CHECK(tags.at("EDIFFG") == "-0.03");
  CHECK(tags.at("IBRION") == "2");
  CHECK(tags.at("ISIF") == "2");
  CHECK(tags.at("NSW") == "100");
  CHECK(tags.at("NELM") == "100");
  CHECK(tags.at("ISMEAR") == "0");
  CHECK(tags.at("SIGMA") == "0.05");
  CHECK(tags.at("LREAL") == ".FALSE.");           // 6 atoms
  CHECK(tags.at("ISPIN") == "2");                 // Fe present, spin = auto
  CHECK(tags.at("MAGMOM") == "1*0.6 2*5 3*0.6");  // Li Fe Fe O O Li: 5 μB for Fe, else 0.6
  CHECK(tags.at("LDAU") == ".TRUE.");
  CHECK(tags.at("LDAUTYPE") == "2");
  CHECK(tags.at("LDAUL") == "-1 2 -1 -1");  // species entries Li Fe O Li
  CHECK(tags.at("LDAUU") == "0 5.3 0 0");
  CHECK(tags.at("LDAUJ") == "0 0 0 0");
  CHECK(tags.at("LMAXMIX") == "4");

  // Cubic a = 4 Å: |2π b_i| = 2π/4 = 1.571 1/Å, / 0.5 = 3.14 -> 4 divisions.
  CHECK(slurp(dir / "KPOINTS").find("Gamma\n4 4 4\n0 0 0\n") != std::string::npos);

  // POTCAR: the fake library's files in POSCAR species order (Li Fe O Li; MP's Li_sv, Fe_pv).
  const fs::path lib = kFixtures / "fake_paw";
  CHECK(slurp(dir / "POTCAR") == slurp(lib / "Li_sv/POTCAR") + slurp(lib / "Fe_pv/POTCAR") +
                                     slurp(lib / "O/POTCAR") + slurp(lib / "Li_sv/POTCAR"));
  const Crystal poscar = ionscreen::structures::read_poscar(dir / "POSCAR");
  REQUIRE(poscar.sites.size() == 6);
  CHECK(poscar.sites[5].element == "Li");
  CHECK(poscar.sites[5].fixed == std::array<bool, 3>{true, true, true});
}

TEST_CASE("write_relax: extra tags and the SCF correction levels", "[vasp][dft]") {
  const auto code = dft::make_vasp();
  const fs::path dir = scratch_dir("write_relax_scf");
  dft::DftSettings settings = fake_settings();
  settings.functional = dft::Functional::pbe;
  settings.spin = dft::Spin::off;
  settings.extra = {{"ALGO", "Fast"}, {"LREAL", "Auto"}, {"NCORE", "4"}};
  auto tags_at = [&](int level) {
    code->write_relax(dir, lifeo(), settings, {}, dft::Corrections{level, 0});
    return incar_tags(dir / "INCAR");
  };
  auto t = tags_at(0);
  CHECK(t.at("GGA") == "PE");
  CHECK(t.at("ISPIN") == "1");
  CHECK(t.count("MAGMOM") == 0);
  CHECK(t.at("ALGO") == "Fast");  // extra overrides
  CHECK(t.at("LREAL") == "Auto");
  CHECK(t.at("NCORE") == "4");  // extra adds
  t = tags_at(1);
  CHECK(t.at("ALGO") == "All");  // the correction overrides extra
  CHECK(t.at("NELM") == "200");
  CHECK(t.count("AMIX") == 0);
  t = tags_at(2);
  CHECK(t.at("AMIX") == "0.1");
  CHECK(t.at("BMIX") == "0.01");
  CHECK(t.at("AMIX_MAG") == "0.4");
  CHECK(t.at("BMIX_MAG") == "0.01");
  t = tags_at(3);
  CHECK(t.at("AMIN") == "0.01");
  CHECK(t.at("NELM") == "400");

  settings.extra = {{"algo", "Fast"}};
  CHECK_THROWS_WITH(code->write_relax(dir, lifeo(), settings, {}, {}),
                    Catch::Contains("'algo=Fast'") && Catch::Contains("upper-case INCAR tag"));
  settings.extra = {{"vtst", "maybe"}};
  CHECK_THROWS_WITH(code->write_relax(dir, lifeo(), settings, {}, {}),
                    Catch::Contains("vtst takes true or false"));
}

TEST_CASE("check: functional, method, PAW library and every POTCAR", "[vasp][dft]") {
  const auto code = dft::make_vasp();
  dft::DftSettings s = fake_settings();
  CHECK_NOTHROW(code->check(s, {"Li", "Fe", "O"}));
  // A charged cell needs NELECT, which only the user's POTCARs can give.
  s.charge = -1;
  CHECK_THROWS_WITH(code->check(s, {"Li", "Fe", "O"}),
                    Catch::Contains("[dft] charge = -1") && Catch::Contains("NELECT="));
  s.extra = {{"NELECT", "45"}};
  CHECK_NOTHROW(code->check(s, {"Li", "Fe", "O"}));
  s.charge = 0;
  s.extra.clear();
  // Mn (default Mn_pv) and Zr (named Zr_new) are not in the fake library: one error, both named.
  s.pseudopotentials = {{"Zr", "Zr_new"}};
  CHECK_THROWS_WITH(
      code->check(s, {"Li", "Mn", "Zr"}),
      Catch::Contains("Mn (" + (kFixtures / "fake_paw/Mn_pv/POTCAR").string() + ")") &&
          Catch::Contains("Zr (" + (kFixtures / "fake_paw/Zr_new/POTCAR").string() + ")"));
  s.pseudopotentials.clear();
  s.functional = dft::Functional::pbe;
  s.method = dft::Method::xtb;
  CHECK_THROWS_WITH(code->check(s, {"Li"}), Catch::Contains("method = 'xtb'"));
  s.method = dft::Method::dft;
  s.extra = {{"EDIFFG", "-0.5"}};  // the runner checks convergence against relax_force_tolerance
  CHECK_THROWS_WITH(code->check(s, {"Li"}),
                    Catch::Contains("EDIFFG") && Catch::Contains("relax_force_tolerance"));
  s.extra.clear();
  s.pseudo_dir = kFixtures / "no_such_library";
  CHECK_THROWS_WITH(code->check(s, {"Li"}), Catch::Contains("no_such_library"));

  // No pseudo_dir: $VASP_PP_PATH/potpaw_PBE, and advice when it is unset.
  s.pseudo_dir.clear();
  const char* saved = std::getenv("VASP_PP_PATH");
  const std::string keep = saved ? saved : "";
  unsetenv("VASP_PP_PATH");
  CHECK_THROWS_WITH(code->check(s, {"Li"}), Catch::Contains("export VASP_PP_PATH="));
  const fs::path root = scratch_dir("pp_path");
  fs::create_directories(root / "potpaw_PBE/Li_sv");
  spit(root / "potpaw_PBE/Li_sv/POTCAR", "fake\n");
  setenv("VASP_PP_PATH", root.c_str(), 1);
  CHECK_NOTHROW(code->check(s, {"Li"}));
  if (saved) {
    setenv("VASP_PP_PATH", keep.c_str(), 1);
  } else {
    unsetenv("VASP_PP_PATH");
  }
}

TEST_CASE("write_neb: folders, INCAR, process count, end energies", "[vasp][dft]") {
  const auto code = dft::make_vasp();
  const fs::path dir = scratch_dir("write_neb");
  const std::vector<Crystal> band(5, lifeo());  // 3 images
  dft::DftSettings settings = fake_settings();
  settings.site = "sites/cluster.ini";
  dft::DftSite site;
  site.cores = 4;
  CHECK_THROWS_WITH(code->write_neb(dir, band, {-1.5, -1.25}, settings, site, {}),
                    Catch::Contains("sites/cluster.ini") && Catch::Contains("cores = 4") &&
                        Catch::Contains("images = 3"));
  site.cores = 6;
  code->write_neb(dir, band, {-1.5, -1.25}, settings, site, {});
  for (const char* folder : {"00", "01", "02", "03", "04"})
    CHECK(fs::exists(dir / folder / "POSCAR"));
  CHECK_FALSE(fs::exists(dir / "05"));
  auto t = incar_tags(dir / "INCAR");
  CHECK(t.at("IMAGES") == "3");
  CHECK(t.at("SPRING") == "-5");
  CHECK(t.at("LCLIMB") == ".TRUE.");
  CHECK(t.at("IBRION") == "1");
  CHECK(t.at("POTIM") == "0.5");
  CHECK(t.at("EDIFFG") == "-0.05");
  CHECK(t.at("NSW") == "200");
  CHECK(slurp(dir / "ionscreen_ends.json").find("-1.25") != std::string::npos);

  settings.extra = {{"vtst", "true"}, {"IOPT", "1"}};
  settings.climbing = false;
  code->write_neb(dir, band, {-1.5, -1.25}, settings, site, {});
  t = incar_tags(dir / "INCAR");
  CHECK(t.at("IBRION") == "3");
  CHECK(t.at("POTIM") == "0");
  CHECK(t.at("IOPT") == "1");  // extra wins over the VTST default IOPT = 3
  CHECK(t.at("LCLIMB") == ".FALSE.");
}

TEST_CASE("read_neb on real per-image OUTCARs", "[vasp][dft]") {
  // Each image of a VASP NEB writes an OUTCAR of the relaxation format into its folder; the
  // real Si2 OUTCAR stands in for two images.
  const auto code = dft::make_vasp();
  const fs::path dir = scratch_dir("read_neb");
  const std::vector<Crystal> band(4, silicon());
  dft::DftSettings settings = fake_settings();
  dft::DftSite site;
  site.cores = 2;
  code->write_neb(dir, band, {-10.9, -10.8}, settings, site, {});
  const std::string real = slurp(kFixtures / "si_relax_OUTCAR");

  SECTION("both converged") {
    spit(dir / "01/OUTCAR", real);
    spit(dir / "02/OUTCAR", real);
    const dft::NebResult r = code->read_neb(dir, band, settings);
    CHECK(r.problem == dft::Problem::none);
    CHECK(r.steps == 3);
    // The relaxed ends from write_neb, the images' last energy(sigma->0) (grep).
    CHECK(r.energies == std::vector<double>{-10.9, -10.84147246, -10.84147246, -10.8});
    CHECK(r.max_forces.size() == 2);
    CHECK(r.band.size() == 4);
  }
  SECTION("one image cut off after two steps: the band's last complete step is the second") {
    spit(dir / "01/OUTCAR", real);
    spit(dir / "02/OUTCAR", cut_before(real, "TOTAL-FORCE", 3));
    const dft::NebResult r = code->read_neb(dir, band, settings);
    CHECK(r.problem == dft::Problem::cut_off);
    CHECK(r.steps == 2);
    CHECK(r.energies == std::vector<double>{-10.9, -10.84014034, -10.84014034, -10.8});
  }
  SECTION("an image without OUTCAR: no energies") {
    spit(dir / "01/OUTCAR", real);
    const dft::NebResult r = code->read_neb(dir, band, settings);
    CHECK(r.problem == dft::Problem::cut_off);
    CHECK(r.reason.find("02") != std::string::npos);
    CHECK(r.energies.empty());
  }
}
