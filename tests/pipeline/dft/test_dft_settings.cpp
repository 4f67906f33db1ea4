// DFT settings and site profiles (pipeline/jobs/dft/dft_settings.hpp): the JSON round trip job.json
// relies on, the site profile's keys and errors, the launcher's {cores}, k-point meshes.
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>

#include "pipeline/base/error.hpp"
#include "pipeline/jobs/dft/dft_settings.hpp"
#include "pipeline/jobs/job_protocol.hpp"
#include "tests/pipeline/support.hpp"

namespace fs = std::filesystem;
using namespace ionscreen::pipeline;
using namespace ionscreen::pipeline::dft;
using Catch::Contains;

TEST_CASE("dft settings and site survive job.json", "[dft][settings]") {
  DftSettings s;
  s.method = Method::xtb;
  s.charge = -1;
  s.magmom = {{"Fe", 4.5}};
  s.hubbard_u = {{"Fe", 5.3}, {"Co", 6.2}};
  s.extra = {{"electrons.mixing_beta", "0.3"}, {"system.nosym", ".true."}};
  s.pseudopotentials = {{"Li", "Li.UPF"}};
  s.site = "/site.ini";
  CHECK(settings_from_json(nlohmann::json::parse(to_json(s).dump()), "job.json") == s);
  DftSite site;
  site.launcher = {"srun", "-n", "{cores}"};
  site.cores = 64;
  CHECK(site_from_json(nlohmann::json::parse(to_json(site).dump()), "job.json") == site);

  auto broken = to_json(s);
  broken.erase("images");
  CHECK_THROWS_WITH(settings_from_json(broken, "x/job.json: key 'dft'"),
                    Contains("x/job.json: key 'dft': key 'images' missing"));
  broken = to_json(s);
  broken["images"] = "five";
  CHECK_THROWS_WITH(settings_from_json(broken, "job.json"),
                    Contains("'images': \"five\" has the wrong type"));
  // A closed choice a code does not know is refused with what would be accepted (job.json may
  // come from anywhere; the campaign file's reader refuses them too).
  const std::pair<const char*, const char*> unknown[] = {
      {"method", "gfn2"}, {"functional", "SCAN"},      {"functional", "LDA"},
      {"spin", "yes"},    {"interpolation", "spline"}, {"free_atoms", "none"}};
  for (const auto& [key, value] : unknown) {
    broken = to_json(s);
    broken[key] = value;
    CHECK_THROWS_WITH(
        settings_from_json(broken, "job.json"),
        Contains(std::string("job.json: key '") + key + "': '" + value + "' is not one of "));
  }
  broken = to_json(s);
  broken["functional"] = "LDA";
  CHECK_THROWS_WITH(settings_from_json(broken, "job.json"), Contains("PBE, PBEsol"));
}

TEST_CASE("site profile: keys, relative paths, errors", "[dft][settings]") {
  const fs::path dir = testing::fresh_dir("site");
  write_atomically(dir / "env.sh", "module load vasp\n");
  write_atomically(
      dir / "site.ini",
      "[slurm]\npartition = x\n[dft]\nlauncher = srun --mpi=pmix -n {cores}\ncores = 8\n"
      "vasp = bin/vasp_gam\npw = /opt/qe/pw.x\nsetup = env.sh\n");
  const DftSite site = read_site(dir / "site.ini");
  CHECK(site.cores == 8);
  CHECK(site.programs.at("vasp") == (dir / "bin/vasp_gam").string());  // next to the profile
  CHECK(site.programs.at("pw") == "/opt/qe/pw.x");
  CHECK(site.programs.at("neb") == "neb.x");  // the default
  CHECK(site.setup == dir / "env.sh");
  CHECK(launch(site, "vasp", 16) == std::vector<std::string>{"srun", "--mpi=pmix", "-n", "16",
                                                             (dir / "bin/vasp_gam").string()});
  DftSite direct;
  direct.launcher.clear();
  CHECK(launch(direct, "cp2k", 4) == std::vector<std::string>{"cp2k.psmp"});

  const auto error = [&](const std::string& text) {
    write_atomically(dir / "bad.ini", text);
    try {
      read_site(dir / "bad.ini");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error("[dft]\ncores = 0\n"),
             Contains("bad.ini:2: [dft] cores = '0'") && Contains(">= 1"));
  CHECK_THAT(error("[dft]\ncores = 2.5\n"), Contains("cores = '2.5'"));
  CHECK_THAT(error("[dft]\nlauncherr = srun\n"),
             Contains("key 'launcherr' is not one of launcher, cores, pw, neb, cp2k, vasp, setup"));
  CHECK_THAT(error("[dft]\nsetup = missing.sh\n"), Contains("setup = 'missing.sh': no such file"));
  CHECK_THAT(error("[sites]\n"), Contains("section [sites] is not one of [dft], [slurm]"));
  CHECK_THAT(error("[dft]\nvasp =\n"), Contains("expected a program name or path"));
  CHECK_THROWS_WITH(read_site(dir / "none.ini"), Contains("none.ini") && Contains("site profile"));
}

TEST_CASE("k-point mesh from a spacing", "[dft][settings]") {
  // Hand derivation: a cubic cell of side a has |b_i| = 1/a, so n = ceil(2π / (a kspacing)).
  const Eigen::Matrix3d cubic = 4.0 * Eigen::Matrix3d::Identity();
  CHECK(kpoint_mesh(cubic, 0.5) == std::array<int, 3>{4, 4, 4});  // 2π/(4*0.5) = 3.14 -> 4
  CHECK(kpoint_mesh(cubic, 0.0) == std::array<int, 3>{1, 1, 1});
  CHECK(kpoint_mesh(cubic, 10.0) == std::array<int, 3>{1, 1, 1});
  // Exactly 2π/(a n): no rounding up past n.
  CHECK(kpoint_mesh(cubic, 2.0 * std::numbers::pi / 12.0) == std::array<int, 3>{3, 3, 3});
  Eigen::Matrix3d slab = cubic;
  slab(2, 2) = 20.0;
  CHECK(kpoint_mesh(slab, 0.5) == std::array<int, 3>{4, 4, 1});
}

TEST_CASE("spin and initial moments", "[dft][settings]") {
  DftSettings s;
  CHECK(spin_polarized(s, {"Li", "Fe", "P", "O"}));
  CHECK_FALSE(spin_polarized(s, {"Li", "Al", "P", "O"}));
  s.spin = Spin::on;
  CHECK(spin_polarized(s, {"Li", "Al"}));
  s.spin = Spin::off;
  CHECK_FALSE(spin_polarized(s, {"Fe"}));
  CHECK(initial_moment(s, "Fe") == 5.0);
  CHECK(initial_moment(s, "O") == 0.6);
  s.magmom["Fe"] = 4.0;
  CHECK(initial_moment(s, "Fe") == 4.0);
}
