#pragma once
/// Small text helpers shared by the structure readers and writers (cif, poscar, xyz). Internal to
/// structures/: not part of the public API.
#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "structures/error.hpp"

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

/// A plain decimal number ("-1.5", "+2", "3e-4"); the whole text must be used.
inline std::optional<double> parse_double(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.front() == '+') return std::nullopt;
  double v = 0.0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

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

}  // namespace ionscreen::structures::io_text
