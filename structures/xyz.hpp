#pragma once
/// Extended XYZ (ASE/QUIP convention), periodic structures only, one frame.
#include <string>

#include "structures/crystal.hpp"

namespace ionscreen::structures {

/// One frame: the atom count, a comment line
/// `Lattice="ax ay az bx by bz cx cy cz" Properties=species:S:1:pos:R:3 pbc="T T T"`, then one
/// line per site with the element and Cartesian position (Å). Throws InputError for partially
/// occupied sites, which the format written here cannot hold.
std::string write_extxyz(const Crystal& crystal);

/// Parse the first frame of an extended XYZ text. `Lattice="..."` is required (non-periodic XYZ
/// is rejected); `Properties` defaults to species:S:1:pos:R:3 and may hold further columns, which
/// are skipped. Labels are element + 1-based index per element; oxidation states are 0.
Crystal parse_extxyz(const std::string& text, const std::string& source_name);

}  // namespace ionscreen::structures
