#pragma once
/// VASP (licensed; run through the site profile's `vasp` program) as a DftCode: INCAR, KPOINTS,
/// POSCAR and POTCAR for the end-point relaxations and the NEB, and the OUTCAR reader that turns
/// a run into numbers and a verdict. docs/dft_vasp.md lists every tag written and why.
///
/// Conventions: VASP's units throughout (eV, Å, eV/Å); POSCAR site order is the structure's order
/// (structures/poscar.hpp writes one species entry per run of equal elements, and POTCAR holds
/// one potential per entry, in that order). `[dft] extra` entries are `TAG=value` INCAR tags
/// (upper case; they override or add tags) plus the switch `vtst=true|false` (VTST optimisers).
#include <Eigen/Dense>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/jobs/dft/dft_code.hpp"

namespace ionscreen::pipeline::dft {

std::unique_ptr<DftCode> make_vasp();

namespace vasp {

/// The POTCAR variant used for `element` unless [dft] pseudopotentials names one: the Materials
/// Project's choice (pymatgen MPRelaxSet.yaml, "POTCAR" table), else the bare symbol.
std::string default_potcar(const std::string& element);

/// One complete ionic step of an OUTCAR (or of one NEB image's OUTCAR).
struct IonicStep {
  double free_energy = 0.0;                ///< eV, "free  energy   TOTEN"
  double energy = 0.0;                     ///< eV, "energy(sigma->0)" of the same step
  std::vector<Eigen::Vector3d> positions;  ///< Å, Cartesian ("POSITION" columns)
  std::vector<Eigen::Vector3d> forces;     ///< eV/Å ("TOTAL-FORCE" columns)
  int scf_steps = 0;            ///< electronic steps of this ionic step ("Iteration n(  k)")
  double chain_max_force = -1;  ///< eV/Å, VTST's "FORCES: max atom" (NEB force); -1 if absent
};

/// What an OUTCAR says. Only lines ending in a newline count, so a file cut off mid-line never
/// yields a truncated number.
struct Outcar {
  std::vector<IonicStep> steps;   ///< complete ionic steps, in order
  int nelm = 60;                  ///< "NELM   =" echo (VASP's default 60 when absent)
  bool reached_accuracy = false;  ///< "reached required accuracy"
  bool finished = false;          ///< "General timing and accounting" footer present
  std::string fatal;              ///< the first known fatal message, "" if none
};

/// Parses OUTCAR text; InputError naming `source` and the line for a garbled number.
Outcar parse_outcar(const std::string& text, const std::string& source);

/// The first known fatal VASP message in `text` (an OUTCAR or VASP's standard output), with the
/// box drawing removed; "" if none. Known: ZBRENT fatal error, EDDDAV / ZHEGV / EDDRMM failures,
/// VERY BAD NEWS, internal error, I REFUSE TO CONTINUE.
std::string fatal_message(const std::string& text);

}  // namespace vasp
}  // namespace ionscreen::pipeline::dft
