// CP2K as a DftCode (see cp2k.hpp and docs/dft_cp2k.md): input files built as a small section
// tree (so `extra` paths can replace or add keywords), outputs read line by line.
//
// Units: ionscreen speaks eV and Å; CP2K's keywords here take Hartree, Bohr and Rydberg, its
// positions and cells are written in Å (CP2K's default unit for them), and it reports energies in
// Hartree, gradients in Hartree/Bohr and trajectories in Å. Every conversion goes through the
// CODATA 2018 constants below, named once.
#include "pipeline/jobs/dft/cp2k.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "pipeline/base/error.hpp"
#include "pipeline/base/text_file.hpp"
#include "pipeline/jobs/dft/output_text.hpp"
#include "structures/periodic_table.hpp"

namespace ionscreen::pipeline::dft {
namespace fs = std::filesystem;
using structures::Crystal;

namespace {

constexpr double kForceAu = kHartreeEv / kBohrAngstrom;  // eV/Å per Hartree/Bohr
constexpr double kSpringAu = kForceAu / kBohrAngstrom;   // eV/Å² per Hartree/Bohr²

constexpr double kDefaultCutoffRy = 400.0;
const char* const kDefaultBases[] = {"DZVP-MOLOPT-SR-GTH", "DZVP-MOLOPT-GTH"};
const char* const kBasisFile = "BASIS_MOLOPT";
const char* const kPotentialFile = "GTH_POTENTIALS";
const char* const kRelax = "relax";  // project names: every file of a stage starts with them
const char* const kNeb = "neb";

// ---------------------------------------------------------------------------------------------
// Text

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string num(double v) { return fmt::format("{:.10g}", v); }

/// Appends `item` to a `separator`-separated list.
void append(std::string& list, const char* separator, const std::string& item) {
  if (!list.empty()) list += separator;
  list += item;
}

// ---------------------------------------------------------------------------------------------
// The input as a section tree

struct Section {
  std::string name;       ///< upper case, "KIND"
  std::string parameter;  ///< "Li" in "&KIND Li"
  std::vector<std::pair<std::string, std::string>> keywords;
  std::vector<std::string> data;  ///< raw lines (coordinates)
  std::vector<Section> sections;

  Section& add(const std::string& child, const std::string& param = "") {
    sections.push_back({child, param, {}, {}, {}});
    return sections.back();
  }
  Section& set(const std::string& key, const std::string& value) {
    for (auto& [k, v] : keywords)
      if (k == key) return v = value, *this;
    keywords.emplace_back(key, value);
    return *this;
  }
  void write(std::ostream& out, int depth) const {
    const std::string pad(2 * depth, ' ');
    out << pad << '&' << name << (parameter.empty() ? "" : std::string(" ") + parameter) << '\n';
    for (const auto& [k, v] : keywords) out << pad << "  " << k << ' ' << v << '\n';
    for (const auto& line : data) out << pad << "  " << line << '\n';
    for (const auto& s : sections) s.write(out, depth + 1);
    out << pad << "&END " << name << '\n';
  }
};

/// `extra` key split into upper-case names; InputError for a malformed path.
std::vector<std::string> extra_path(const std::string& key, const std::string& value) {
  const std::string what = std::string("[dft] extra: '") + key + "=" + value + "': ";
  const std::string accepted =
      "; accepted: SECTION/SUB/KEYWORD=value below GLOBAL, MOTION or FORCE_EVAL, names of "
      "letters, digits, '_' or '-', e.g. FORCE_EVAL/DFT/SCF/MAX_SCF=200";
  std::vector<std::string> parts;
  std::istringstream in(key);
  for (std::string part; std::getline(in, part, '/');) parts.push_back(upper(part));
  if (!key.empty() && key.back() == '/') parts.emplace_back();
  if (parts.size() < 2) throw InputError(what + "not a SECTION/KEYWORD path" + accepted);
  for (const auto& p : parts)
    if (p.empty() || !std::all_of(p.begin(), p.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        }))
      throw InputError(what + "bad name '" + p + "'" + accepted);
  if (parts[0] != "GLOBAL" && parts[0] != "MOTION" && parts[0] != "FORCE_EVAL")
    throw InputError(what + "'" + parts[0] + "' is not a top-level section" + accepted);
  if (value.empty() || value.find_first_of("\n\r") != std::string::npos)
    throw InputError(what + "the value must be one non-empty line" + accepted);
  if (parts == std::vector<std::string>{"MOTION", "GEO_OPT", "MAX_FORCE"})
    throw InputError(what +
                     "set by [dft] relax_force_tolerance, which convergence is checked against");
  return parts;
}

/// Applies `extra` to the top-level sections.
void apply_extra(std::vector<Section>& top, const DftSettings& settings) {
  for (const auto& [key, value] : settings.extra) {
    const auto parts = extra_path(key, value);
    std::vector<Section>* level = &top;
    Section* section = nullptr;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      const auto count = std::count_if(level->begin(), level->end(),
                                       [&](const Section& s) { return s.name == parts[i]; });
      if (count > 1)
        throw InputError(std::string("[dft] extra: '") + key + "': section " + parts[i] +
                         " occurs more than once in the input; set it through its own [dft] key");
      auto it = std::find_if(level->begin(), level->end(),
                             [&](const Section& s) { return s.name == parts[i]; });
      if (it == level->end()) {
        level->push_back({parts[i], "", {}, {}, {}});
        it = level->end() - 1;
      }
      section = &*it;
      level = &section->sections;
    }
    section->set(parts.back(), value);
  }
}

std::string render(std::vector<Section> top, const DftSettings& settings) {
  apply_extra(top, settings);
  std::ostringstream out;
  out << "! Written by ionscreen (pipeline/jobs/dft/cp2k.cpp); docs/dft_cp2k.md explains each "
         "part.\n";
  for (const auto& s : top) s.write(out, 0);
  return out.str();
}

// ---------------------------------------------------------------------------------------------
// Data files: "Li DZVP-MOLOPT-SR-GTH DZVP-MOLOPT-SR-GTH-q3" header lines name an element's entries.

fs::path data_dir(const DftSettings& settings) {
  return settings.pseudo_dir.empty() ? fs::path("/usr/share/cp2k") : settings.pseudo_dir;
}

/// Every name on the header lines of `element` in a CP2K basis or potential file.
std::vector<std::string> entry_names(const std::string& text, const std::string& element) {
  std::vector<std::string> names;
  for (const auto& line : split_lines(text)) {
    const auto w = words(line);
    if (w.size() < 2 || w[0] != element) continue;
    names.insert(names.end(), w.begin() + 1, w.end());
  }
  return names;
}

bool has(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

/// The data files read once for a set of elements.
struct DataFiles {
  fs::path basis_file, potential_file;
  std::string basis_text, potential_text;

  explicit DataFiles(const DftSettings& settings)
      : basis_file(data_dir(settings) / kBasisFile),
        potential_file(data_dir(settings) / kPotentialFile) {
    for (const auto& [file, text] :
         {std::pair{&basis_file, &basis_text}, std::pair{&potential_file, &potential_text}}) {
      auto content = read_text(*file);
      if (!content)
        throw InputError(std::string("[dft] pseudo_dir: cannot read ") + file->string() +
                         " (a CP2K data folder such as /usr/share/cp2k is accepted)");
      *text = std::move(*content);
    }
  }

  /// settings.basis[element], else the first default basis with an entry ("" if none).
  std::string basis(const DftSettings& settings, const std::string& element) const {
    if (auto it = settings.basis.find(element); it != settings.basis.end()) return it->second;
    const auto names = entry_names(basis_text, element);
    for (const char* name : kDefaultBases)
      if (has(names, name)) return name;
    return "";
  }
  /// settings.pseudopotentials[element], else GTH-PBE-q<n> with the valence count of the basis
  /// (its "-q<n>" alias), else the element's first GTH-PBE-q entry ("" if none).
  std::string potential(const DftSettings& settings, const std::string& element,
                        const std::string& basis_name) const {
    if (auto it = settings.pseudopotentials.find(element); it != settings.pseudopotentials.end())
      return it->second;
    const auto names = entry_names(potential_text, element);
    for (const auto& alias : entry_names(basis_text, element)) {
      const auto q = alias.rfind("-q");
      if (alias.compare(0, basis_name.size() + 2, basis_name + "-q") == 0 &&
          has(names, std::string("GTH-PBE") + alias.substr(q)))
        return std::string("GTH-PBE") + alias.substr(q);
    }
    for (const auto& name : names)
      if (name.rfind("GTH-PBE-q", 0) == 0) return name;
    return "";
  }
};

// ---------------------------------------------------------------------------------------------
// Writing

std::vector<std::string> elements_in_order(const Crystal& c) {
  std::vector<std::string> out;
  for (const auto& s : c.sites)
    if (!has(out, s.element)) out.push_back(s.element);
  return out;
}

/// The total charge: [dft] charge, unless extra FORCE_EVAL/DFT/CHARGE sets it.
int charge(const DftSettings& settings) {
  int q = settings.charge;
  for (const auto& [key, value] : settings.extra)
    if (upper(key) == "FORCE_EVAL/DFT/CHARGE") {
      const auto v = number(value);
      if (!v || *v != std::round(*v))
        throw InputError(std::string("[dft] extra: FORCE_EVAL/DFT/CHARGE=") + value +
                         ": an integer charge is accepted");
      q = static_cast<int>(*v);
    }
  return q;
}

/// CP2K's angular momentum of the +U shell: d for the d block, f for the f block, else none.
std::optional<int> plus_u_shell(const std::string& element) {
  const int z = structures::atomic_number(element);
  if ((z >= 21 && z <= 30) || (z >= 39 && z <= 48) || (z >= 72 && z <= 80)) return 2;
  if ((z >= 57 && z <= 71) || (z >= 89 && z <= 103)) return 3;
  return std::nullopt;
}

void add_cell(Section& subsys, const Eigen::Matrix3d& lattice) {
  Section& cell = subsys.add("CELL");
  for (int i = 0; i < 3; ++i)
    cell.set(std::string(1, static_cast<char>('A' + i)),
             fmt::format("{:.10f} {:.10f} {:.10f}", lattice(i, 0), lattice(i, 1), lattice(i, 2)));
  cell.set("PERIODIC", "XYZ");
}

std::string xyz_line(const Crystal& c, std::size_t i) {
  const Eigen::Vector3d r = c.cartesian(c.sites[i].frac);
  return fmt::format("{:.10f} {:.10f} {:.10f}", r.x(), r.y(), r.z());
}

Section scf_section(const DftSettings& settings, const Corrections& corrections) {
  static const double alpha_scale[] = {1.0, 0.5, 0.5, 0.25};
  static const int steps_scale[] = {1, 2, 2, 4};
  const int level = std::clamp(corrections.scf, 0, 3);
  const bool xtb = settings.method == Method::xtb;
  Section scf{"SCF", "", {}, {}, {}};
  scf.set("EPS_SCF", num(settings.scf_tolerance / kHartreeEv));
  scf.set("MAX_SCF", std::to_string(settings.max_scf_steps * steps_scale[level]));
  scf.set("SCF_GUESS", "ATOMIC");
  if (level >= 2) scf.set("ADDED_MOS", "-1");
  if (!xtb) scf.add("DIAGONALIZATION").set("ALGORITHM", "STANDARD");
  scf.add("MIXING")
      .set("METHOD", xtb ? "DIRECT_P_MIXING" : "BROYDEN_MIXING")
      .set("ALPHA", num((xtb ? 0.3 : 0.4) * alpha_scale[level]));
  if (level >= 2)
    scf.add("SMEAR")
        .set("METHOD", "FERMI_DIRAC")
        .set("ELECTRONIC_TEMPERATURE", level == 2 ? "300" : "1000");
  return scf;
}

/// FORCE_EVAL for `structure` (the band's first image for a NEB).
Section force_eval(const Crystal& structure, const DftSettings& settings,
                   const Corrections& corrections) {
  const auto elements = elements_in_order(structure);
  Section fe{"FORCE_EVAL", "", {{"METHOD", "QUICKSTEP"}}, {}, {}};
  Section& dft = fe.add("DFT");
  if (settings.charge != 0) dft.set("CHARGE", std::to_string(settings.charge));
  const bool xtb = settings.method == Method::xtb;
  std::optional<DataFiles> files;
  if (xtb) {
    dft.add("QS")
        .set("METHOD", "XTB")
        .add("XTB")
        .set("DO_EWALD", "T")
        .set("CHECK_ATOMIC_CHARGES", "F");
  } else {
    files.emplace(settings);
    dft.set("BASIS_SET_FILE_NAME", files->basis_file.string());
    dft.set("POTENTIAL_FILE_NAME", files->potential_file.string());
    dft.add("MGRID").set(
        "CUTOFF", num(settings.cutoff > 0 ? settings.cutoff / kRydbergEv : kDefaultCutoffRy));
    dft.add("QS").set("METHOD", "GPW");
    dft.add("XC")
        .add("XC_FUNCTIONAL")
        .add("PBE")
        .set("PARAMETRIZATION", settings.functional == Functional::pbesol ? "PBESOL" : "ORIG");
  }
  // Spin: UKS when asked for, and for an odd electron count (CP2K's restricted SCF cannot hold
  // one). Core shells are closed, so the parity of the valence electrons is that of sum Z - q.
  const bool spin = spin_polarized(settings, elements);
  long electrons = -charge(settings);
  for (const auto& site : structure.sites) electrons += structures::atomic_number(site.element);
  if (spin || electrons % 2 != 0) {
    double moment = 0.0;
    if (spin)
      for (const auto& site : structure.sites) moment += initial_moment(settings, site.element);
    long unpaired = std::lround(std::abs(moment));
    if ((unpaired - electrons) % 2 != 0) ++unpaired;
    dft.set("UKS", "T").set("MULTIPLICITY", std::to_string(unpaired + 1));
  }
  dft.sections.push_back(scf_section(settings, corrections));
  const auto mesh = kpoint_mesh(structure.lattice, settings.kspacing);
  if (mesh != std::array<int, 3>{1, 1, 1})
    dft.add("KPOINTS").set("SCHEME",
                           fmt::format("MONKHORST-PACK {} {} {}", mesh[0], mesh[1], mesh[2]));

  Section& subsys = fe.add("SUBSYS");
  add_cell(subsys, structure.lattice);
  Section& coord = subsys.add("COORD");
  for (std::size_t i = 0; i < structure.sites.size(); ++i)
    coord.data.push_back(structure.sites[i].element + " " + xyz_line(structure, i));
  for (const auto& element : elements) {
    Section kind{"KIND", element, {}, {}, {}};
    if (!xtb) {
      const std::string basis = files->basis(settings, element);
      kind.set("BASIS_SET", basis).set("POTENTIAL", files->potential(settings, element, basis));
    }
    if (spin) kind.set("MAGNETIZATION", num(initial_moment(settings, element)));
    if (auto u = settings.hubbard_u.find(element); u != settings.hubbard_u.end() && !xtb) {
      const auto shell = plus_u_shell(element);
      if (!shell)
        throw InputError(
            "[dft] hubbard_u: " + element +
            " is not a d- or f-block element (accepted: elements with a d or f shell)");
      kind.add("DFT_PLUS_U")
          .set("L", std::to_string(*shell))
          .set("U_MINUS_J", std::string("[eV] ") + num(u->second));
    }
    if (!kind.keywords.empty() || !kind.sections.empty()) subsys.sections.push_back(kind);
  }
  return fe;
}

/// &CONSTRAINT with one &FIXED_ATOMS per pattern of held coordinates (1-based atom lists).
std::optional<Section> constraints(const Crystal& structure) {
  std::map<std::string, std::vector<std::size_t>> by_components;
  for (std::size_t i = 0; i < structure.sites.size(); ++i) {
    std::string components;
    for (int k = 0; k < 3; ++k)
      if (structure.sites[i].fixed[k]) components += static_cast<char>('X' + k);
    if (!components.empty()) by_components[components].push_back(i + 1);
  }
  if (by_components.empty()) return std::nullopt;
  Section constraint{"CONSTRAINT", "", {}, {}, {}};
  for (const auto& [components, atoms] : by_components) {
    std::string list;
    for (auto a : atoms) append(list, " ", std::to_string(a));
    constraint.add("FIXED_ATOMS").set("COMPONENTS_TO_FIX", components).set("LIST", list);
  }
  return constraint;
}

Section global(const char* project, const char* run_type) {
  return {
      "GLOBAL", "", {{"PROJECT", project}, {"RUN_TYPE", run_type}, {"PRINT_LEVEL", "LOW"}}, {}, {}};
}

/// Removes the files of an earlier try of `project` (CP2K appends to an existing output file and
/// would restart from stale files).
void remove_old_outputs(const fs::path& dir, const std::string& project) {
  std::vector<fs::path> old;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(project + "-", 0) == 0 || name.rfind(project + ".", 0) == 0)
      old.push_back(entry.path());
  }
  for (const auto& p : old) fs::remove_all(p);
}

Command write_input(const fs::path& dir, const std::string& project, const std::string& text,
                    const DftSite& site) {
  remove_old_outputs(dir, project);
  const fs::path input = dir / (project + ".inp");
  std::ofstream out(input, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw std::runtime_error(input.string() + ": cannot write the CP2K input");
  Command command{launch(site, "cp2k", site.cores), project + ".log"};
  for (const std::string& word :
       {std::string("-i"), project + ".inp", std::string("-o"), project + ".out"})
    command.argv.push_back(word);
  return command;
}

/// MOTION/BAND/OPTIMIZE_BAND/DIIS/MAX_STEPS as written (extra may override max_neb_steps).
int band_max_steps(const DftSettings& settings) {
  int steps = settings.max_neb_steps;
  for (const auto& [key, value] : settings.extra)
    if (upper(key) == "MOTION/BAND/OPTIMIZE_BAND/DIIS/MAX_STEPS")
      if (auto v = integer(value, 1, 1000000)) steps = static_cast<int>(*v);
  return steps;
}

// ---------------------------------------------------------------------------------------------
// Reading

/// CP2K's ABORT banner: the message inside the box and the source location, "" if none.
std::string abort_message(const std::vector<std::string>& lines) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!contains(lines[i], "[ABORT]")) continue;
    std::string message;
    for (std::size_t j = i + 1; j < lines.size() && j < i + 30; ++j) {
      std::string body = lines[j];
      if (contains(body, "*******")) break;
      const auto first = body.find('*');
      const auto last = body.rfind('*');
      if (first == std::string::npos || last <= first) break;
      body = body.substr(first + 1, last - first - 1);
      // the banner's figure fills the first columns: "  \___/ ", "    |   ", "  O/|   ", " / \  "
      const auto art = std::min<std::size_t>(body.size(), 8);
      if (body.find_first_not_of(" \\_/|O", 0) >= art) body.erase(0, art);
      const auto b = body.find_first_not_of(' ');
      if (b == std::string::npos) continue;
      body = body.substr(b, body.find_last_not_of(' ') - b + 1);
      append(message, " ", body);
    }
    return message.empty() ? "CP2K aborted" : message;
  }
  return "";
}

/// Whether the last SCF loop in a CP2K output converged (nullopt: no SCF finished).
std::optional<bool> last_scf_converged(const std::vector<std::string>& lines) {
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (contains(*it, "SCF run NOT converged")) return false;
    if (contains(*it, "SCF run converged")) return true;
  }
  return std::nullopt;
}

bool ended_normally(const std::vector<std::string>& lines) {
  return std::any_of(lines.begin(), lines.end(),
                     [](const std::string& l) { return contains(l, "PROGRAM ENDED AT"); });
}

/// The verdict common to both stages: the output is missing, ends early or shows CP2K's ABORT.
/// An ABORT before the first SCF step is CP2K refusing its input.
std::optional<std::pair<Problem, std::string>> output_problem(
    const std::optional<std::string>& text, const fs::path& file) {
  if (!text) return std::pair{Problem::cut_off, file.filename().string() + " is missing"};
  const auto lines = split_lines(*text);
  if (auto message = abort_message(lines); !message.empty()) {
    const bool started = contains(*text, "SCF WAVEFUNCTION OPTIMIZATION");
    return std::pair{started ? Problem::crashed : Problem::bad_input,
                     std::string("CP2K: ") + message};
  }
  if (!ended_normally(lines))
    return std::pair{Problem::cut_off, file.filename().string() + " ends before CP2K's end"};
  return std::nullopt;
}

struct Frame {
  std::optional<long> step;      ///< "i = <n>" of the comment line
  std::optional<double> energy;  ///< "E = <Hartree>" of the comment line
  std::vector<std::string> elements;
  std::vector<Eigen::Vector3d> positions;  ///< Å
};

/// Complete frames of a CP2K XYZ trajectory (a truncated last frame is dropped).
std::vector<Frame> read_frames(const fs::path& file) {
  std::vector<Frame> frames;
  const auto text = read_text(file);
  if (!text) return frames;
  const auto lines = split_lines(*text);
  for (std::size_t i = 0; i < lines.size();) {
    const auto head = words(lines[i]);
    // An atom count, and a step, cast only once they are whole numbers in range (review
    // finding D14: 1e26 atoms was undefined behaviour).
    const auto n = head.size() == 1 ? integer(head[0], 1, 10000000) : std::nullopt;
    if (!n || i + 2 + static_cast<std::size_t>(*n) > lines.size()) break;
    Frame frame;
    const auto comment = words(lines[i + 1]);  // "i =        1, E =      -92.62"
    if (comment.size() >= 3 && comment[0] == "i") {
      std::string step = comment[2];
      if (!step.empty() && step.back() == ',') step.pop_back();
      if (auto v = integer(step, 0, 1000000000)) frame.step = static_cast<long>(*v);
      if (comment.size() >= 6 && comment[3] == "E" && comment[4] == "=")
        frame.energy = number(comment[5]);
    }
    bool complete = true;
    for (std::size_t k = 0; k < static_cast<std::size_t>(*n); ++k) {
      const auto w = words(lines[i + 2 + k]);
      std::optional<double> x, y, z;
      if (w.size() == 4) x = number(w[1]), y = number(w[2]), z = number(w[3]);
      if (!x || !y || !z) {
        complete = false;
        break;
      }
      frame.elements.push_back(w[0]);
      frame.positions.emplace_back(*x, *y, *z);
    }
    if (!complete) break;
    frames.push_back(std::move(frame));
    i += 2 + static_cast<std::size_t>(*n);
  }
  return frames;
}

/// `input` with the frame's positions; nullopt if the atoms do not match the input's.
std::optional<Crystal> with_frame(const Crystal& input, const Frame& frame) {
  if (frame.elements.size() != input.sites.size()) return std::nullopt;
  Crystal out = input;
  for (std::size_t i = 0; i < out.sites.size(); ++i) {
    if (frame.elements[i] != input.sites[i].element) return std::nullopt;
    out.sites[i].frac = input.fractional(frame.positions[i]);
  }
  return out;
}

/// The numbers after the last ':' or '=' of the last line containing `tag`.
std::vector<double> values_of_last(const std::vector<std::string>& lines, const char* tag) {
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (!contains(*it, tag)) continue;
    std::vector<double> values;
    for (const auto& w : words(it->substr(it->find_last_of(":=") + 1)))
      if (auto v = number(w)) values.push_back(*v);
    return values;
  }
  return {};
}

long count_lines(const std::vector<std::string>& lines, const char* tag) {
  return std::count_if(lines.begin(), lines.end(),
                       [&](const std::string& l) { return contains(l, tag); });
}

/// Whether CP2K printed `text` as a banner line ("***   GEOMETRY OPTIMIZATION COMPLETED   ***"),
/// not merely somewhere in a line.
bool has_banner(const std::vector<std::string>& lines, const char* text) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
    const auto w = words(l);
    return w.size() >= 3 && w.front() == "***" && w.back() == "***" && contains(l, text);
  });
}

/// Replica k's trajectory: "<project>-pos-Replica_nr_<k>-1.xyz", k zero-padded or not.
fs::path replica_trajectory(const fs::path& dir, std::size_t k) {
  const std::string prefix = std::string(kNeb) + "-pos-Replica_nr_";
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.size() < prefix.size() + 7) continue;
    const std::string index = name.substr(prefix.size(), name.size() - prefix.size() - 6);
    if (name.substr(name.size() - 6) == "-1.xyz" && number(index) == static_cast<double>(k))
      return entry.path();
  }
  return dir / (prefix + std::to_string(k) + "-1.xyz");
}

/// Replica k's own output "<project>-BAND<k>.out" (same padding rule).
fs::path replica_output(const fs::path& dir, std::size_t k) {
  const std::string prefix = std::string(kNeb) + "-BAND";
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name.size() > prefix.size() + 4 &&
        name.substr(name.size() - 4) == ".out" &&
        number(name.substr(prefix.size(), name.size() - prefix.size() - 4)) ==
            static_cast<double>(k))
      return entry.path();
  }
  return dir / (prefix + std::to_string(k) + ".out");
}

// ---------------------------------------------------------------------------------------------

class Cp2k final : public DftCode {
 public:
  std::string name() const override { return "cp2k"; }

  void check(const DftSettings& settings, const std::set<std::string>& elements) const override {
    for (const auto& [key, value] : settings.extra) (void)extra_path(key, value);
    (void)charge(settings);
    if (settings.method == Method::xtb) {
      if (!settings.hubbard_u.empty())
        throw InputError("[dft] hubbard_u: cp2k's xtb takes no +U; accepted: method = dft");
      return;
    }
    if (!fs::is_directory(data_dir(settings)))
      throw InputError(std::string("[dft] pseudo_dir = ") + data_dir(settings).string() +
                       ": not a folder (a CP2K data folder such as /usr/share/cp2k is accepted)");
    const DataFiles files(settings);
    std::vector<std::string> no_basis, no_potential, no_u_shell;
    for (const auto& element : elements) {
      const std::string basis = files.basis(settings, element);
      const std::string potential = files.potential(settings, element, basis);
      if (basis.empty() || !has(entry_names(files.basis_text, element), basis))
        no_basis.push_back(basis.empty() ? element : element + ":" + basis);
      if (potential.empty() || !has(entry_names(files.potential_text, element), potential))
        no_potential.push_back(potential.empty() ? element : element + ":" + potential);
      if (settings.hubbard_u.count(element) && !plus_u_shell(element))
        no_u_shell.push_back(element);
    }
    std::string message;
    const auto list = [](const std::vector<std::string>& items) {
      std::string text;
      for (const auto& item : items) append(text, ", ", item);
      return text;
    };
    if (!no_basis.empty())
      message += std::string("[dft] basis: no basis set in ") + files.basis_file.string() +
                 " for " + list(no_basis) + " (default " + kDefaultBases[0] + " or " +
                 kDefaultBases[1] + "; name one per element, e.g. basis = Li:DZVP-MOLOPT-SR-GTH). ";
    if (!no_potential.empty())
      message += std::string("[dft] pseudopotentials: no potential in ") +
                 files.potential_file.string() + " for " + list(no_potential) +
                 " (default GTH-PBE-q<n>; name one per element, e.g. "
                 "pseudopotentials = Li:GTH-PBE-q3). ";
    if (!no_u_shell.empty())
      message += std::string("[dft] hubbard_u: ") + list(no_u_shell) +
                 " not d- or f-block elements (accepted: elements with a d or f shell). ";
    if (!message.empty()) throw InputError(message.substr(0, message.size() - 1));
  }

  Command write_relax(const fs::path& dir, const Crystal& structure, const DftSettings& settings,
                      const DftSite& site, const Corrections& corrections) const override {
    std::vector<Section> top{global(kRelax, "GEO_OPT"), {"MOTION", "", {}, {}, {}}};
    Section& opt = top[1].add("GEO_OPT");
    opt.set("MAX_ITER", std::to_string(settings.max_relax_steps));
    opt.set("MAX_FORCE", num(settings.relax_force_tolerance / kForceAu));
    opt.set("RMS_FORCE", num(settings.relax_force_tolerance / kForceAu));
    if (auto c = constraints(structure)) top[1].sections.push_back(*c);
    top.push_back(force_eval(structure, settings, corrections));
    return write_input(dir, kRelax, render(top, settings), site);
  }

  RelaxResult read_relax(const fs::path& dir, const Crystal& input) const override {
    RelaxResult result;
    const fs::path out = dir / (std::string(kRelax) + ".out");
    const auto text = read_text(out);
    const auto lines = text ? split_lines(*text) : std::vector<std::string>{};
    if (auto step = values_of_last(lines, "Informations at step"); step.size() == 1)
      result.steps = static_cast<int>(step[0]);  // step 0 is the starting geometry
    if (auto g = values_of_last(lines, "Max. gradient  "); g.size() == 1)
      result.max_force = g[0] * kForceAu;
    const auto frames = read_frames(dir / (std::string(kRelax) + "-pos-1.xyz"));
    if (!frames.empty()) {
      result.last = with_frame(input, frames.back());
      if (!result.last) {
        result.problem = Problem::crashed;
        result.reason = "the atoms of relax-pos-1.xyz differ from the input's";
        return result;
      }
    }
    if (auto e = values_of_last(lines, "ENERGY| Total FORCE_EVAL"); e.size() == 1)
      result.energy = e[0] * kHartreeEv;
    if (auto problem = output_problem(text, out)) {
      std::tie(result.problem, result.reason) = *problem;
    } else if (last_scf_converged(lines) == false) {
      result.problem = Problem::scf_not_converged;
      result.reason = "the last SCF run did not converge";
    } else if (has_banner(lines, "GEOMETRY OPTIMIZATION COMPLETED")) {
      result.problem = Problem::none;
    } else if (count_lines(lines, "MAXIMUM NUMBER OF OPTIMIZATION STEPS REACHED") > 0) {
      result.problem = Problem::steps_exhausted;
      result.reason = fmt::format("GEO_OPT stopped at MAX_ITER = {}", result.steps);
    } else {
      result.problem = Problem::crashed;
      result.reason = "CP2K ended without finishing the geometry optimisation";
    }
    if (result.problem == Problem::none && (!result.last || !std::isfinite(result.energy))) {
      result.problem = Problem::crashed;
      result.reason = "no final energy or geometry in relax.out / relax-pos-1.xyz";
    }
    // The geometry comes from the trajectory, the energy and force from relax.out: a converged
    // verdict needs both files to end at the same step (review finding D10: a relax.out that lost
    // its middle gave step 1's numbers with step 17's geometry). After the last step CP2K
    // re-evaluates the minimum: one more frame, the same energy.
    if (result.problem == Problem::none) {
      const Frame& last = frames.back();
      const bool same_step =
          last.step && (*last.step == result.steps || *last.step == result.steps + 1);
      const bool same_energy =
          last.energy && std::abs(*last.energy * kHartreeEv - result.energy) <= 1e-5;
      if (!same_step || !same_energy) {
        result.problem = Problem::cut_off;
        result.reason = fmt::format(
            "relax.out ends at step {} ({:.6f} eV), relax-pos-1.xyz at step {} ({:.6f} eV): the "
            "outputs were cut or damaged",
            result.steps, result.energy, last.step.value_or(-1),
            last.energy.value_or(std::nan("")) * kHartreeEv);
      }
    }
    return result;
  }

  Command write_neb(const fs::path& dir, const std::vector<Crystal>& band,
                    const std::pair<double, double>& /*end_energies: CP2K recomputes them*/,
                    const DftSettings& settings, const DftSite& site,
                    const Corrections& corrections) const override {
    if (band.size() < 3) throw std::invalid_argument("write_neb: a band has at least 3 images");
    const int replicas = static_cast<int>(band.size());
    std::vector<Section> top{global(kNeb, "BAND"), {"MOTION", "", {}, {}, {}}};
    Section& neb = top[1].add("BAND");
    neb.set("BAND_TYPE", settings.climbing ? "CI-NEB" : "IT-NEB");
    neb.set("NUMBER_OF_REPLICA", std::to_string(replicas));
    neb.set("NPROC_REP",
            std::to_string(site.cores % replicas == 0 ? site.cores / replicas : site.cores));
    neb.set("K_SPRING", num(settings.spring / kSpringAu));
    neb.set("ROTATE_FRAMES", "F").set("ALIGN_FRAMES", "F");
    const std::string force = num(settings.neb_force_tolerance / kForceAu);
    neb.add("CONVERGENCE_CONTROL")
        .set("MAX_FORCE", force)
        .set("RMS_FORCE", force)
        .set("MAX_DR", "0.01")
        .set("RMS_DR", "0.01");
    Section& optimize = neb.add("OPTIMIZE_BAND");
    optimize.set("OPT_TYPE", "DIIS");
    optimize.add("DIIS").set("MAX_STEPS", std::to_string(settings.max_neb_steps));
    for (const auto& image : band) {
      if (image.sites.size() != band.front().sites.size())
        throw std::invalid_argument("write_neb: the band's images differ in atom count");
      Section& coord = neb.add("REPLICA").add("COORD");
      for (std::size_t i = 0; i < image.sites.size(); ++i) coord.data.push_back(xyz_line(image, i));
    }
    if (auto c = constraints(band.front())) top[1].sections.push_back(*c);
    top.push_back(force_eval(band.front(), settings, corrections));
    return write_input(dir, kNeb, render(top, settings), site);
  }

  NebResult read_neb(const fs::path& dir, const std::vector<Crystal>& band,
                     const DftSettings& settings) const override {
    NebResult result;
    const fs::path out = dir / (std::string(kNeb) + ".out");
    const auto text = read_text(out);
    const auto lines = text ? split_lines(*text) : std::vector<std::string>{};
    const std::size_t n = band.size();

    // neb-1.ener: one row per band step: step, n energies (Hartree), n - 1 distances (Bohr).
    std::map<long, std::vector<double>> rows;
    long last_row = -1;
    bool garbled = false;
    if (auto ener = read_text(dir / (std::string(kNeb) + "-1.ener"))) {
      const auto ener_lines = split_lines(*ener);
      for (std::size_t r = 0; r < ener_lines.size(); ++r) {
        const auto w = words(ener_lines[r]);
        std::vector<double> v;
        for (const auto& x : w)
          if (auto d = number(x)) v.push_back(*d);
        if (w.empty()) continue;
        if (v.size() != w.size() || v.size() != 2 * n) {
          garbled = r + 1 < ener_lines.size() || ended_normally(lines);  // not a cut last row
          break;
        }
        last_row = static_cast<long>(v[0]);
        rows[last_row] = std::vector<double>(v.begin() + 1, v.begin() + 1 + n);
      }
    }
    // The last step complete in the energies and in every replica's trajectory.
    std::vector<std::vector<Frame>> trajectories;
    for (std::size_t k = 1; k <= n; ++k)
      trajectories.push_back(read_frames(replica_trajectory(dir, k)));
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
      std::vector<Crystal> images;
      for (std::size_t k = 0; k < n; ++k) {
        const auto& frames = trajectories[k];
        auto f = std::find_if(frames.rbegin(), frames.rend(),
                              [&](const Frame& fr) { return fr.step == it->first; });
        if (f == frames.rend()) break;
        if (auto image = with_frame(band[k], *f)) images.push_back(std::move(*image));
      }
      if (images.size() != n) continue;
      result.steps = static_cast<int>(it->first);
      for (double e : it->second) result.energies.push_back(e * kHartreeEv);
      result.band = std::move(images);
      break;
    }

    bool scf_failed = false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto replica = read_text(replica_output(dir, k));
      if (replica && last_scf_converged(split_lines(*replica)) == false) scf_failed = true;
    }
    if (auto problem = output_problem(text, out)) {
      std::tie(result.problem, result.reason) = *problem;
    } else if (garbled || result.band.empty()) {
      result.problem = Problem::crashed;
      result.reason = garbled ? "neb-1.ener is garbled"
                              : "no band step complete in neb-1.ener and the replica trajectories";
    } else if (scf_failed) {
      result.problem = Problem::scf_not_converged;
      result.reason = "the last SCF run of a replica did not converge";
    } else if (last_row >= band_max_steps(settings)) {
      // CP2K prints no band convergence: a band that stopped before MAX_STEPS converged.
      result.problem = Problem::steps_exhausted;
      result.reason = fmt::format("BAND stopped at MAX_STEPS = {}", band_max_steps(settings));
    } else {
      result.problem = Problem::none;
    }
    return result;
  }
};

}  // namespace

std::unique_ptr<DftCode> make_cp2k() { return std::make_unique<Cp2k>(); }

}  // namespace ionscreen::pipeline::dft
