#pragma once
/// Quantum ESPRESSO behind DftCode: end points relaxed by pw.x (calculation = 'relax', BFGS,
/// fixed cell), the band by neb.x (string_method = 'neb', climbing image). Written for and tested
/// with QE 6.7 (Debian 12's quantum-espresso); docs/dft_qe.md lists what is written, the defaults,
/// the SCF correction levels and the failures recognised.
///
/// Stage folder files: pw.in / pw.out (relaxation), neb.in / neb.out and neb.x's pwscf.crd,
/// pwscf.dat, pwscf.path (band), CRASH (QE's error file, when it stopped on an error), and the
/// scratch folder `scratch` (outdir: wave functions, charge density, the images' PW.out).
///
/// [dft] extra: "namelist.key=value" entries (namelist control, system, electrons, ions or path;
/// ions only reaches the relaxation, path only the band). They override what this code writes,
/// e.g. electrons.mixing_beta=0.3, system.degauss=0.02, path.opt_scheme=quick-min. A value that
/// is not a Fortran number, logical or quoted string is written in quotes (mixing_mode=local-TF
/// becomes 'local-TF'). The keys this code's reader depends on (control.calculation, prefix,
/// outdir, pseudo_dir; system.ibrav, nat, ntyp; path.string_method, restart_mode, num_of_images)
/// are refused with the [dft] key that sets them, if there is one.
#include <memory>

#include "pipeline/jobs/dft/dft_code.hpp"

namespace ionscreen::pipeline::dft {

std::unique_ptr<DftCode> make_qe();

}  // namespace ionscreen::pipeline::dft
