#pragma once
/// The one INI reader of the project (spaces files, Slurm site profiles, campaign files).
///
/// Syntax: `[section]` headers, `key = value` lines (the value may be empty and may contain `=`),
/// blank lines and comments. A comment starts with `#` or `;` at the beginning of a line or after
/// white space, so `M = Fe2+  # metals` drops the remark while `a;b` and `x#1` stay values.
/// Keys before the first header belong to the unnamed section "". Every entry keeps its line.
///
/// The reader checks syntax only; which sections and keys exist is the caller's business.
/// Errors are structures::InputError "file:line: ..." for a line that is none of the above, a
/// malformed header, a section header given twice, or a key given twice in one section.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ionscreen::structures {

struct IniEntry {
  std::string key;
  std::string value;  ///< without surrounding white space; may be empty
  int line = 0;       ///< 1-based
};

struct IniSection {
  std::string name;               ///< "" for the keys before the first header
  int line = 0;                   ///< of the header (0 for the unnamed section)
  std::vector<IniEntry> entries;  ///< in file order

  /// The entry for `key`, or nullptr.
  const IniEntry* find(std::string_view key) const;
};

struct Ini {
  std::string origin;                ///< what errors call the text: the file path as given
  std::vector<IniSection> sections;  ///< in file order; sections[0] is the unnamed one

  /// The section called `name` ("" for the unnamed one), or nullptr.
  const IniSection* find(std::string_view name) const;
  /// "origin:line", the prefix of error messages about that line.
  std::string where(int line) const;
};

/// Parses INI text; `origin` names it in errors.
Ini parse_ini(std::string_view text, const std::string& origin);

/// Reads and parses a file; InputError "<file>: cannot open the <what>" when it cannot be read.
Ini read_ini(const std::filesystem::path& file, const std::string& what);

/// "key = value\n" (or "key =\n"), the line that reads back as this entry. InputError when the
/// value could not: it holds a line break, starts or ends with white space, or holds `#` or `;`
/// after white space.
std::string ini_line(std::string_view key, std::string_view value);

}  // namespace ionscreen::structures
