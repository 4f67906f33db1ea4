// What defines a campaign: every key of the campaign INI is either part of its identity (a
// resume with another value is refused) or on the one list of keys a resume may change
// (pipeline/campaign/config.hpp keys_resume_may_change), and that list is the one
// docs/campaign_file.md documents. Review findings D2 (a renamed campaign submitted a job twice
// under Slurm) and D3 (a changed BVSE grid was accepted) came from keys left out of the identity.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <string>

#include "pipeline/campaign/config.hpp"
#include "pipeline/campaign/setup.hpp"
#include "tests/pipeline/support.hpp"

namespace fs = std::filesystem;
using namespace ionscreen::pipeline;

namespace {

const fs::path kSource = IONSCREEN_SOURCE_DIR;

fs::path write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
  return file;
}

}  // namespace

TEST_CASE("campaign identity: every key is the identity or may change on resume",
          "[unit][config]") {
  const fs::path dir = testing::fresh_dir("identity");
  const std::string table =
      "compound,carrier,M.a,X.b,E_b,E_1D\nLiA,Li,0.1,0.2,0.5,0.6\n"
      "LiB,Li,0.3,0.1,0.7,0.8\nLiC,Li,0.5,0.4,0.4,0.3\n";
  write(dir / "data/table.csv", table);
  write(dir / "data/other.csv", table);
  write(dir / "space.ini", "carriers = Li\nM = Fe2+\nX = S6+\nZ = F\n");
  write(dir / "other_space.ini", "carriers = Li\nM = Mn2+\nX = S6+\nZ = F\n");
  write(dir / "source/campaign.h5", "");
  write(dir / "other_source/campaign.h5", "");
  write(dir / "site.ini", "[dft]\ncores = 1\n");
  write(dir / "other_site.ini", "[dft]\ncores = 2\n");
  write(dir / "profile.ini", "[slurm]\npartition = a\n");
  write(dir / "other_profile.ini", "[slurm]\npartition = b\n");
  fs::create_directories(dir / "pseudo");
  fs::create_directories(dir / "other_pseudo");
  fs::copy(kSource / "inputs", dir / "other_inputs", fs::copy_options::recursive);
  const fs::path ini = write(dir / "campaign.ini", R"([campaign]
name = base
carrier = Li
[candidates]
space = space.ini
table = data/table.csv
[search]
threshold = 0.5
threshold_reference = data/table.csv
transfer_source = source
[engine]
name = table
table = data/table.csv
[dft]
pseudo_dir = pseudo
site = site.ini
[jobs]
slurm_profile = profile.ini
)");
  const CampaignConfig base = load_campaign_config(ini);

  // Another valid value for every key; a key added to the schema without a line here fails.
  const std::map<std::string, std::string> other = {
      {"campaign.name", "renamed"},
      {"campaign.directory", (dir / "moved").string()},
      {"campaign.carrier", "Na"},
      {"campaign.seed", "2"},
      {"candidates.space", (dir / "other_space.ini").string()},
      {"candidates.inputs", (dir / "other_inputs").string()},
      {"candidates.table", (dir / "data/other.csv").string()},
      {"candidates.key", "name"},
      {"candidates.where", "carrier=Li"},
      {"search.mode", "threshold"},
      {"search.threshold", "0.4"},
      {"search.threshold_reference", (dir / "data/other.csv").string()},
      {"search.threshold_column", "E_b"},
      {"search.threshold_where", ""},
      {"search.kernel", "se"},
      {"search.acquisition", "pi"},
      {"search.batch", "4"},
      {"search.batch_method", "cl"},
      {"search.initial", "3"},
      {"search.initial_candidates", "LiA, LiB"},
      {"search.budget", "9"},
      {"search.target", "0.1"},
      {"search.wall_clock", "2h"},
      {"search.transfer", "hp"},
      {"search.transfer_source", (dir / "other_source").string()},
      {"engine.name", "bvse"},
      {"engine.barrier", "E_2D"},
      {"engine.grid_spacing", "0.3"},
      {"engine.table", (dir / "data/other.csv").string()},
      {"engine.key", "name"},
      {"engine.column", "E_1D"},
      {"engine.faults", "fail=0.1"},
      {"dft.method", "xtb"},
      {"dft.functional", "PBE"},
      {"dft.cutoff", "600"},
      {"dft.cutoff_rho", "4000"},
      {"dft.kspacing", "0.3"},
      {"dft.spin", "off"},
      {"dft.magmom", "Fe:4"},
      {"dft.hubbard_u", "Fe:5.3"},
      {"dft.charge", "-1"},
      {"dft.scf_tolerance", "1e-6"},
      {"dft.max_scf_steps", "300"},
      {"dft.images", "7"},
      {"dft.climbing", "false"},
      {"dft.spring", "3"},
      {"dft.neb_force_tolerance", "0.03"},
      {"dft.relax_force_tolerance", "0.02"},
      {"dft.max_neb_steps", "400"},
      {"dft.max_relax_steps", "300"},
      {"dft.max_corrections", "5"},
      {"dft.interpolation", "linear"},
      {"dft.hop", "1"},
      {"dft.supercell", "2x2x2"},
      {"dft.min_width", "10"},
      {"dft.free_atoms", "moving"},
      {"dft.pseudo_dir", (dir / "other_pseudo").string()},
      {"dft.pseudopotentials", "Li:Li.UPF"},
      {"dft.basis", "Li:DZVP"},
      {"dft.extra", "electrons.mixing_beta=0.3"},
      {"dft.site", (dir / "other_site.ini").string()},
      {"jobs.backend", "slurm"},
      {"jobs.max_in_flight", "8"},
      {"jobs.retries", "5"},
      {"jobs.time_limit", "2h"},
      {"jobs.poll", "3s"},
      {"jobs.slurm_profile", (dir / "other_profile.ini").string()},
  };
  std::set<std::string> listed;
  for (const auto& [key, value] : other) listed.insert(key);
  const auto keys = config_keys();
  CHECK(listed == std::set<std::string>(keys.begin(), keys.end()));

  const auto identity = identity_keys();
  for (const auto& key : keys) {
    INFO(key << " = " << other.at(key));
    const CampaignConfig changed = load_campaign_config(ini, {key + "=" + other.at(key)});
    REQUIRE(config_value(changed, key) != config_value(base, key));
    const auto diff = identity_differences(base, changed);
    if (std::find(identity.begin(), identity.end(), key) != identity.end()) {
      CHECK(std::any_of(diff.begin(), diff.end(),
                        [&](const std::string& d) { return d.rfind(key + ":", 0) == 0; }));
    } else {
      CHECK(diff.empty());
    }
  }
  // The review's cases, by name.
  CHECK(std::find(identity.begin(), identity.end(), "campaign.name") != identity.end());
  CHECK(std::find(identity.begin(), identity.end(), "engine.grid_spacing") != identity.end());
}

TEST_CASE("campaign identity: docs/campaign_file.md lists exactly the keys a resume may change",
          "[unit][config]") {
  std::ifstream in(kSource / "docs/campaign_file.md");
  const std::string doc{std::istreambuf_iterator<char>(in), {}};
  const auto start = doc.find("## What a resume may change");
  REQUIRE(start != std::string::npos);
  const auto end = doc.find("\n## ", start + 1);
  const std::string section = doc.substr(start, end == std::string::npos ? end : end - start);
  std::set<std::string> documented;
  const std::regex row(R"(\n\| `([a-z_]+\.[a-z_]+)` \|)");
  for (std::sregex_iterator it(section.begin(), section.end(), row), last; it != last; ++it)
    documented.insert((*it)[1].str());
  std::set<std::string> code;
  for (const auto& k : keys_resume_may_change()) code.insert(k.key);
  CHECK(documented == code);
}
