#pragma once
/// A structure file read by its extension, as the commands and jobs that take "a structure"
/// accept it.
#include <filesystem>

#include "structures/crystal.hpp"

namespace ionscreen::structures {

/// `.cif` or `.CIF`: read_cif (first data block); anything else (POSCAR, CONTCAR, *.vasp):
/// read_poscar. Errors as those readers throw them.
Crystal read_structure(const std::filesystem::path& file);

}  // namespace ionscreen::structures
