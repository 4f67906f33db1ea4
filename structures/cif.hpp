#pragma once
/// Crystallographic Information File (CIF 1.1) reading and writing.
///
/// The reader takes the first data block of real-world files (ICSD, COD, Materials Project,
/// pymatgen and ASE output): loops and key-value items, quoted strings, semicolon text fields,
/// numbers with standard uncertainties ("5.1800(3)"). DDLm tags with a dot ("_cell.length_a") are
/// read as their underscore form. All symmetry operators listed under
/// `_space_group_symop_operation_xyz` or `_symmetry_equiv_pos_as_xyz` are applied; images are
/// wrapped into [0, 1) and an image within 1e-3 (fractional, per axis) or 0.01 Å of an earlier
/// image of the same site is dropped. A file with no operators is read as P1 unless it names
/// another space group (then it is rejected).
#include <filesystem>
#include <string>

#include "structures/crystal.hpp"

namespace ionscreen::structures {

struct CifOptions {
  /// Keep sites with `_atom_site_occupancy` < 1 (in `Site::occupancy`) instead of rejecting them.
  bool allow_partial_occupancy = false;
};

/// Parse CIF text; `source_name` (usually the path) names the input in error messages.
/// Elements come from `_atom_site_type_symbol` ("Fe", "Fe2+", "O2-") or else from the label
/// ("Fe1" -> Fe). Oxidation states come from `_atom_type_oxidation_number` (rounded when within
/// 1e-6 of an integer, otherwise left 0) or else from a charge in the type symbol. Occupancies
/// within 1e-3 of 1 are stored as 1. Site labels are kept (every symmetry image of a site carries
/// its label); a missing label becomes element + index. `Crystal::name` is the data block name.
/// Throws InputError (file, line and what is accepted) for syntax errors, an empty file, a missing
/// cell or atom sites, unknown elements, bad operators and (by default) partial occupancy.
Crystal parse_cif(const std::string& text, const std::string& source_name,
                  const CifOptions& options = {});

/// Read the first data block of a CIF file.
Crystal read_cif(const std::filesystem::path& path, const CifOptions& options = {});

/// The crystal as a P1 CIF: cell parameters, the identity operator, `_atom_type` oxidation numbers
/// (for elements with a non-zero oxidation state), and one atom site row per site with type symbol
/// ("Fe2+"), label, fractional coordinates (10 decimals) and occupancy. Reads back with
/// parse_cif, ASE and pymatgen.
std::string write_cif(const Crystal& crystal);

}  // namespace ionscreen::structures
