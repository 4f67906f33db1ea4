#pragma once
/// What a DFT/NEB barrier job computes and how: the campaign file's `[dft]` section (physics,
/// band, hop set-up, the code's data files) and the site profile (cluster/sites/*.ini: how
/// programs are started on this machine). Defaults are for battery-material NEB and are listed in
/// inputs/campaigns/README.md. The same struct is written into job.json and read back by the
/// stage runner (`ionscreen dft-step`), so a job needs nothing but its directory.
#include <Eigen/Dense>
#include <array>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/base/enum_names.hpp"

namespace ionscreen::pipeline::dft {

/// The closed choices of [dft], by the names of the INI file and job.json.
enum class Method { dft, xtb };             ///< xtb: GFN1-xTB (cp2k only)
enum class Functional { pbe, pbesol };      ///< dft only
enum class Spin { automatic, on, off };     ///< automatic: on with a 3d metal present
enum class Interpolation { idpp, linear };  ///< the initial band
enum class FreeAtoms { all, moving };       ///< moving: only the hopping ion relaxes

}  // namespace ionscreen::pipeline::dft

namespace ionscreen::pipeline {
template <>
struct EnumNames<dft::Method> {
  static constexpr std::pair<dft::Method, const char*> values[] = {{dft::Method::dft, "dft"},
                                                                   {dft::Method::xtb, "xtb"}};
};
template <>
struct EnumNames<dft::Functional> {
  static constexpr std::pair<dft::Functional, const char*> values[] = {
      {dft::Functional::pbe, "PBE"}, {dft::Functional::pbesol, "PBEsol"}};
};
template <>
struct EnumNames<dft::Spin> {
  static constexpr std::pair<dft::Spin, const char*> values[] = {
      {dft::Spin::automatic, "auto"}, {dft::Spin::on, "on"}, {dft::Spin::off, "off"}};
};
template <>
struct EnumNames<dft::Interpolation> {
  static constexpr std::pair<dft::Interpolation, const char*> values[] = {
      {dft::Interpolation::idpp, "idpp"}, {dft::Interpolation::linear, "linear"}};
};
template <>
struct EnumNames<dft::FreeAtoms> {
  static constexpr std::pair<dft::FreeAtoms, const char*> values[] = {
      {dft::FreeAtoms::all, "all"}, {dft::FreeAtoms::moving, "moving"}};
};
}  // namespace ionscreen::pipeline

namespace ionscreen::pipeline::dft {

struct DftSettings {
  // The electronic structure.
  Method method = Method::dft;
  Functional functional = Functional::pbesol;
  double cutoff = 0.0;          ///< eV: plane waves (qe, vasp) or density grid (cp2k);
                                ///< 0: the code's default (qe 408 eV = 30 Ry, vasp 520 eV,
                                ///< cp2k 5442 eV = 400 Ry)
  double cutoff_rho = 0.0;      ///< qe charge-density cut-off, eV; 0: 8 x cutoff
  double kspacing = 0.5;        ///< k-point spacing, 1/Å, as VASP's KSPACING:
                                ///< n_i = max(1, ceil(2π |b_i| / kspacing)) with b_i · a_j
                                ///< = δ_ij (kpoint_mesh); 0: Gamma only
  Spin spin = Spin::automatic;  ///< auto: on with V Cr Mn Fe Co Ni Cu present
  std::map<std::string, double> magmom;     ///< initial moments (μB) by element; default 5 for
                                            ///< the 3d metals above, 0.6 otherwise
  std::map<std::string, double> hubbard_u;  ///< U_eff (eV, Dudarev) by element; none by default
  int charge = 0;               ///< total charge of the cell in e: -1 for a charged carrier
                                ///< vacancy (V'_Li) in an insulator, 0 for a neutral one
  double scf_tolerance = 1e-5;  ///< eV, total energy change per SCF step
  int max_scf_steps = 100;

  // End-point relaxation and the band.
  int images = 5;                       ///< intermediate images (not counting the end points)
  bool climbing = true;                 ///< climbing image
  double spring = 5.0;                  ///< eV/Å²
  double neb_force_tolerance = 0.05;    ///< eV/Å, on every image
  double relax_force_tolerance = 0.03;  ///< eV/Å, end points
  int max_neb_steps = 200;
  int max_relax_steps = 100;
  int max_corrections = 3;  ///< per stage: restarts after a recognised failure
  Interpolation interpolation = Interpolation::idpp;

  // The hop.
  std::string hop = "shortest";    ///< shortest, or the 0-based index into the distinct hops
  std::string supercell = "auto";  ///< auto (every width >= min_width) or "NxMxK"
  double min_width = 8.0;          ///< Å
  FreeAtoms free_atoms = FreeAtoms::all;

  // The code's data files.
  std::filesystem::path pseudo_dir;  ///< qe: UPF folder (default /usr/share/espresso/pseudo);
                                     ///< cp2k: data folder (default /usr/share/cp2k); vasp: PAW
                                     ///< library (default $VASP_PP_PATH/potpaw_PBE)
  std::map<std::string, std::string> pseudopotentials;     ///< by element: qe UPF file, cp2k
                                                           ///< potential name, vasp POTCAR variant
  std::map<std::string, std::string> basis;                ///< cp2k basis set name by element
  std::vector<std::pair<std::string, std::string>> extra;  ///< code-specific "key=value"s, in
                                                           ///< order (see each code's header)
  std::filesystem::path site;                              ///< the site profile read into DftSite

  bool operator==(const DftSettings&) const = default;
};

/// How programs run on this machine (a site profile's `[dft]` section).
struct DftSite {
  std::vector<std::string> launcher;  ///< argv prefix, "{cores}" replaced by `cores`; empty:
                                      ///< programs run directly (one process)
  int cores = 1;                      ///< MPI processes per stage
  std::map<std::string, std::string> programs = {
      {"pw", "pw.x"}, {"neb", "neb.x"}, {"cp2k", "cp2k.psmp"}, {"vasp", "vasp_std"}};
  std::filesystem::path setup;  ///< sourced by the wrapper first (module loads); optional

  bool operator==(const DftSite&) const = default;
};

/// The site profile `file` ([dft] launcher, cores, pw, neb, cp2k, vasp, setup; a [slurm] section
/// is skipped, so one file can serve both). Relative paths (setup, and program paths with a '/')
/// are relative to the file's folder. InputError naming the file, line, key and value.
DftSite read_site(const std::filesystem::path& file);

/// The argv prefix that starts `program` (the site's name for it) with `processes` MPI processes:
/// the launcher with {cores} replaced, then the program.
std::vector<std::string> launch(const DftSite& site, const std::string& program_key, int processes);

nlohmann::json to_json(const DftSettings& settings);
nlohmann::json to_json(const DftSite& site);
/// InputError naming `origin` and the key for a missing or mistyped key, or a choice it does not
/// know.
DftSettings settings_from_json(const nlohmann::json& json, const std::string& origin);
DftSite site_from_json(const nlohmann::json& json, const std::string& origin);

/// [dft] supercell: "auto" gives nothing (choose by min_width), "NxMxK" the multipliers (each
/// >= 1); InputError otherwise.
std::optional<Eigen::Vector3i> parse_supercell(const std::string& text);

/// Monkhorst-Pack divisions for a cell (rows of `lattice` are a, b, c in Å): n_i = max(1,
/// ceil(2π |b_i| / kspacing)) with b the reciprocal basis (b_i · a_j = δ_ij); {1, 1, 1} (Gamma)
/// for kspacing 0.
std::array<int, 3> kpoint_mesh(const Eigen::Matrix3d& lattice, double kspacing);

/// Whether spin polarisation is on for a structure with these elements.
bool spin_polarized(const DftSettings& settings, const std::vector<std::string>& elements);
/// The initial moment of `element` (settings.magmom, else the default above).
double initial_moment(const DftSettings& settings, const std::string& element);

}  // namespace ionscreen::pipeline::dft
