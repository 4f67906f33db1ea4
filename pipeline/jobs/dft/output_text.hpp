#pragma once
/// What the DFT codes' readers and writers share: CODATA 2018 unit conversions, named once, and
/// the small text tools for reading the codes' output files.
#include <optional>
#include <string>
#include <vector>

namespace ionscreen::pipeline::dft {

inline constexpr double kHartreeEv = 27.211386245988;    ///< eV per Hartree (CODATA 2018)
inline constexpr double kRydbergEv = kHartreeEv / 2.0;   ///< eV per Rydberg
inline constexpr double kBohrAngstrom = 0.529177210903;  ///< Å per Bohr (CODATA 2018)

/// The words of a line, split at white space.
std::vector<std::string> words(const std::string& line);

/// A whole word as a finite number ("-1.5", "3e-4", Fortran's "1.0D-3"); nothing for "NaN",
/// "Infinity", an out-of-range value or Fortran's "*****" overflow.
std::optional<double> number(std::string word);

inline bool contains(const std::string& text, const char* what) {
  return text.find(what) != std::string::npos;
}

}  // namespace ionscreen::pipeline::dft
