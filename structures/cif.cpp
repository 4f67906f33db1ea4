#include "structures/cif.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "structures/error.hpp"
#include "structures/io_text.hpp"
#include "structures/periodic_table.hpp"

namespace ionscreen::structures {

namespace {

using io_text::at;

// ---------------------------------------------------------------------------------------------
// Tokens

enum class Kind { tag, value, loop, data, save, global, stop };

struct Token {
  Kind kind;
  std::string text;  ///< tag names are lower case; the data_ token holds the block name
  int line;
  bool quoted = false;  ///< quoted or text-field values: '?' and '.' are then literal text
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == prefix;
}

Token bare_token(std::string_view word, int line) {
  if (word.front() == '_') {
    std::string tag = lower(word);
    std::replace(tag.begin(), tag.end(), '.', '_');  // DDLm "_cell.length_a"
    return {Kind::tag, tag, line};
  }
  if (starts_with_ci(word, "data_")) return {Kind::data, std::string(word.substr(5)), line};
  if (lower(word) == "loop_") return {Kind::loop, "loop_", line};
  if (starts_with_ci(word, "save_")) return {Kind::save, std::string(word), line};
  if (lower(word) == "global_") return {Kind::global, "global_", line};
  if (lower(word) == "stop_") return {Kind::stop, "stop_", line};
  return {Kind::value, std::string(word), line};
}

std::vector<Token> tokenize(const std::string& text, const std::string& source) {
  std::vector<Token> tokens;
  const auto lines = io_text::lines_of(text);
  for (std::size_t n = 0; n < lines.size(); ++n) {
    const std::string_view line = lines[n];
    const int line_no = static_cast<int>(n) + 1;
    if (!line.empty() && line.front() == ';') {  // text field up to the next line starting ';'
      std::string value(line.substr(1));
      std::size_t m = n + 1;
      while (m < lines.size() && (lines[m].empty() || lines[m].front() != ';')) {
        value += '\n';
        value += lines[m];
        ++m;
      }
      if (m == lines.size())
        throw InputError(at(source, line_no) +
                         "CIF syntax error: text field opened with ';' is never closed; a text "
                         "field ends with a line that starts with ';'");
      tokens.push_back({Kind::value, value, line_no, true});
      n = m;  // the closing line; anything after its ';' is ignored
      continue;
    }
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && io_text::is_space(line[i])) ++i;
      if (i >= line.size() || line[i] == '#') break;
      const char c = line[i];
      if (c == '\'' || c == '"') {
        // CIF 1.1: a quote closes only when followed by whitespace or the end of the line.
        std::size_t j = i + 1;
        while (j < line.size() &&
               !(line[j] == c && (j + 1 == line.size() || io_text::is_space(line[j + 1]))))
          ++j;
        if (j >= line.size())
          throw InputError(at(source, line_no) + "CIF syntax error: unterminated quoted string " +
                           std::string(line.substr(i)) +
                           "; a quoted value must close on the same line with the same quote "
                           "character followed by a space or the line end");
        tokens.push_back({Kind::value, std::string(line.substr(i + 1, j - i - 1)), line_no, true});
        i = j + 1;
        continue;
      }
      const std::size_t start = i;
      while (i < line.size() && !io_text::is_space(line[i])) ++i;
      tokens.push_back(bare_token(line.substr(start, i - start), line_no));
    }
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// The first data block

struct Column {
  std::vector<const Token*> values;
  int tag_line;
  int loop;  ///< -1 for a key-value item, else the index of the loop
};

struct Block {
  std::string name;
  int line = 0;
  std::map<std::string, Column> columns;

  const Column* find(const std::string& tag) const {
    const auto it = columns.find(tag);
    return it == columns.end() ? nullptr : &it->second;
  }
};

std::string describe(const Token& t) {
  switch (t.kind) {
    case Kind::tag:
      return "tag " + t.text;
    case Kind::value:
      return "value '" + t.text + "'";
    case Kind::data:
      return "data_" + t.text;
    default:
      return t.text;
  }
}

Block first_block(const std::vector<Token>& tokens, const std::string& source) {
  if (tokens.empty())
    throw InputError(at(source, 1) +
                     "empty CIF: no data block; a CIF starts with a data_<name> line");
  std::size_t i = 0;
  while (i < tokens.size() && tokens[i].kind == Kind::global) ++i;
  if (i == tokens.size() || tokens[i].kind != Kind::data)
    throw InputError(at(source, i < tokens.size() ? tokens[i].line : tokens.back().line) +
                     "CIF syntax error: expected a data_<name> block header" +
                     (i < tokens.size() ? " before " + describe(tokens[i]) : std::string()));
  Block block{tokens[i].text, tokens[i].line, {}};
  ++i;
  int loops = 0;
  const auto add = [&](const Token& tag, int loop) -> Column& {
    auto [it, inserted] = block.columns.try_emplace(tag.text, Column{{}, tag.line, loop});
    if (!inserted)
      throw InputError(at(source, tag.line) + "CIF syntax error: tag " + tag.text +
                       " appears twice in data_" + block.name + " (first at line " +
                       std::to_string(it->second.tag_line) + "); each tag may appear once");
    return it->second;
  };
  while (i < tokens.size() && tokens[i].kind != Kind::data) {
    const Token& t = tokens[i];
    switch (t.kind) {
      case Kind::tag: {
        if (i + 1 >= tokens.size() || tokens[i + 1].kind != Kind::value)
          throw InputError(at(source, t.line) + "CIF syntax error: tag " + t.text +
                           " has no value; every tag outside a loop_ is followed by one value");
        add(t, -1).values.push_back(&tokens[i + 1]);
        i += 2;
        break;
      }
      case Kind::loop: {
        const int loop_line = t.line;
        ++i;
        std::vector<Column*> cols;
        while (i < tokens.size() && tokens[i].kind == Kind::tag)
          cols.push_back(&add(tokens[i++], loops));
        if (cols.empty())
          throw InputError(at(source, loop_line) +
                           "CIF syntax error: loop_ without tags; loop_ is followed by tags and "
                           "then their values row by row");
        std::size_t n = 0;
        while (i < tokens.size() && tokens[i].kind == Kind::value) {
          cols[n % cols.size()]->values.push_back(&tokens[i]);
          ++n;
          ++i;
        }
        if (n == 0 || n % cols.size() != 0)
          throw InputError(at(source, loop_line) + "CIF syntax error: the loop_ of " +
                           std::to_string(cols.size()) + " tags holds " + std::to_string(n) +
                           " values; the number of values must be a non-zero multiple of the "
                           "number of tags (a quoted value with spaces counts as one)");
        ++loops;
        break;
      }
      case Kind::value:
        throw InputError(at(source, t.line) + "CIF syntax error: " + describe(t) +
                         " is not preceded by a tag; values follow a _tag or the tags of a loop_");
      default:
        throw InputError(at(source, t.line) + "CIF syntax error: " + describe(t) +
                         " is not supported; a data block holds tags, values and loop_ only");
    }
  }
  return block;
}

// ---------------------------------------------------------------------------------------------
// Values

bool is_unknown(const Token& t) { return !t.quoted && (t.text == "?" || t.text == "."); }

/// A CIF number: "5.1800(3)" -> 5.18; the standard uncertainty is dropped.
std::optional<double> cif_number(std::string_view s) {
  const std::size_t paren = s.find('(');
  if (paren != std::string_view::npos) {
    if (s.back() != ')') return std::nullopt;
    const std::string_view su = s.substr(paren + 1, s.size() - paren - 2);
    if (su.empty() || su.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;
    s = s.substr(0, paren);
  }
  return io_text::parse_double(s);
}

double number_or_throw(const Token& t, const std::string& tag, const std::string& source) {
  if (!is_unknown(t))
    if (const auto v = cif_number(t.text)) return *v;
  throw InputError(at(source, t.line) + tag + " = '" + t.text +
                   "' is not a number; accepted: finite decimal numbers below 1e6 in magnitude, "
                   "optionally with a standard "
                   "uncertainty in parentheses, e.g. 5.1800(3)");
}

double single_number(const Block& b, const std::string& tag, const std::string& source,
                     const std::string& needed) {
  const Column* c = b.find(tag);
  if (!c)
    throw InputError(at(source, b.line) + "data_" + b.name + " has no " + tag + "; " + needed);
  return number_or_throw(*c->values.front(), tag, source);
}

/// Element symbol at the start of a type symbol or label ("Fe2+", "Fe1", "O2-", "li1"), and the
/// rest of the text.
std::optional<std::pair<std::string, std::string_view>> element_prefix(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return std::nullopt;
  std::string one(1, static_cast<char>(std::toupper(static_cast<unsigned char>(s[0]))));
  if (s.size() > 1 && std::islower(static_cast<unsigned char>(s[1]))) {
    const std::string two = one + s[1];
    if (is_element_symbol(two)) return std::pair{two, s.substr(2)};
  }
  if (is_element_symbol(one)) return std::pair{one, s.substr(1)};
  return std::nullopt;
}

/// No element has an oxidation state beyond +8 or below -4; a larger one is a typo.
constexpr int kMaxOxidation = 8;

/// Charge written after the element in a type symbol: "2+", "+2", "+", "3-"; nullopt otherwise.
std::optional<int> charge_suffix(std::string_view s) {
  if (s.empty()) return std::nullopt;
  const bool sign_last = s.back() == '+' || s.back() == '-';
  const bool sign_first = s.front() == '+' || s.front() == '-';
  if (!sign_last && !sign_first) return std::nullopt;
  const char sign = sign_last ? s.back() : s.front();
  const std::string_view digits = sign_last ? s.substr(0, s.size() - 1) : s.substr(1);
  long magnitude = 1;
  if (!digits.empty()) {
    if (digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    const auto v = io_text::parse_long(digits);
    if (!v || *v > kMaxOxidation) return std::nullopt;
    magnitude = *v;
  }
  return static_cast<int>(sign == '-' ? -magnitude : magnitude);
}

// ---------------------------------------------------------------------------------------------
// Symmetry operators

struct Operator {
  Eigen::Matrix3d rotation = Eigen::Matrix3d::Zero();
  Eigen::Vector3d translation = Eigen::Vector3d::Zero();
};

/// "x+1/2, -y, z-1/2", "-x+y,1/2+z,0.25-x", "X,Y,Z".
std::optional<Operator> parse_operator(std::string_view text) {
  std::string s;
  for (const char c : text)
    if (!io_text::is_space(c)) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Operator op;
  int row = 0;
  std::size_t i = 0;
  bool row_has_term = false;
  while (i <= s.size()) {
    if (i == s.size() || s[i] == ',') {
      if (!row_has_term) return std::nullopt;
      ++row;
      ++i;
      row_has_term = false;
      if (i > s.size() || row > 3) break;
      if (i == s.size()) return std::nullopt;  // trailing comma
      continue;
    }
    double sign = 1.0;
    if (s[i] == '+' || s[i] == '-') {
      sign = s[i] == '-' ? -1.0 : 1.0;
      ++i;
    }
    std::size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    std::optional<double> number;
    if (j > i) {
      number = io_text::parse_double(std::string_view(s).substr(i, j - i));
      if (!number) return std::nullopt;
      if (j < s.size() && s[j] == '/') {
        std::size_t k = j + 1;
        while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) ++k;
        const auto denominator =
            io_text::parse_double(std::string_view(s).substr(j + 1, k - j - 1));
        if (!denominator || *denominator == 0.0) return std::nullopt;
        *number /= *denominator;
        j = k;
      }
      if (j < s.size() && s[j] == '*') ++j;
    }
    if (row > 2) return std::nullopt;
    if (j < s.size() && (s[j] == 'x' || s[j] == 'y' || s[j] == 'z')) {
      op.rotation(row, s[j] - 'x') += sign * number.value_or(1.0);
      ++j;
    } else if (number) {
      op.translation[row] += sign * *number;
    } else {
      return std::nullopt;
    }
    row_has_term = true;
    i = j;
  }
  if (row != 3) return std::nullopt;
  if (std::abs(std::abs(op.rotation.determinant()) - 1.0) > 1e-6) return std::nullopt;
  return op;
}

const Column* operator_column(const Block& b) {
  for (const char* tag : {"_space_group_symop_operation_xyz", "_symmetry_equiv_pos_as_xyz"})
    if (const Column* c = b.find(tag)) return c;
  return nullptr;
}

std::vector<Operator> operators(const Block& b, const std::string& source) {
  if (const Column* c = operator_column(b)) {
    std::vector<Operator> ops;
    for (const Token* t : c->values) {
      const auto op = parse_operator(t->text);
      if (!op)
        throw InputError(at(source, t->line) + "cannot read the symmetry operator '" + t->text +
                         "'; accepted: three comma-separated expressions in x, y, z with "
                         "fractions or decimals, e.g. 'x+1/2, -y, z-1/2'");
      ops.push_back(*op);
    }
    return ops;
  }
  // No operators: P1 unless another space group is named.
  for (const char* tag : {"_symmetry_space_group_name_h-m", "_space_group_name_h-m_alt",
                          "_symmetry_int_tables_number", "_space_group_it_number"}) {
    const Column* c = b.find(tag);
    if (!c || is_unknown(*c->values.front())) continue;
    std::string name;
    for (const char ch : c->values.front()->text)
      if (!io_text::is_space(ch))
        name += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (name != "P1" && name != "1")
      throw InputError(at(source, c->values.front()->line) + tag + " is '" +
                       c->values.front()->text +
                       "' but the file lists no symmetry operators; accepted: P1 files, or files "
                       "with _space_group_symop_operation_xyz or _symmetry_equiv_pos_as_xyz");
  }
  return {Operator{Eigen::Matrix3d::Identity(), Eigen::Vector3d::Zero()}};
}

bool coincide(const Crystal& c, const Eigen::Vector3d& a, const Eigen::Vector3d& b) {
  Eigen::Vector3d d = a - b;
  d -= d.array().round().matrix();
  return d.cwiseAbs().maxCoeff() < 1e-3 || c.distance(a, b) < 1e-2;
}

// ---------------------------------------------------------------------------------------------
// Atom sites

const Column* site_column(const Block& b, const std::string& tag, std::size_t rows, int loop,
                          const std::string& source) {
  const Column* c = b.find(tag);
  if (c && (c->loop != loop || c->values.size() != rows))
    throw InputError(at(source, c->tag_line) + tag +
                     " is not in the loop_ of the atom site coordinates; accepted: one loop_ "
                     "holding _atom_site_label, _atom_site_type_symbol, the coordinates and "
                     "_atom_site_occupancy");
  return c;
}

}  // namespace

Crystal parse_cif(const std::string& text, const std::string& source_name,
                  const CifOptions& options) {
  const std::string& src = source_name;
  const std::vector<Token> tokens = tokenize(text, src);
  const Block b = first_block(tokens, src);

  Crystal crystal;
  crystal.name = b.name;
  const std::string cell_needed =
      "a CIF needs _cell_length_a, _cell_length_b, _cell_length_c (Å) and _cell_angle_alpha, "
      "_cell_angle_beta, _cell_angle_gamma (degrees)";
  CellParameters p{};
  p.a = single_number(b, "_cell_length_a", src, cell_needed);
  p.b = single_number(b, "_cell_length_b", src, cell_needed);
  p.c = single_number(b, "_cell_length_c", src, cell_needed);
  p.alpha = single_number(b, "_cell_angle_alpha", src, cell_needed);
  p.beta = single_number(b, "_cell_angle_beta", src, cell_needed);
  p.gamma = single_number(b, "_cell_angle_gamma", src, cell_needed);
  for (const double angle : {p.alpha, p.beta, p.gamma})
    if (!(angle > 0.0 && angle < 180.0))
      throw InputError(at(src, b.find("_cell_angle_alpha")->values.front()->line) +
                       "the cell angles do not form a cell: angles must lie between 0 and 180 "
                       "degrees");
  const std::string cell_at = at(src, b.find("_cell_length_a")->values.front()->line);
  try {
    crystal.lattice = lattice_from_parameters(p);
  } catch (const InputError& e) {
    throw InputError(cell_at + "the cell parameters do not form a cell: " + e.what());
  }
  io_text::check_cell(crystal.lattice, cell_at);

  // Coordinates: fractional, or Cartesian (Å, in the standard orientation).
  bool cartesian = false;
  const Column* x = b.find("_atom_site_fract_x");
  if (!x) {
    x = b.find("_atom_site_cartn_x");
    cartesian = x != nullptr;
  }
  if (!x)
    throw InputError(at(src, b.line) + "data_" + b.name +
                     " has no atom sites; accepted: a loop_ with _atom_site_fract_x, "
                     "_atom_site_fract_y, _atom_site_fract_z (or _atom_site_Cartn_x/y/z)");
  const std::size_t rows = x->values.size();
  const std::string axis_prefix = cartesian ? "_atom_site_cartn_" : "_atom_site_fract_";
  std::array<const Column*, 3> xyz{};
  for (int k = 0; k < 3; ++k) {
    const std::string tag = axis_prefix + static_cast<char>('x' + k);
    xyz[static_cast<std::size_t>(k)] = site_column(b, tag, rows, x->loop, src);
    if (!xyz[static_cast<std::size_t>(k)])
      throw InputError(at(src, x->tag_line) + "data_" + b.name + " has " + axis_prefix +
                       "x but no " + tag + "; the atom site loop needs all three coordinates");
  }
  const Column* labels = site_column(b, "_atom_site_label", rows, x->loop, src);
  const Column* types = site_column(b, "_atom_site_type_symbol", rows, x->loop, src);
  const Column* occupancies = site_column(b, "_atom_site_occupancy", rows, x->loop, src);
  if (!labels && !types)
    throw InputError(at(src, x->tag_line) +
                     "the atom site loop has neither _atom_site_type_symbol nor _atom_site_label, "
                     "so the elements are unknown; accepted: either tag");

  // Oxidation numbers per type symbol.
  std::map<std::string, std::pair<double, int>> type_oxidation;  // value, line
  if (const Column* ts = b.find("_atom_type_symbol"))
    if (const Column* ox = b.find("_atom_type_oxidation_number")) {
      if (ox->loop != ts->loop || ox->values.size() != ts->values.size())
        throw InputError(at(src, ox->tag_line) +
                         "_atom_type_oxidation_number is not in the loop_ of _atom_type_symbol; "
                         "accepted: one loop_ with both tags");
      for (std::size_t r = 0; r < ts->values.size(); ++r)
        if (!is_unknown(*ox->values[r])) {
          const double v = number_or_throw(*ox->values[r], "_atom_type_oxidation_number", src);
          if (!(std::abs(v) <= kMaxOxidation))
            throw InputError(at(src, ox->values[r]->line) + "_atom_type_oxidation_number = '" +
                             ox->values[r]->text + "' is not an oxidation state; accepted: -" +
                             std::to_string(kMaxOxidation) + " to " +
                             std::to_string(kMaxOxidation));
          type_oxidation[ts->values[r]->text] = {v, ox->values[r]->line};
        }
    }

  const std::vector<Operator> ops = operators(b, src);
  std::map<std::string, int> per_element;
  for (std::size_t r = 0; r < rows; ++r) {
    const int row_line = xyz[0]->values[r]->line;
    Site site;
    // Element and oxidation state.
    const Token* symbol_token = types && !is_unknown(*types->values[r])
                                    ? types->values[r]
                                    : (labels ? labels->values[r] : nullptr);
    if (!symbol_token || is_unknown(*symbol_token))
      throw InputError(at(src, row_line) + "atom site " + std::to_string(r + 1) +
                       " has no type symbol and no label; accepted: an element symbol such as "
                       "'Fe', 'Fe2+' or a label such as 'Fe1'");
    const auto prefix = element_prefix(symbol_token->text);
    if (!prefix)
      throw InputError(
          at(src, symbol_token->line) + "unknown element symbol in '" + symbol_token->text + "' (" +
          (symbol_token == (types ? types->values[r] : nullptr) ? "_atom_site_type_symbol"
                                                                : "_atom_site_label") +
          "); accepted: one of the 118 element symbols H to Og, optionally followed "
          "by a charge ('Fe2+', 'O2-') or a label number ('Fe1')");
    site.element = prefix->first;
    if (types && symbol_token == types->values[r]) {
      const auto found = type_oxidation.find(symbol_token->text);
      if (found != type_oxidation.end()) {
        const double v = found->second.first;
        if (std::abs(v - std::round(v)) < 1e-6) site.oxidation = static_cast<int>(std::round(v));
      } else if (const auto q = charge_suffix(prefix->second)) {
        site.oxidation = *q;
      }
    }
    // Label.
    ++per_element[site.element];
    if (labels && !is_unknown(*labels->values[r]))
      site.label = labels->values[r]->text;
    else
      site.label = site.element + std::to_string(per_element[site.element]);
    // Coordinates.
    Eigen::Vector3d v;
    for (int k = 0; k < 3; ++k) {
      const Token& t = *xyz[static_cast<std::size_t>(k)]->values[r];
      v[k] = number_or_throw(t, axis_prefix + static_cast<char>('x' + k), src);
    }
    site.frac = cartesian ? crystal.fractional(v) : v;
    // Occupancy.
    if (occupancies && !is_unknown(*occupancies->values[r])) {
      const Token& t = *occupancies->values[r];
      const double occ = number_or_throw(t, "_atom_site_occupancy", src);
      if (!(occ > 0.0) || occ > 1.0 + 1e-3)
        throw InputError(at(src, t.line) + "site " + site.label + " has occupancy " + t.text +
                         "; accepted: occupancies in (0, 1]");
      if (occ < 1.0 - 1e-3) {
        if (!options.allow_partial_occupancy)
          throw InputError(at(src, t.line) + "site " + site.label + " is partially occupied (" +
                           "occupancy " + t.text +
                           "); only fully occupied sites are accepted by default. To read it, set "
                           "CifOptions::allow_partial_occupancy = true (then merge split sites "
                           "with merge_split_sites or order the structure)");
        site.occupancy = occ;
      }
    }
    // Symmetry images of this site, without duplicates.
    const std::size_t first = crystal.sites.size();
    for (const Operator& op : ops) {
      const Eigen::Vector3d image = wrap(op.rotation * site.frac + op.translation);
      bool seen = false;
      for (std::size_t k = first; k < crystal.sites.size() && !seen; ++k)
        seen = coincide(crystal, crystal.sites[k].frac, image);
      if (seen) continue;
      Site copy = site;
      copy.frac = image;
      crystal.sites.push_back(std::move(copy));
    }
  }
  return crystal;
}

Crystal read_cif(const std::filesystem::path& path, const CifOptions& options) {
  return parse_cif(io_text::read_file(path), path.string(), options);
}

namespace {
std::string type_symbol(const Site& s) {
  if (s.oxidation == 0) return s.element;
  const int q = std::abs(s.oxidation);
  return s.element + (q == 1 ? std::string() : std::to_string(q)) + (s.oxidation > 0 ? "+" : "-");
}

bool plain_word(const std::string& s) {
  if (s.empty() || s.front() == '_' || s.front() == '#' || s.front() == '\'' || s.front() == '"' ||
      s.front() == ';' || s.front() == '$' || s.front() == '[' || s.front() == ']')
    return false;
  if (starts_with_ci(s, "data_") || starts_with_ci(s, "save_") || lower(s) == "loop_" ||
      lower(s) == "global_" || lower(s) == "stop_" || s == "?" || s == ".")
    return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    return io_text::is_space(c) || static_cast<unsigned char>(c) < 32 || c == '\'' || c == '"';
  });
}
}  // namespace

std::string write_cif(const Crystal& crystal) {
  using io_text::fixed;
  std::string block;
  for (const char c : crystal.name)
    if (!io_text::is_space(c) && static_cast<unsigned char>(c) >= 32) block += c;
  if (block.empty()) block = crystal.formula();
  if (block.empty()) block = "structure";

  const CellParameters p = crystal.parameters();
  std::string out = "# written by ionscreen (P1)\ndata_" + block + "\n";
  out += "_symmetry_space_group_name_H-M   'P 1'\n";
  out += "_symmetry_Int_Tables_number   1\n";
  out += "_cell_length_a   " + fixed(p.a, 10) + "\n";
  out += "_cell_length_b   " + fixed(p.b, 10) + "\n";
  out += "_cell_length_c   " + fixed(p.c, 10) + "\n";
  out += "_cell_angle_alpha   " + fixed(p.alpha, 10) + "\n";
  out += "_cell_angle_beta   " + fixed(p.beta, 10) + "\n";
  out += "_cell_angle_gamma   " + fixed(p.gamma, 10) + "\n";
  out += "_cell_volume   " + fixed(crystal.volume(), 6) + "\n";
  out += "loop_\n _symmetry_equiv_pos_site_id\n _symmetry_equiv_pos_as_xyz\n  1  'x, y, z'\n";

  std::vector<std::pair<std::string, int>> types;
  for (const Site& s : crystal.sites)
    if (s.oxidation != 0) {
      const std::pair<std::string, int> t{type_symbol(s), s.oxidation};
      if (std::find(types.begin(), types.end(), t) == types.end()) types.push_back(t);
    }
  if (!types.empty()) {
    out += "loop_\n _atom_type_symbol\n _atom_type_oxidation_number\n";
    for (const auto& [symbol, q] : types) out += "  " + symbol + "  " + std::to_string(q) + "\n";
  }

  out +=
      "loop_\n _atom_site_type_symbol\n _atom_site_label\n _atom_site_symmetry_multiplicity\n"
      " _atom_site_fract_x\n _atom_site_fract_y\n _atom_site_fract_z\n _atom_site_occupancy\n";
  std::map<std::string, int> per_element;
  for (const Site& s : crystal.sites) {
    ++per_element[s.element];
    const std::string label =
        plain_word(s.label) ? s.label : s.element + std::to_string(per_element[s.element]);
    const Eigen::Vector3d f = wrap(s.frac);
    out += "  " + type_symbol(s) + "  " + label + "  1  " + fixed(f[0], 10) + "  " +
           fixed(f[1], 10) + "  " + fixed(f[2], 10) + "  " + io_text::exact(s.occupancy) + "\n";
  }
  return out;
}

}  // namespace ionscreen::structures
