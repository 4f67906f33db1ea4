#include "structures/xyz.hpp"

#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "structures/error.hpp"
#include "structures/io_text.hpp"
#include "structures/partial_occupancy.hpp"
#include "structures/periodic_table.hpp"

namespace ionscreen::structures {
namespace {

using io_text::at;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// key=value pairs of an extended XYZ comment line; keys in lower case. Values may be quoted
/// with double quotes. A key without '=' maps to "T".
std::map<std::string, std::string> key_values(std::string_view line, const std::string& src) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && io_text::is_space(line[i])) ++i;
    if (i >= line.size()) break;
    const std::size_t key_start = i;
    while (i < line.size() && line[i] != '=' && !io_text::is_space(line[i])) ++i;
    const std::string key = lower(line.substr(key_start, i - key_start));
    std::size_t j = i;  // allow spaces before '='
    while (j < line.size() && io_text::is_space(line[j])) ++j;
    if (j < line.size() && line[j] == '=') i = j;
    if (i >= line.size() || line[i] != '=') {
      out[key] = std::string(1, 'T');
      continue;
    }
    ++i;  // '='
    while (i < line.size() && io_text::is_space(line[i])) ++i;
    std::string value;
    if (i < line.size() && (line[i] == '"' || line[i] == '\'')) {
      const char quote = line[i];
      const std::size_t close = line.find(quote, i + 1);
      if (close == std::string_view::npos)
        throw InputError(at(src, 2) + "unterminated quoted value for " + key +
                         " in the extended XYZ comment line; accepted: key=\"value\"");
      value = std::string(line.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      const std::size_t start = i;
      while (i < line.size() && !io_text::is_space(line[i])) ++i;
      value = std::string(line.substr(start, i - start));
    }
    out[key] = value;
  }
  return out;
}

}  // namespace

std::string write_extxyz(const Crystal& crystal) {
  using io_text::fixed;
  require_full_occupancy(crystal, "write_extxyz", "extended XYZ");
  std::string out = std::to_string(crystal.sites.size()) + "\nLattice=\"";
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 3; ++k)
      out.append(r + k == 0 ? "" : " ").append(fixed(crystal.lattice(r, k), 10));
  out += "\" Properties=species:S:1:pos:R:3 pbc=\"T T T\"\n";
  for (const Site& s : crystal.sites) {
    const Eigen::Vector3d x = crystal.cartesian(s.frac);
    out +=
        s.element + "  " + fixed(x[0], 10) + "  " + fixed(x[1], 10) + "  " + fixed(x[2], 10) + "\n";
  }
  return out;
}

Crystal parse_extxyz(const std::string& text, const std::string& source_name) {
  const std::string& src = source_name;
  const auto lines = io_text::lines_of(text);
  std::size_t first = 0;
  while (first < lines.size() && io_text::words_of(lines[first]).empty()) ++first;
  if (first == lines.size())
    throw InputError(at(src, 1) + "empty XYZ file; expected the atom count on the first line");
  const int count_line = static_cast<int>(first) + 1;
  const auto count_words = io_text::words_of(lines[first]);
  const auto count = io_text::parse_long(count_words.front());
  if (!count || *count <= 0)
    throw InputError(at(src, count_line) + "expected the number of atoms, found '" +
                     std::string(lines[first]) + "'; accepted: a positive integer");
  if (first + 1 >= lines.size())
    throw InputError(at(src, count_line + 1) + "missing the comment line with Lattice=\"...\"");
  const auto kv = key_values(lines[first + 1], src);

  const auto lattice_it = kv.find("lattice");
  if (lattice_it == kv.end())
    throw InputError(at(src, count_line + 1) +
                     "no Lattice=\"...\" on the comment line; accepted: periodic extended XYZ "
                     "with Lattice=\"ax ay az bx by bz cx cy cz\" (plain XYZ has no cell)");
  Crystal crystal;
  {
    const auto words = io_text::words_of(lattice_it->second);
    if (words.size() != 9)
      throw InputError(at(src, count_line + 1) + "Lattice=\"" + lattice_it->second + "\" has " +
                       std::to_string(words.size()) + " entries; accepted: nine numbers (Å)");
    for (std::size_t i = 0; i < 9; ++i) {
      const auto v = io_text::parse_double(words[i]);
      if (!v)
        throw InputError(
            at(src, count_line + 1) + "Lattice entry '" + std::string(words[i]) +
            "' is not a number; accepted: nine numbers (Å), finite and below 1e6 in magnitude");
      crystal.lattice(static_cast<Eigen::Index>(i / 3), static_cast<Eigen::Index>(i % 3)) = *v;
    }
    if (std::abs(crystal.lattice.determinant()) < 1e-12)
      throw InputError(at(src, count_line + 1) +
                       "the Lattice vectors have zero volume; "
                       "accepted: three independent vectors");
    io_text::check_cell(crystal.lattice, at(src, count_line + 1));
  }

  // Column layout from Properties=name:type:count:...
  const auto props_it = kv.find("properties");
  const std::string props = props_it == kv.end() ? "species:S:1:pos:R:3" : props_it->second;
  std::vector<std::string> fields;
  {
    std::size_t start = 0;
    while (true) {
      const std::size_t colon = props.find(':', start);
      fields.push_back(props.substr(start, colon == std::string::npos ? colon : colon - start));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  const std::string props_accepted =
      "; accepted: Properties=name:type:count triples including species:S:1 and pos:R:3";
  if (fields.size() % 3 != 0)
    throw InputError(at(src, count_line + 1) + "Properties=" + props +
                     " is not a list of name:type:count triples" + props_accepted);
  std::optional<std::size_t> species_col, pos_col;
  std::size_t columns = 0;
  for (std::size_t f = 0; f < fields.size(); f += 3) {
    const auto n = io_text::parse_long(fields[f + 2]);
    if (!n || *n <= 0)
      throw InputError(at(src, count_line + 1) + "Properties=" + props + ": bad count '" +
                       fields[f + 2] + "' for " + fields[f] + props_accepted);
    const std::string name = lower(fields[f]);
    if (name == "species" && *n == 1) species_col = columns;
    if (name == "pos" && *n == 3) pos_col = columns;
    columns += static_cast<std::size_t>(*n);
  }
  if (!species_col || !pos_col)
    throw InputError(at(src, count_line + 1) + "Properties=" + props +
                     " lacks species:S:1 or pos:R:3" + props_accepted);

  std::map<std::string, int> per_element;
  for (long a = 0; a < *count; ++a) {
    const std::size_t n = first + 2 + static_cast<std::size_t>(a);
    const int here = static_cast<int>(n) + 1;
    if (n >= lines.size())
      throw InputError(at(src, here) + "the file ends after " + std::to_string(a) + " of " +
                       std::to_string(*count) + " atoms; accepted: one line per atom");
    const auto words = io_text::words_of(lines[n]);
    if (words.size() < columns)
      throw InputError(at(src, here) + "atom line '" + std::string(lines[n]) + "' has " +
                       std::to_string(words.size()) + " columns; Properties=" + props + " needs " +
                       std::to_string(columns));
    Site site;
    site.element = std::string(words[*species_col]);
    if (!is_element_symbol(site.element))
      throw InputError(at(src, here) + "unknown element symbol '" + site.element +
                       "'; accepted: the 118 element symbols H to Og");
    site.label = site.element + std::to_string(++per_element[site.element]);
    Eigen::Vector3d x;
    for (std::size_t k = 0; k < 3; ++k) {
      const auto v = io_text::parse_double(words[*pos_col + k]);
      if (!v)
        throw InputError(at(src, here) + "position '" + std::string(words[*pos_col + k]) +
                         "' is not a number; accepted: Cartesian coordinates in Å, finite and "
                         "below 1e6 in magnitude");
      x[static_cast<Eigen::Index>(k)] = *v;
    }
    site.frac = crystal.fractional(x);
    crystal.sites.push_back(std::move(site));
  }
  return crystal;
}

}  // namespace ionscreen::structures
