#include "structures/poscar.hpp"

#include <cctype>
#include <cmath>
#include <map>
#include <string_view>
#include <vector>

#include "structures/error.hpp"
#include "structures/io_text.hpp"
#include "structures/partial_occupancy.hpp"
#include "structures/periodic_table.hpp"

namespace ionscreen::structures {
namespace {

using io_text::at;

/// Element of a POSCAR species entry: "Li", "Li_sv", "Fe/7ad3c1", "Fe_pv/abc".
std::string species_element(std::string_view word) {
  const std::size_t cut = word.find_first_of("_/.:");
  return std::string(word.substr(0, cut));
}

char first_lower(std::string_view line) {
  for (const char c : line)
    if (!io_text::is_space(c))
      return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return '\0';
}

}  // namespace

Crystal parse_poscar(const std::string& text, const std::string& source_name) {
  const std::string& src = source_name;
  const auto lines = io_text::lines_of(text);
  bool blank = true;
  for (const auto line : lines)
    if (!io_text::words_of(line).empty()) blank = false;
  if (blank) throw InputError(at(src, 1) + "empty POSCAR; expected a VASP 5 POSCAR file");

  std::size_t n = 0;  // index of the next line
  const auto next = [&](const char* what) -> std::string_view {
    if (n >= lines.size())
      throw InputError(at(src, static_cast<int>(n) + 1) + "the POSCAR ends early; expected " +
                       what);
    return lines[n++];
  };
  const auto line_no = [&] { return static_cast<int>(n); };  // of the line just read

  Crystal crystal;
  {
    const auto words = io_text::words_of(next("the comment line"));
    for (const auto w : words) {
      if (!crystal.name.empty()) crystal.name += ' ';
      crystal.name.append(w);
    }
  }

  // Scale: one positive multiplier, one negative volume, or three positive multipliers.
  const auto scale_words = io_text::words_of(next("the scale factor on line 2"));
  std::vector<double> scale;
  for (const auto w : scale_words) {
    const auto v = io_text::parse_double(w);
    if (!v) break;
    scale.push_back(*v);
  }
  const std::string scale_accepted =
      "; accepted: one positive scale factor, one negative number (the cell volume in Å^3), or "
      "three positive scale factors";
  if (scale.size() != 1 && scale.size() != 3)
    throw InputError(at(src, line_no()) + "cannot read the scale factor '" + std::string(lines[1]) +
                     "'" + scale_accepted);
  if ((scale.size() == 3 && (scale[0] <= 0 || scale[1] <= 0 || scale[2] <= 0)) ||
      (scale.size() == 1 && scale[0] == 0.0))
    throw InputError(at(src, line_no()) + "invalid scale factor '" + std::string(lines[1]) + "'" +
                     scale_accepted);

  Eigen::Matrix3d lattice;
  for (int r = 0; r < 3; ++r) {
    const auto words = io_text::words_of(next("three lattice vector lines"));
    for (int k = 0; k < 3; ++k) {
      const auto v = words.size() >= 3 ? io_text::parse_double(words[static_cast<std::size_t>(k)])
                                       : std::nullopt;
      if (!v)
        throw InputError(at(src, line_no()) + "cannot read lattice vector " +
                         std::to_string(r + 1) + " '" + std::string(lines[n - 1]) +
                         "'; accepted: three numbers (Å), finite and below 1e6 in magnitude");
      lattice(r, k) = *v;
    }
  }
  if (std::abs(lattice.determinant()) < 1e-12)
    throw InputError(at(src, line_no()) +
                     "the lattice vectors are linearly dependent (zero "
                     "volume); accepted: three independent vectors");
  Eigen::Vector3d axis_scale = Eigen::Vector3d::Ones();
  if (scale.size() == 3)
    axis_scale = Eigen::Vector3d(scale[0], scale[1], scale[2]);
  else if (scale[0] > 0)
    axis_scale.setConstant(scale[0]);
  else
    axis_scale.setConstant(std::cbrt(-scale[0] / std::abs(lattice.determinant())));
  for (int r = 0; r < 3; ++r) lattice.row(r) *= axis_scale[r];
  io_text::check_cell(lattice, at(src, 3));
  crystal.lattice = lattice;

  // Species (VASP 5) and counts.
  const auto species = io_text::words_of(next("the species line (VASP 5)"));
  const int species_line = line_no();
  if (species.empty() || io_text::parse_long(species.front()))
    throw InputError(at(src, species_line) +
                     "expected the species line of a VASP 5 POSCAR (element symbols such as 'Li "
                     "Fe P O'), found '" +
                     std::string(lines[n - 1]) +
                     "'. VASP 4 files, which give only the counts and take the elements from the "
                     "POTCAR, are not supported: add the species line above the counts");
  std::vector<std::string> elements;
  for (const auto w : species) {
    if (w.front() == '#' || w.front() == '!') break;  // trailing comment
    const std::string e = species_element(w);
    if (!is_element_symbol(e))
      throw InputError(at(src, species_line) + "unknown element symbol '" + std::string(w) +
                       "' in the species line; accepted: the 118 element symbols H to Og, "
                       "optionally with a POTCAR suffix such as 'Li_sv'");
    elements.push_back(e);
  }
  const auto count_words = io_text::words_of(next("the counts line"));
  const int count_line = line_no();
  std::vector<long> counts;
  for (const auto w : count_words) {
    const auto v = io_text::parse_long(w);
    if (!v) break;
    counts.push_back(*v);
  }
  if (counts.size() != elements.size())
    throw InputError(at(src, count_line) + "the counts line '" + std::string(lines[n - 1]) +
                     "' has " + std::to_string(counts.size()) + " integers for " +
                     std::to_string(elements.size()) +
                     " species; accepted: one non-negative integer per species");
  long total = 0;
  for (const long c : counts) {
    if (c < 0)
      throw InputError(at(src, count_line) + "negative atom count in '" +
                       std::string(lines[n - 1]) + "'; accepted: non-negative integers");
    total += c;
  }
  if (total == 0)
    throw InputError(at(src, count_line) + "the POSCAR holds no atoms; accepted: counts > 0");

  // Optional selective dynamics, then the coordinate mode.
  std::string_view mode_line = next("'Direct' or 'Cartesian'");
  bool selective = false;
  if (first_lower(mode_line) == 's') {
    selective = true;
    mode_line = next("'Direct' or 'Cartesian' after 'Selective dynamics'");
  }
  const char mode = first_lower(mode_line);
  if (mode != 'd' && mode != 'c' && mode != 'k')
    throw InputError(at(src, line_no()) + "expected the coordinate mode, found '" +
                     std::string(mode_line) +
                     "'; accepted: 'Direct' or 'Cartesian' (first letter D, C or K), optionally "
                     "preceded by a 'Selective dynamics' line");
  const bool cartesian = mode != 'd';

  std::map<std::string, int> per_element;
  for (std::size_t s = 0; s < elements.size(); ++s)
    for (long i = 0; i < counts[s]; ++i) {
      const auto words = io_text::words_of(next("one coordinate line per atom"));
      const int here = line_no();
      Site site;
      site.element = elements[s];
      site.label = site.element + std::to_string(++per_element[site.element]);
      Eigen::Vector3d v;
      for (int k = 0; k < 3; ++k) {
        const auto x = words.size() >= 3 ? io_text::parse_double(words[static_cast<std::size_t>(k)])
                                         : std::nullopt;
        if (!x)
          throw InputError(at(src, here) + "cannot read the coordinates of atom " +
                           std::to_string(crystal.sites.size() + 1) + " ('" +
                           std::string(lines[n - 1]) +
                           "'); accepted: three numbers, finite and below 1e6 in magnitude" +
                           (selective ? " followed by three T/F flags" : ""));
        v[k] = *x;
      }
      if (selective) {
        for (std::size_t k = 0; k < 3; ++k) {
          const std::string_view flag = words.size() >= 6 ? words[3 + k] : std::string_view();
          if (flag != "T" && flag != "F" && flag != "t" && flag != "f")
            throw InputError(at(src, here) + "atom " + std::to_string(crystal.sites.size() + 1) +
                             " lacks selective dynamics flags ('" + std::string(lines[n - 1]) +
                             "'); accepted: three coordinates followed by three flags T (free) "
                             "or F (fixed)");
          site.fixed[k] = flag == "F" || flag == "f";
        }
      }
      if (cartesian) {
        if (scale.size() == 3)
          throw InputError(at(src, here) +
                           "Cartesian coordinates with three scale factors are "
                           "ambiguous; accepted: Direct coordinates, or one "
                           "scale factor");
        site.frac = crystal.fractional(v * axis_scale[0]);
      } else {
        site.frac = v;
      }
      crystal.sites.push_back(std::move(site));
    }
  return crystal;
}

Crystal read_poscar(const std::filesystem::path& path) {
  return parse_poscar(io_text::read_file(path), path.string());
}

std::string write_poscar(const Crystal& crystal) {
  using io_text::fixed;
  require_full_occupancy(crystal, "write_poscar", "POSCAR");
  std::string comment;
  for (const char c : crystal.name) comment += (c == '\n' || c == '\r') ? ' ' : c;
  if (comment.find_first_not_of(" \t") == std::string::npos) comment = crystal.formula();
  std::string out = comment + "\n1.0\n";
  for (int r = 0; r < 3; ++r)
    out += "  " + fixed(crystal.lattice(r, 0), 12) + "  " + fixed(crystal.lattice(r, 1), 12) +
           "  " + fixed(crystal.lattice(r, 2), 12) + "\n";
  std::vector<std::pair<std::string, long>> runs;
  for (const Site& s : crystal.sites) {
    if (runs.empty() || runs.back().first != s.element) runs.push_back({s.element, 0});
    ++runs.back().second;
  }
  std::string species = " ", counts = " ";
  for (const auto& [element, count] : runs) {
    species.append(" ").append(element);
    counts.append(" ").append(std::to_string(count));
  }
  out += species + "\n" + counts + "\n";
  bool selective = false;
  for (const Site& s : crystal.sites)
    selective = selective || s.fixed[0] || s.fixed[1] || s.fixed[2];
  if (selective) out += "Selective dynamics\n";
  out += "Direct\n";
  for (const Site& s : crystal.sites) {
    out += "  " + fixed(s.frac[0], 12) + "  " + fixed(s.frac[1], 12) + "  " + fixed(s.frac[2], 12);
    if (selective)
      for (const bool f : s.fixed) out += f ? "  F" : "  T";
    out += "\n";
  }
  return out;
}

}  // namespace ionscreen::structures
