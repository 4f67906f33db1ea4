#pragma once
/// Small text helpers shared by the structure readers and writers (cif, poscar, xyz). Internal to
/// structures/: not part of the public API.
#include <Eigen/Dense>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "structures/error.hpp"
#include "structures/number_text.hpp"

namespace ionscreen::structures::io_text {

/// "file:line: " prefix for error messages.
inline std::string at(const std::string& source, int line) {
  return source + ":" + std::to_string(line) + ": ";
}

/// Whole file as text; InputError naming the path when it cannot be read.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string() + ": cannot open the file for reading");
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw InputError(path.string() + ": read error");
  return s.str();
}

/// Split into lines; '\r' before '\n' is dropped. Line i of the result is line i + 1 of the text.
inline std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (end == text.size()) break;
    start = end + 1;
  }
  if (!out.empty() && out.back().empty() && !text.empty() && text.back() == '\n') out.pop_back();
  return out;
}

inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/// Whitespace-separated words of one line.
inline std::vector<std::string_view> words_of(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    const std::size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

/// Larger than any number a structure file has reason to hold (cell lengths, coordinates,
/// occupancies, charges): a value beyond it is a typo or damage, not data.
inline constexpr double kAbsurd = 1e6;

/// A number in a structure file: read_number() below kAbsurd, so that NaN, "inf", 1e309 and
/// 4.61e9 alike are refused by every reader naming the file, line and text.
inline std::optional<double> parse_double(std::string_view s) { return read_number(s, kAbsurd); }

/// A decimal integer; the whole text must be used.
inline std::optional<long> parse_long(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  long v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

/// Fixed-point text with `digits` decimals, independent of the locale.
inline std::string fixed(double v, int digits) {
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, digits);
  if (ec != std::errc()) return std::to_string(v);
  std::string s(buf, ptr);
  if (s.front() == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);  // "-0.0"
  return s;
}

/// Shortest text that reads back to exactly the same double, independent of the locale.
inline std::string exact(double v) {
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return std::to_string(v);
  return std::string(buf, ptr);
}

/// Cell vectors up to this long (Å): larger than any supercell a barrier is computed in.
inline constexpr double kMaxCellLength = 500.0;
/// Cells at least this wide between opposite faces (Å): thinner ones are a misread cell.
inline constexpr double kMinCellWidth = 1.0;

/// InputError ("<where>the cell ...") unless every lattice vector (rows) is at most
/// kMaxCellLength long and the cell at least kMinCellWidth wide: a typo in a cell length, or a
/// position line read as a lattice vector, is refused before anything is computed in it.
inline void check_cell(const Eigen::Matrix3d& lattice, const std::string& where) {
  for (int r = 0; r < 3; ++r)
    if (!(lattice.row(r).norm() <= kMaxCellLength))
      throw InputError(where + "the cell vector " + std::string(1, static_cast<char>('a' + r)) +
                       " is " + exact(lattice.row(r).norm()) + " Å long; accepted: at most " +
                       exact(kMaxCellLength) + " Å");
  const double volume = std::abs(lattice.determinant());
  for (int r = 0; r < 3; ++r) {
    const double width = volume / lattice.row((r + 1) % 3).cross(lattice.row((r + 2) % 3)).norm();
    if (!(width >= kMinCellWidth))
      throw InputError(where + "the cell is " + exact(width) +
                       " Å wide between two faces; accepted: at least " + exact(kMinCellWidth) +
                       " Å (are the lattice vectors three independent vectors?)");
  }
}

}  // namespace ionscreen::structures::io_text
