#include "pipeline/jobs/dft/dft_settings.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <set>
#include <sstream>

#include "pipeline/base/error.hpp"
#include "pipeline/base/strings.hpp"
#include "structures/error.hpp"
#include "structures/ini.hpp"

namespace ionscreen::pipeline::dft {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// The 3d metals whose compounds are magnetic in battery materials: spin polarisation on, and an
/// initial moment of 5 μB (high spin, as the Materials Project's input sets start from).
const std::set<std::string>& magnetic_elements() {
  static const std::set<std::string> elements = {"V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu"};
  return elements;
}

/// `json[key]` converted to T, or InputError naming the origin and the key.
template <typename T>
T get(const json& object, const char* key, const std::string& origin) {
  if (!object.contains(key)) throw InputError(origin + ": key '" + key + "' missing");
  try {
    return object.at(key).get<T>();
  } catch (const json::exception&) {
    throw InputError(origin + ": key '" + key + "': " + object.at(key).dump() +
                     " has the wrong type");
  }
}

/// `json[key]`, a name of the enum E, or InputError naming the origin, key and accepted names.
template <class E>
E get_choice(const json& object, const char* key, const std::string& origin) {
  const std::string name = get<std::string>(object, key, origin);
  if (const auto value = from_name<E>(name)) return *value;
  throw InputError(origin + ": key '" + key + "': '" + name + "' is not one of " +
                   join(names_of<E>(), ", "));
}

}  // namespace

json to_json(const DftSettings& s) {
  json extra = json::array();
  for (const auto& [key, value] : s.extra) extra.push_back({key, value});
  return {{"method", name_of(s.method)},
          {"functional", name_of(s.functional)},
          {"cutoff", s.cutoff},
          {"cutoff_rho", s.cutoff_rho},
          {"kspacing", s.kspacing},
          {"spin", name_of(s.spin)},
          {"magmom", s.magmom},
          {"hubbard_u", s.hubbard_u},
          {"charge", s.charge},
          {"scf_tolerance", s.scf_tolerance},
          {"max_scf_steps", s.max_scf_steps},
          {"images", s.images},
          {"climbing", s.climbing},
          {"spring", s.spring},
          {"neb_force_tolerance", s.neb_force_tolerance},
          {"relax_force_tolerance", s.relax_force_tolerance},
          {"max_neb_steps", s.max_neb_steps},
          {"max_relax_steps", s.max_relax_steps},
          {"max_corrections", s.max_corrections},
          {"interpolation", name_of(s.interpolation)},
          {"hop", s.hop},
          {"supercell", s.supercell},
          {"min_width", s.min_width},
          {"free_atoms", name_of(s.free_atoms)},
          {"pseudo_dir", s.pseudo_dir.string()},
          {"pseudopotentials", s.pseudopotentials},
          {"basis", s.basis},
          {"extra", extra},
          {"site", s.site.string()}};
}

DftSettings settings_from_json(const json& j, const std::string& origin) {
  DftSettings s;
  s.method = get_choice<Method>(j, "method", origin);
  s.functional = get_choice<Functional>(j, "functional", origin);
  s.cutoff = get<double>(j, "cutoff", origin);
  s.cutoff_rho = get<double>(j, "cutoff_rho", origin);
  s.kspacing = get<double>(j, "kspacing", origin);
  s.spin = get_choice<Spin>(j, "spin", origin);
  s.magmom = get<std::map<std::string, double>>(j, "magmom", origin);
  s.hubbard_u = get<std::map<std::string, double>>(j, "hubbard_u", origin);
  s.charge = get<int>(j, "charge", origin);
  s.scf_tolerance = get<double>(j, "scf_tolerance", origin);
  s.max_scf_steps = get<int>(j, "max_scf_steps", origin);
  s.images = get<int>(j, "images", origin);
  s.climbing = get<bool>(j, "climbing", origin);
  s.spring = get<double>(j, "spring", origin);
  s.neb_force_tolerance = get<double>(j, "neb_force_tolerance", origin);
  s.relax_force_tolerance = get<double>(j, "relax_force_tolerance", origin);
  s.max_neb_steps = get<int>(j, "max_neb_steps", origin);
  s.max_relax_steps = get<int>(j, "max_relax_steps", origin);
  s.max_corrections = get<int>(j, "max_corrections", origin);
  s.interpolation = get_choice<Interpolation>(j, "interpolation", origin);
  s.hop = get<std::string>(j, "hop", origin);
  s.supercell = get<std::string>(j, "supercell", origin);
  s.min_width = get<double>(j, "min_width", origin);
  s.free_atoms = get_choice<FreeAtoms>(j, "free_atoms", origin);
  s.pseudo_dir = get<std::string>(j, "pseudo_dir", origin);
  s.pseudopotentials = get<std::map<std::string, std::string>>(j, "pseudopotentials", origin);
  s.basis = get<std::map<std::string, std::string>>(j, "basis", origin);
  for (const auto& pair : get<std::vector<std::vector<std::string>>>(j, "extra", origin)) {
    if (pair.size() != 2) throw InputError(origin + ": key 'extra': entries are [key, value]");
    s.extra.emplace_back(pair[0], pair[1]);
  }
  s.site = get<std::string>(j, "site", origin);
  return s;
}

json to_json(const DftSite& site) {
  return {{"launcher", site.launcher},
          {"cores", site.cores},
          {"programs", site.programs},
          {"setup", site.setup.string()}};
}

DftSite site_from_json(const json& j, const std::string& origin) {
  DftSite site;
  site.launcher = get<std::vector<std::string>>(j, "launcher", origin);
  site.cores = get<int>(j, "cores", origin);
  site.programs = get<std::map<std::string, std::string>>(j, "programs", origin);
  site.setup = get<std::string>(j, "setup", origin);
  return site;
}

DftSite read_site(const fs::path& file) {
  if (file.empty())
    throw InputError("[dft] site: no site profile named (cluster/sites/local.ini is the example)");
  structures::Ini ini;
  try {
    ini = structures::read_ini(file, "DFT site profile ([dft] site)");
  } catch (const structures::InputError& e) {
    throw InputError(e.what());
  }
  DftSite site;
  for (const auto& section : ini.sections) {
    if (section.name.empty() && section.entries.empty()) continue;
    if (section.name != "dft") {
      // A Slurm site profile may hold both sections; only [dft] is ours.
      if (section.name == "slurm") continue;
      throw InputError(ini.where(section.line) + ": section [" + section.name +
                       "] is not one of [dft], [slurm]");
    }
    for (const auto& entry : section.entries) {
      const std::string where =
          ini.where(entry.line) + ": [dft] " + entry.key + " = '" + entry.value + "': ";
      if (entry.key == "launcher") {
        std::istringstream words(entry.value);
        site.launcher.clear();
        for (std::string word; words >> word;) site.launcher.push_back(word);
      } else if (entry.key == "cores") {
        try {
          std::size_t used = 0;
          site.cores = std::stoi(entry.value, &used);
          if (used != entry.value.size() || site.cores < 1) throw std::invalid_argument("");
        } catch (const std::exception&) {
          throw InputError(where + "expected an integer >= 1 (MPI processes per stage)");
        }
      } else if (site.programs.contains(entry.key)) {
        if (entry.value.empty())
          throw InputError(where + "expected a program name or path, e.g. " +
                           DftSite{}.programs.at(entry.key));
        // A relative path is relative to the profile's folder, like setup; a bare name is
        // looked up on PATH when the job runs.
        const bool relative_path =
            entry.value.find('/') != std::string::npos && entry.value.front() != '/';
        site.programs[entry.key] =
            relative_path ? (file.parent_path() / entry.value).lexically_normal().string()
                          : entry.value;
      } else if (entry.key == "setup") {
        site.setup = entry.value.empty() ? fs::path()
                                         : (file.parent_path() / entry.value).lexically_normal();
        if (!site.setup.empty() && !fs::is_regular_file(site.setup))
          throw InputError(where +
                           "no such file (a bash script the wrapper sources first, "
                           "e.g. module loads)");
      } else {
        throw InputError(ini.where(entry.line) + ": [dft] key '" + entry.key +
                         "' is not one of launcher, cores, pw, neb, cp2k, vasp, setup");
      }
    }
  }
  return site;
}

std::vector<std::string> launch(const DftSite& site, const std::string& program_key,
                                int processes) {
  std::vector<std::string> argv;
  for (std::string word : site.launcher) {
    for (auto at = word.find("{cores}"); at != std::string::npos; at = word.find("{cores}"))
      word.replace(at, 7, std::to_string(processes));
    argv.push_back(word);
  }
  argv.push_back(site.programs.at(program_key));
  return argv;
}

std::optional<Eigen::Vector3i> parse_supercell(const std::string& text) {
  if (text == "auto") return std::nullopt;
  Eigen::Vector3i n;
  char x1 = 0, x2 = 0;
  std::istringstream in(text);
  if (!(in >> n[0] >> x1 >> n[1] >> x2 >> n[2]) || x1 != 'x' || x2 != 'x' ||
      (in >> std::ws).peek() != EOF || n.minCoeff() < 1)
    throw InputError("[dft] supercell = '" + text + "': expected auto or NxMxK, e.g. 2x2x1");
  return n;
}

std::array<int, 3> kpoint_mesh(const Eigen::Matrix3d& lattice, double kspacing) {
  if (kspacing <= 0.0) return {1, 1, 1};
  // Rows of inverse(lattice)^T are the reciprocal vectors b_i with b_i . a_j = δ_ij.
  const Eigen::Matrix3d reciprocal = lattice.inverse().transpose();
  std::array<int, 3> mesh{};
  for (int i = 0; i < 3; ++i) {
    const double length = 2.0 * std::numbers::pi * reciprocal.row(i).norm();
    mesh[i] = std::max(1, static_cast<int>(std::ceil(length / kspacing - 1e-9)));
  }
  return mesh;
}

bool spin_polarized(const DftSettings& settings, const std::vector<std::string>& elements) {
  if (settings.spin == Spin::on) return true;
  if (settings.spin == Spin::off) return false;
  return std::any_of(elements.begin(), elements.end(),
                     [](const std::string& e) { return magnetic_elements().contains(e); });
}

double initial_moment(const DftSettings& settings, const std::string& element) {
  if (const auto it = settings.magmom.find(element); it != settings.magmom.end()) return it->second;
  return magnetic_elements().contains(element) ? 5.0 : 0.6;
}

}  // namespace ionscreen::pipeline::dft
