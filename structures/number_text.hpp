#pragma once
/// The one number reader of ionscreen's text parsers: structure files (CIF, POSCAR, XYZ), element
/// and bond-valence tables, the DFT codes' outputs and input checks, and CSV tables.
#include <limits>
#include <optional>
#include <string_view>

namespace ionscreen::structures {

/// A whole word as a finite number below `absurd` in magnitude: "-1.5", "+2", "3e-4" and
/// Fortran's "1.0D-3". Nothing for anything else ("NaN", "inf", "1e309", "*****", "1.5x", ""),
/// so that every caller refuses the value naming its file, line and text. `absurd` is the largest
/// magnitude the file has reason to hold: a value beyond it is a typo or damage, not data.
std::optional<double> read_number(std::string_view word,
                                  double absurd = std::numeric_limits<double>::max());

}  // namespace ionscreen::structures
