#pragma once
/// VASP 5 POSCAR/CONTCAR reading and writing.
#include <filesystem>
#include <string>

#include "structures/crystal.hpp"

namespace ionscreen::structures {

/// Parse POSCAR text; `source_name` names the input in error messages.
/// Accepts VASP 5 files only (the species line is required; VASP 4 files, whose sixth line holds
/// the counts, are rejected with an explanation). The scale factor is one positive number (a
/// multiplier), one negative number (the cell volume in Å^3), or three positive numbers (per
/// axis). Species names may carry POTCAR suffixes ("Li_sv", "Fe/abc123"). "Selective dynamics" is
/// optional; its F flags become `Site::fixed` = true. Coordinates are "Direct" or "Cartesian"
/// (scaled like the cell). Text after the coordinates (velocities, predictor) is ignored. Labels
/// are element + 1-based index per element ("Li1", "Li2", "O1"); oxidation states are 0.
Crystal parse_poscar(const std::string& text, const std::string& source_name);

Crystal read_poscar(const std::filesystem::path& path);

/// VASP 5 POSCAR with scale 1, the lattice as given, a species line with one entry per run of
/// consecutive equal elements (so the site order is kept), Direct coordinates, and a "Selective
/// dynamics" block (T = free, F = fixed) when any site has a fixed coordinate. Comment line: the
/// crystal name, or its formula when the name is empty. Throws InputError for partially occupied
/// sites, which POSCAR cannot hold.
std::string write_poscar(const Crystal& crystal);

}  // namespace ionscreen::structures
