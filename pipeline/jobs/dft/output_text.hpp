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

/// Larger than any energy (eV), force (eV/Å) or coordinate (Å) a code's output holds: a value
/// beyond it is damage, not data.
inline constexpr double kAbsurd = 1e12;

/// A number in a code's output: structures::read_number() below kAbsurd ("-1.5", "3e-4",
/// Fortran's "1.0D-3"); nothing for "NaN", "Infinity", an absurd value or Fortran's "*****".
std::optional<double> number(const std::string& word);

/// A whole word as an integer from `low` to `high` ("12", "1.2E1"); nothing for a fraction, a
/// value outside the range, or anything number() refuses.
std::optional<long long> integer(const std::string& word, long long low, long long high);

inline bool contains(const std::string& text, const char* what) {
  return text.find(what) != std::string::npos;
}

}  // namespace ionscreen::pipeline::dft
