#pragma once
/// CP2K (2023.1, Quickstep) as a DftCode: GEO_OPT relaxations and BAND (CI-NEB) runs with GPW
/// DFT (GTH pseudopotentials, MOLOPT basis sets) or GFN1-xTB, written as CP2K input files and read
/// back from CP2K's output, trajectory and band energy files. docs/dft_cp2k.md says what is
/// written, the defaults, the SCF corrections and the failures recognised.
///
/// Files of a stage (the project name is the stage's): relax.inp -> relax.out, relax-pos-1.xyz;
/// neb.inp -> neb.out, neb-1.ener, neb-pos-Replica_nr_<k>-1.xyz, neb-BAND<k>.out.
///
/// `DftSettings::extra` for cp2k: "SECTION/SUB/KEYWORD" = "value" paths from the top of the input
/// (GLOBAL, MOTION or FORCE_EVAL), e.g. FORCE_EVAL/DFT/SCF/MAX_SCF = 200 or
/// FORCE_EVAL/DFT/CHARGE = -1. A keyword already written is replaced, a missing keyword or
/// section is added; a path through a section that occurs more than once (KIND, REPLICA,
/// FIXED_ATOMS) is refused, and so are empty names and names other than letters, digits, '_'
/// and '-'. Names are case-insensitive (written upper case).
#include <memory>

#include "pipeline/jobs/dft/dft_code.hpp"

namespace ionscreen::pipeline::dft {

std::unique_ptr<DftCode> make_cp2k();

}  // namespace ionscreen::pipeline::dft
