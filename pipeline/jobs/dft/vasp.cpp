/// VASP as a DftCode: writes INCAR / KPOINTS / POSCAR / POTCAR for a relaxation (one folder) or a
/// NEB (folders 00..NN plus the shared files), and reads OUTCARs back. Units: eV, Å, eV/Å.
/// docs/dft_vasp.md is the user's description of the same choices.
#include "pipeline/jobs/dft/vasp.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>

#include "pipeline/base/error.hpp"
#include "pipeline/base/text_file.hpp"
#include "pipeline/jobs/dft/output_text.hpp"
#include "pipeline/jobs/job_protocol.hpp"
#include "structures/poscar.hpp"

namespace ionscreen::pipeline::dft {
namespace fs = std::filesystem;
using structures::Crystal;

namespace vasp {

std::string default_potcar(const std::string& element) {
  // pymatgen 2022.11.7, pymatgen/io/vasp/MPRelaxSet.yaml, "POTCAR:" (the Materials Project's
  // relaxation set). Elements not listed use VASP's standard potential, the bare symbol.
  static const std::map<std::string, std::string> table = {
      {"Ba", "Ba_sv"}, {"Be", "Be_sv"}, {"Ca", "Ca_sv"}, {"Cr", "Cr_pv"}, {"Cs", "Cs_sv"},
      {"Cu", "Cu_pv"}, {"Dy", "Dy_3"},  {"Er", "Er_3"},  {"Fe", "Fe_pv"}, {"Ga", "Ga_d"},
      {"Ge", "Ge_d"},  {"Hf", "Hf_pv"}, {"Ho", "Ho_3"},  {"In", "In_d"},  {"K", "K_sv"},
      {"Li", "Li_sv"}, {"Lu", "Lu_3"},  {"Mg", "Mg_pv"}, {"Mn", "Mn_pv"}, {"Mo", "Mo_pv"},
      {"Na", "Na_pv"}, {"Nb", "Nb_pv"}, {"Nd", "Nd_3"},  {"Ni", "Ni_pv"}, {"Os", "Os_pv"},
      {"Pb", "Pb_d"},  {"Pm", "Pm_3"},  {"Pr", "Pr_3"},  {"Rb", "Rb_sv"}, {"Re", "Re_pv"},
      {"Rh", "Rh_pv"}, {"Ru", "Ru_pv"}, {"Sc", "Sc_sv"}, {"Sm", "Sm_3"},  {"Sn", "Sn_d"},
      {"Sr", "Sr_sv"}, {"Ta", "Ta_pv"}, {"Tb", "Tb_3"},  {"Tc", "Tc_pv"}, {"Ti", "Ti_pv"},
      {"Tl", "Tl_d"},  {"Tm", "Tm_3"},  {"V", "V_pv"},   {"W", "W_pv"},   {"Y", "Y_sv"},
      {"Yb", "Yb_2"},  {"Zr", "Zr_sv"}};
  const auto it = table.find(element);
  return it == table.end() ? element : it->second;
}

namespace {

/// The whitespace-separated numbers of `text` (output_text.hpp's number()); nullopt if any word
/// is not one.
std::optional<std::vector<double>> numbers(std::string_view text) {
  std::vector<double> values;
  for (const auto& word : words(std::string(text))) {
    const auto value = number(word);
    if (!value) return std::nullopt;
    values.push_back(*value);
  }
  return values;
}

/// The number right after `marker` in `line`; InputError naming `where` otherwise.
double number_after(std::string_view line, std::string_view marker, const std::string& where) {
  std::string_view rest = line.substr(line.find(marker) + marker.size());
  rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
  const auto values = numbers(rest.substr(0, rest.find_first_of(" \t")));
  if (!values || values->size() != 1)
    throw InputError(where + ": expected a number after '" + std::string(marker) + "' in '" +
                     std::string(line) + "'");
  return values->front();
}

/// Newline-terminated lines of `text` (a last line without '\n' is left out: it may be cut).
std::vector<std::string_view> whole_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::size_t at = 0, end; (end = text.find('\n', at)) != std::string_view::npos; at = end + 1)
    lines.push_back(text.substr(at, end - at));
  return lines;
}

}  // namespace

std::string fatal_message(const std::string& text) {
  static const std::vector<std::string_view> known = {
      "ZBRENT: fatal error", "EDDDAV", "ZHEGV", "EDDRMM", "VERY BAD NEWS", "internal error",
      "I REFUSE TO CONTINUE"};
  for (std::string_view line : whole_lines(text)) {
    for (std::string_view k : known) {
      if (line.find(k) == std::string_view::npos) continue;
      const std::size_t first = line.find_first_not_of(" |");
      const std::size_t last = line.find_last_not_of(" |\r");
      return std::string(line.substr(first, last - first + 1));
    }
  }
  return "";
}

namespace {

/// An iteration or step count of OUTCAR; InputError naming the line for one out of range.
int count_or_throw(const std::string& digits, const std::string& where) {
  const auto n = integer(digits, 0, 100000000);
  if (!n) throw InputError(where + ": count '" + digits + "' out of range");
  return static_cast<int>(*n);
}

}  // namespace

Outcar parse_outcar(const std::string& text, const std::string& source) {
  static const std::regex iteration(R"(Iteration\s+\d+\(\s*(\d+)\))");
  static const std::regex nelm(R"(^\s*NELM\s*=\s*(\d+))");
  Outcar outcar;
  const auto lines = whole_lines(text);
  IonicStep pending;
  bool have_forces = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    const std::string where = source + ":" + std::to_string(i + 1);
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_search(line.begin(), line.end(), m, iteration)) {
      pending.scf_steps = std::max(pending.scf_steps, count_or_throw(m[1].str(), where));
    } else if (std::regex_search(line.begin(), line.end(), m, nelm)) {
      outcar.nelm = count_or_throw(m[1].str(), where);
    } else if (line.find("POSITION") != std::string_view::npos &&
               line.find("TOTAL-FORCE") != std::string_view::npos) {
      // A dashed line, one row per atom (x y z fx fy fz), a dashed line; incomplete if cut.
      pending.positions.clear();
      pending.forces.clear();
      std::size_t k = i + 2;
      for (; k < lines.size() && lines[k].find("---") == std::string_view::npos; ++k) {
        const auto row = numbers(lines[k]);
        if (!row || row->size() != 6)
          throw InputError(source + ":" + std::to_string(k + 1) +
                           ": expected 'x y z fx fy fz' in the TOTAL-FORCE block, found '" +
                           std::string(lines[k]) + "'");
        pending.positions.emplace_back((*row)[0], (*row)[1], (*row)[2]);
        pending.forces.emplace_back((*row)[3], (*row)[4], (*row)[5]);
      }
      have_forces = k < lines.size();
      i = k;
    } else if (line.find("free  energy   TOTEN") != std::string_view::npos) {
      pending.free_energy = number_after(line, "=", where);
    } else if (line.find("energy  without entropy=") != std::string_view::npos) {
      pending.energy = number_after(line, "energy(sigma->0) =", where);
      if (have_forces) outcar.steps.push_back(pending);
      pending = IonicStep{};
      have_forces = false;
    } else if (line.find("FORCES: max atom, RMS") != std::string_view::npos &&
               !outcar.steps.empty()) {
      outcar.steps.back().chain_max_force = number_after(line, "RMS", where);
    } else if (line.find("reached required accuracy") != std::string_view::npos) {
      outcar.reached_accuracy = true;
    } else if (line.find("General timing and accounting") != std::string_view::npos) {
      outcar.finished = true;
    }
  }
  outcar.fatal = fatal_message(text);
  return outcar;
}

}  // namespace vasp

namespace {

constexpr const char* kLog = "vasp.out";
constexpr const char* kEnds = "ionscreen_ends.json";
/// What a run leaves in a folder that a new try must not read as its own.
const std::vector<std::string> kOutputs = {
    "OUTCAR",   "CONTCAR", "vasprun.xml", "OSZICAR", "XDATCAR", "WAVECAR", "CHGCAR", "CHG",
    "EIGENVAL", "DOSCAR",  "IBZKPT",      "PCDAT",   "REPORT",  "PROCAR",  kLog};

std::string num(double value) { return fmt::format("{}", value); }

/// INCAR tags in the order they are set; setting a tag again replaces its value in place.
class Incar {
 public:
  void set(const std::string& tag, const std::string& value) {
    const auto it =
        std::find_if(tags_.begin(), tags_.end(), [&](const auto& t) { return t.first == tag; });
    if (it == tags_.end()) {
      tags_.emplace_back(tag, value);
    } else {
      it->second = value;
    }
  }
  std::string text(const std::string& title) const {
    std::string out = "# " + title + " (written by ionscreen, pipeline/jobs/dft/vasp.cpp)\n";
    for (const auto& [tag, value] : tags_) out += tag + " = " + value + "\n";
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string>> tags_;
};

/// `[dft] extra` split into INCAR tags and the vtst switch; InputError for anything else.
struct Extra {
  std::vector<std::pair<std::string, std::string>> tags;
  bool vtst = false;
};

Extra parse_extra(const DftSettings& settings) {
  static const std::regex tag(R"([A-Z][A-Z0-9_]*)");
  Extra extra;
  for (const auto& [key, value] : settings.extra) {
    const std::string entry = "[dft] extra entry '" + key + "=" + value + "'";
    if (key == "vtst") {
      if (value != "true" && value != "false")
        throw InputError(entry + ": vtst takes true or false");
      extra.vtst = value == "true";
    } else if (!std::regex_match(key, tag)) {
      throw InputError(entry +
                       ": for vasp a key is an upper-case INCAR tag (e.g. ALGO=All) or "
                       "the switch vtst=true|false");
    } else if (value.empty() || value.find_first_of("\n\r#!") != std::string::npos) {
      throw InputError(entry + ": the value must be non-empty, on one line, without # or !");
    } else if (key == "EDIFFG") {
      throw InputError(entry +
                       ": set by [dft] relax_force_tolerance and neb_force_tolerance, which "
                       "convergence is checked against");
    } else {
      extra.tags.emplace_back(key, value);
    }
  }
  return extra;
}

/// POSCAR's species entries: one per run of consecutive equal elements (structures/poscar.hpp).
std::vector<std::string> species_runs(const Crystal& crystal) {
  std::vector<std::string> runs;
  for (const auto& site : crystal.sites)
    if (runs.empty() || runs.back() != site.element) runs.push_back(site.element);
  return runs;
}

fs::path pseudo_dir(const DftSettings& settings) {
  if (!settings.pseudo_dir.empty()) return settings.pseudo_dir;
  const char* root = std::getenv("VASP_PP_PATH");
  if (root == nullptr || *root == '\0')
    throw InputError(
        "[dft] pseudo_dir is not set and $VASP_PP_PATH is unset: set pseudo_dir to the PAW "
        "library (the folder holding <variant>/POTCAR, e.g. .../potpaw_PBE), or export "
        "VASP_PP_PATH=<folder holding potpaw_PBE> as ASE and pymatgen expect");
  return fs::path(root) / "potpaw_PBE";
}

fs::path potcar_path(const DftSettings& settings, const std::string& element) {
  const auto it = settings.pseudopotentials.find(element);
  const std::string variant =
      it != settings.pseudopotentials.end() ? it->second : vasp::default_potcar(element);
  return pseudo_dir(settings) / variant / "POTCAR";
}

std::optional<std::string> read_if_present(const fs::path& file) {
  if (!fs::exists(file)) return std::nullopt;
  return read_text_or_throw(file);
}

/// "2*5 3*0.6" for 5 5 0.6 0.6 0.6.
std::string runs_of(const std::vector<double>& values) {
  std::vector<std::string> words;
  for (std::size_t i = 0; i < values.size();) {
    std::size_t j = i;
    while (j < values.size() && values[j] == values[i]) ++j;
    words.push_back(fmt::format("{}*{}", j - i, num(values[i])));
    i = j;
  }
  return fmt::format("{}", fmt::join(words, " "));
}

bool is_f_element(const std::string& element) {
  static const std::set<std::string> f = {"La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd",
                                          "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Ac",
                                          "Th", "Pa", "U",  "Np", "Pu", "Am", "Cm"};
  return f.contains(element);
}

/// The tags both stages share: physics, spin, U, the SCF.
Incar physics(const Crystal& structure, const DftSettings& settings) {
  Incar incar;
  incar.set("SYSTEM", structure.name.empty() ? structure.formula() : structure.name);
  incar.set("PREC", "Accurate");
  incar.set("ENCUT", num(settings.cutoff > 0.0 ? settings.cutoff : 520.0));
  incar.set("GGA", settings.functional == Functional::pbe ? "PE" : "PS");
  incar.set("EDIFF", num(settings.scf_tolerance));
  incar.set("NELM", std::to_string(settings.max_scf_steps));
  incar.set("ALGO", "Normal");
  incar.set("ISMEAR", "0");
  incar.set("SIGMA", "0.05");
  incar.set("LREAL", structure.sites.size() >= 20 ? "Auto" : ".FALSE.");
  incar.set("LWAVE", ".FALSE.");
  incar.set("LCHARG", ".FALSE.");
  std::vector<std::string> elements;
  for (const auto& site : structure.sites) elements.push_back(site.element);
  if (spin_polarized(settings, elements)) {
    std::vector<double> moments;
    for (const auto& e : elements) moments.push_back(initial_moment(settings, e));
    incar.set("ISPIN", "2");
    incar.set("MAGMOM", runs_of(moments));
  } else {
    incar.set("ISPIN", "1");
  }
  if (!settings.hubbard_u.empty()) {
    std::vector<std::string> l, u, j;
    bool f = false;
    for (const auto& e : species_runs(structure)) {
      const auto it = settings.hubbard_u.find(e);
      f = f || (it != settings.hubbard_u.end() && is_f_element(e));
      l.push_back(it == settings.hubbard_u.end() ? "-1" : is_f_element(e) ? "3" : "2");
      u.push_back(it == settings.hubbard_u.end() ? "0" : num(it->second));
      j.push_back("0");
    }
    incar.set("LDAU", ".TRUE.");
    incar.set("LDAUTYPE", "2");
    incar.set("LDAUL", fmt::format("{}", fmt::join(l, " ")));
    incar.set("LDAUU", fmt::format("{}", fmt::join(u, " ")));
    incar.set("LDAUJ", fmt::format("{}", fmt::join(j, " ")));
    incar.set("LMAXMIX", f ? "6" : "4");
  }
  return incar;
}

/// The last word on a stage's INCAR: `extra` (overriding any tag above), then the SCF aids of
/// the correction level, so that a correction still acts when `extra` set the same tag.
void finish(Incar& incar, const Extra& extra, const DftSettings& settings,
            const Corrections& corrections) {
  for (const auto& [tag, value] : extra.tags) incar.set(tag, value);
  // SCF aids after a non-converged SCF, in the spirit of custodian's VaspErrorHandler
  // ("unconverged electronic" corrections): a more robust algorithm, more steps, gentler mixing.
  if (corrections.scf >= 1) {
    incar.set("ALGO", "All");
    incar.set("NELM", std::to_string(2 * settings.max_scf_steps));
  }
  if (corrections.scf >= 2) {
    incar.set("AMIX", "0.1");
    incar.set("BMIX", "0.01");
    incar.set("AMIX_MAG", "0.4");
    incar.set("BMIX_MAG", "0.01");
  }
  if (corrections.scf >= 3) {
    incar.set("AMIN", "0.01");
    incar.set("NELM", std::to_string(4 * settings.max_scf_steps));
  }
}

/// KPOINTS (Gamma-centred mesh) and POTCAR (one potential per POSCAR species entry) into `dir`.
void write_kpoints_potcar(const fs::path& dir, const Crystal& structure,
                          const DftSettings& settings) {
  const auto mesh = kpoint_mesh(structure.lattice, settings.kspacing);
  write_atomically(dir / "KPOINTS",
                   fmt::format("Gamma-centred mesh for kspacing {} 1/A (ionscreen)\n0\nGamma\n"
                               "{} {} {}\n0 0 0\n",
                               num(settings.kspacing), mesh[0], mesh[1], mesh[2]));
  std::string potcar;
  for (const auto& element : species_runs(structure)) {
    const fs::path file = potcar_path(settings, element);
    if (!fs::exists(file))
      throw InputError("[dft] pseudo_dir: no POTCAR for " + element + " at " + file.string());
    potcar += read_text_or_throw(file);
  }
  write_atomically(dir / "POTCAR", potcar);
}

void remove_outputs(const fs::path& dir) {
  for (const auto& name : kOutputs) fs::remove(dir / name);
}

Command command(const DftSite& site) { return {launch(site, "vasp", site.cores), kLog}; }

/// Largest |F| over the free coordinates of each atom (a fixed coordinate's component is left
/// out; an atom fixed in all three counts 0).
double max_free_force(const vasp::IonicStep& step, const Crystal& input) {
  double largest = 0.0;
  for (std::size_t a = 0; a < step.forces.size(); ++a) {
    Eigen::Vector3d f = step.forces[a];
    for (int c = 0; c < 3; ++c)
      if (input.sites[a].fixed[static_cast<std::size_t>(c)]) f[c] = 0.0;
    largest = std::max(largest, f.norm());
  }
  return largest;
}

Crystal geometry(const vasp::IonicStep& step, const Crystal& input) {
  Crystal out = input;
  for (std::size_t a = 0; a < out.sites.size(); ++a)
    out.sites[a].frac = input.fractional(step.positions[a]);
  return out;
}

/// One run's verdict from its OUTCAR(s) and VASP's standard output.
struct Verdict {
  Problem problem;
  std::string reason;
};

/// For one OUTCAR (`name` in messages) that ran on `input`.
Verdict judge(const vasp::Outcar& outcar, const std::string& name, const Crystal& input) {
  if (!outcar.steps.empty() && outcar.steps.back().positions.size() != input.sites.size())
    return {Problem::crashed,
            fmt::format("{} lists {} atoms, the input has {}", name,
                        outcar.steps.back().positions.size(), input.sites.size())};
  if (!outcar.fatal.empty() && !(outcar.reached_accuracy && outcar.finished))
    return {Problem::crashed, name + ": " + outcar.fatal};
  if (!outcar.steps.empty() && outcar.steps.back().scf_steps >= outcar.nelm)
    return {Problem::scf_not_converged,
            fmt::format("{}: ionic step {} used all NELM = {} electronic steps", name,
                        outcar.steps.size(), outcar.nelm)};
  if (outcar.reached_accuracy && !outcar.steps.empty()) return {Problem::none, ""};
  if (!outcar.finished)
    return {Problem::cut_off,
            fmt::format("{} ends after {} complete ionic steps without VASP's timing footer "
                        "(wall time, killed, or node lost)",
                        name, outcar.steps.size())};
  return {Problem::steps_exhausted,
          fmt::format("{}: NSW = {} ionic steps done without reaching EDIFFG", name,
                      outcar.steps.size())};
}

/// The OUTCAR of `dir` and its verdict; cut_off without one, crashed for a garbled one or a fatal
/// message in VASP's standard output.
std::pair<vasp::Outcar, Verdict> read_run(const fs::path& dir, const fs::path& log,
                                          const Crystal& input) {
  const fs::path file = dir / "OUTCAR";
  const auto text = read_if_present(file);
  if (!text)
    return {{},
            {Problem::cut_off, file.string() + " is missing (the run never started "
                                               "or was killed before writing it)"}};
  try {
    vasp::Outcar outcar = vasp::parse_outcar(*text, file.string());
    if (outcar.fatal.empty())
      if (const auto out = read_if_present(log)) outcar.fatal = vasp::fatal_message(*out);
    const Verdict verdict = judge(outcar, file.string(), input);
    return {std::move(outcar), verdict};
  } catch (const InputError& e) {
    return {{}, {Problem::crashed, std::string("garbled output: ") + e.what()}};
  }
}

class Vasp final : public DftCode {
 public:
  std::string name() const override { return "vasp"; }

  void check(const DftSettings& settings, const std::set<std::string>& elements) const override {
    if (settings.method != Method::dft)
      throw InputError("[dft] method = '" + name_of(settings.method) +
                       "': vasp runs method = dft only");
    parse_extra(settings);
    if (settings.charge != 0 &&
        std::none_of(settings.extra.begin(), settings.extra.end(),
                     [](const auto& entry) { return entry.first == "NELECT"; }))
      throw InputError("[dft] charge = " + std::to_string(settings.charge) +
                       ": vasp takes a charged cell as its electron count: add [dft] extra = "
                       "NELECT=<the POTCARs' ZVAL summed over the atoms, minus the charge>");
    const fs::path dir = pseudo_dir(settings);
    if (!fs::is_directory(dir))
      throw InputError("[dft] pseudo_dir = '" + dir.string() +
                       "' is not a folder: it must hold the PAW library, <variant>/POTCAR "
                       "(settings.pseudo_dir, or $VASP_PP_PATH/potpaw_PBE when unset)");
    std::vector<std::string> missing;
    for (const auto& element : elements) {
      const fs::path file = potcar_path(settings, element);
      if (!fs::is_regular_file(file)) missing.push_back(element + " (" + file.string() + ")");
    }
    if (!missing.empty())
      throw InputError(
          fmt::format("[dft] pseudo_dir = '{}': no POTCAR for {}; name another "
                      "variant with [dft] pseudopotentials (e.g. Li:Li)",
                      dir.string(), fmt::join(missing, ", ")));
  }

  Command write_relax(const fs::path& dir, const Crystal& structure, const DftSettings& settings,
                      const DftSite& site, const Corrections& corrections) const override {
    remove_outputs(dir);
    Incar incar = physics(structure, settings);
    incar.set("IBRION", "2");
    incar.set("ISIF", "2");
    incar.set("NSW", std::to_string(settings.max_relax_steps));
    incar.set("EDIFFG", num(-settings.relax_force_tolerance));
    finish(incar, parse_extra(settings), settings, corrections);
    write_atomically(dir / "INCAR", incar.text("relaxation, fixed cell"));
    write_atomically(dir / "POSCAR", structures::write_poscar(structure));
    write_kpoints_potcar(dir, structure, settings);
    return command(site);
  }

  RelaxResult read_relax(const fs::path& dir, const Crystal& input) const override {
    const auto [outcar, verdict] = read_run(dir, dir / kLog, input);
    RelaxResult result;
    result.problem = verdict.problem;
    result.reason = verdict.reason;
    result.steps = static_cast<int>(outcar.steps.size());
    if (!outcar.steps.empty() && outcar.steps.back().positions.size() == input.sites.size()) {
      const auto& last = outcar.steps.back();
      result.energy = last.energy;
      result.max_force = max_free_force(last, input);
      result.last = geometry(last, input);
    }
    return result;
  }

  Command write_neb(const fs::path& dir, const std::vector<Crystal>& band,
                    const std::pair<double, double>& end_energies, const DftSettings& settings,
                    const DftSite& site, const Corrections& corrections) const override {
    const int images = static_cast<int>(band.size()) - 2;
    if (images < 1 || images > 98)
      throw InputError(
          fmt::format("[dft] images = {}: vasp takes 1 to 98 (folders 00..99)", images));
    if (site.cores % images != 0)
      throw InputError(fmt::format(
          "site profile {}: cores = {} is not a multiple of [dft] images = {}; VASP runs the "
          "images on equal groups of processes, so set cores to a multiple of {}",
          settings.site.string(), site.cores, images, images));
    remove_outputs(dir);
    for (int k = 0; k < images + 2; ++k) {
      const fs::path folder = dir / fmt::format("{:02d}", k);
      fs::remove_all(folder);
      fs::create_directories(folder);
      write_atomically(folder / "POSCAR",
                       structures::write_poscar(band[static_cast<std::size_t>(k)]));
    }
    const Extra extra = parse_extra(settings);
    Incar incar = physics(band.front(), settings);
    incar.set("IMAGES", std::to_string(images));
    incar.set("SPRING", num(-settings.spring));
    incar.set("LCLIMB", settings.climbing ? ".TRUE." : ".FALSE.");
    if (extra.vtst) {
      incar.set("IBRION", "3");
      incar.set("POTIM", "0");
      incar.set("IOPT", "3");
    } else {
      incar.set("IBRION", "1");
      incar.set("POTIM", "0.5");
    }
    incar.set("ISIF", "2");
    incar.set("NSW", std::to_string(settings.max_neb_steps));
    incar.set("EDIFFG", num(-settings.neb_force_tolerance));
    finish(incar, extra, settings, corrections);
    write_atomically(dir / "INCAR", incar.text(fmt::format("CI-NEB, {} images", images)));
    write_kpoints_potcar(dir, band.front(), settings);
    write_atomically(
        dir / kEnds,
        nlohmann::json{{"start", end_energies.first}, {"end", end_energies.second}}.dump() + "\n");
    return command(site);
  }

  NebResult read_neb(const fs::path& dir, const std::vector<Crystal>& band,
                     const DftSettings& /*settings*/) const override {
    NebResult result;
    const auto ends = read_json(dir / kEnds);
    std::vector<vasp::Outcar> outcars;
    Verdict worst{Problem::none, ""};
    for (std::size_t k = 1; k + 1 < band.size(); ++k) {
      auto [outcar, verdict] = read_run(dir / fmt::format("{:02d}", k), dir / kLog, band[k]);
      if (rank(verdict.problem) > rank(worst.problem)) worst = verdict;
      outcars.push_back(std::move(outcar));
    }
    result.problem = worst.problem;
    result.reason = worst.reason;
    // A band step is complete when every image has written it.
    std::size_t steps = outcars.front().steps.size();
    for (std::size_t i = 0; i < outcars.size(); ++i) {
      steps = std::min(steps, outcars[i].steps.size());
      if (steps > 0 && outcars[i].steps[steps - 1].positions.size() != band[i + 1].sites.size())
        steps = 0;  // judged crashed above
    }
    result.steps = static_cast<int>(steps);
    if (steps == 0) return result;
    result.energies.push_back(ends.at("start").get<double>());
    result.band.push_back(band.front());
    for (std::size_t i = 0; i < outcars.size(); ++i) {
      const auto& step = outcars[i].steps[steps - 1];
      result.energies.push_back(step.energy);
      result.max_forces.push_back(step.chain_max_force >= 0.0 ? step.chain_max_force
                                                              : max_free_force(step, band[i + 1]));
      result.band.push_back(geometry(step, band[i + 1]));
    }
    result.energies.push_back(ends.at("end").get<double>());
    result.band.push_back(band.back());
    return result;
  }

  std::vector<std::string> scratch() const override { return {"WAVECAR", "CHGCAR", "CHG"}; }

 private:
  /// Which image's problem names the band's: the one the corrections must act on first.
  static int rank(Problem problem) {
    switch (problem) {
      case Problem::none:
        return 0;
      case Problem::steps_exhausted:
        return 1;
      case Problem::cut_off:
        return 2;
      case Problem::scf_not_converged:
        return 3;
      case Problem::crashed:
        return 4;
      case Problem::bad_input:
        return 5;
    }
    return 5;
  }
};

}  // namespace

std::unique_ptr<DftCode> make_vasp() { return std::make_unique<Vasp>(); }

}  // namespace ionscreen::pipeline::dft
