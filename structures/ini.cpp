#include "structures/ini.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

#include "structures/error.hpp"
#include "structures/io_text.hpp"

namespace ionscreen::structures {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && io_text::is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && io_text::is_space(s.back())) s.remove_suffix(1);
  return s;
}

/// Where a comment starts: `#` or `;` at the start or after white space (npos: none).
std::size_t comment_start(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i)
    if ((line[i] == '#' || line[i] == ';') && (i == 0 || io_text::is_space(line[i - 1]))) return i;
  return std::string_view::npos;
}

}  // namespace

const IniEntry* IniSection::find(std::string_view key) const {
  for (const auto& e : entries)
    if (e.key == key) return &e;
  return nullptr;
}

const IniSection* Ini::find(std::string_view name) const {
  for (const auto& s : sections)
    if (s.name == name) return &s;
  return nullptr;
}

std::string Ini::where(int line) const { return origin + ":" + std::to_string(line); }

Ini parse_ini(std::string_view text, const std::string& origin) {
  Ini ini{origin, {IniSection{}}};
  const auto lines = io_text::lines_of(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const int n = static_cast<int>(i) + 1;
    const std::string_view line = trim(lines[i].substr(0, comment_start(lines[i])));
    if (line.empty()) continue;
    if (line.front() == '[') {
      const auto name =
          line.back() == ']' ? trim(line.substr(1, line.size() - 2)) : std::string_view{};
      if (name.empty())
        throw InputError(ini.where(n) + ": malformed section header '" + std::string(line) +
                         "' (expected [name])");
      if (const auto* seen = ini.find(name))
        throw InputError(ini.where(n) + ": section [" + std::string(name) + "] repeats line " +
                         std::to_string(seen->line));
      ini.sections.push_back({std::string(name), n, {}});
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos)
      throw InputError(ini.where(n) + ": '" + std::string(line) +
                       "' is not 'key = value', a [section] or a comment");
    const auto key = trim(line.substr(0, eq));
    if (key.empty())
      throw InputError(ini.where(n) + ": '" + std::string(line) + "' has no key before '='");
    auto& section = ini.sections.back();
    if (const auto* seen = section.find(key))
      throw InputError(ini.where(n) + ": key '" + std::string(key) + "' repeats line " +
                       std::to_string(seen->line));
    section.entries.push_back({std::string(key), std::string(trim(line.substr(eq + 1))), n});
  }
  return ini;
}

Ini read_ini(const std::filesystem::path& file, const std::string& what) {
  std::error_code ec;
  std::ifstream in(file, std::ios::binary);
  if (!in || std::filesystem::is_directory(file, ec))
    throw InputError(file.string() + ": cannot open the " + what);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_ini(text.str(), file.string());
}

std::string ini_line(std::string_view key, std::string_view value) {
  if (value.find_first_of("\r\n") != std::string_view::npos || trim(value) != value ||
      comment_start(value) != std::string_view::npos)
    throw InputError(std::string("key '").append(key) + "', value '" + std::string(value) +
                     "': cannot be written to an INI file (a line break, white space at either "
                     "end, or # or ; after white space)");
  return std::string(key) +
         (value.empty() ? std::string(" =\n") : std::string(" = ").append(value) + "\n");
}

}  // namespace ionscreen::structures
