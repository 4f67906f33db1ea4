#include "structures/tavorite.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>

#include "structures/error.hpp"
#include "structures/ini.hpp"
#include "structures/io_text.hpp"
#include "structures/periodic_table.hpp"

namespace ionscreen::structures {
namespace {

/// Tokens separated by whitespace and/or commas.
std::vector<std::string> tokens(const std::string& value) {
  std::string v = value;
  std::replace(v.begin(), v.end(), ',', ' ');
  std::istringstream in(v);
  std::vector<std::string> out;
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

Bridge parse_bridge(std::string_view token) {
  if (token == "F") return Bridge::F;
  if (token == "OH") return Bridge::OH;
  if (token == "O") return Bridge::O;
  throw InputError("'" + std::string(token) + "' is not a bridging anion; accepted: F, OH, O");
}

std::string where(const SpaceSpec& spec, const std::string& key) {
  if (spec.source.empty()) return "list " + key;
  const auto it = spec.lines.find(key);
  return spec.source + (it != spec.lines.end() ? ":" + std::to_string(it->second) : "") +
         ": key '" + key + "'";
}

/// The letters that begin a label ("Fe1" -> "Fe"), or the element when the label is empty.
std::string label_letters(const Site& site) {
  if (site.label.empty()) return site.element;
  std::string s;
  for (char c : site.label) {
    if (!std::isalpha(static_cast<unsigned char>(c))) break;
    s += c;
  }
  return s;
}

std::string label_suffix(const Site& site) {
  std::size_t i = 0;
  while (i < site.label.size() && std::isalpha(static_cast<unsigned char>(site.label[i]))) ++i;
  return site.label.substr(i);
}

bool same_position(const Eigen::Vector3d& a, const Eigen::Vector3d& b, double tol) {
  Eigen::Vector3d d = a - b;
  d -= d.array().round().matrix();
  return d.cwiseAbs().maxCoeff() < tol;
}

}  // namespace

std::string to_string(const Species& s) {
  return s.element + std::to_string(std::abs(s.oxidation)) + (s.oxidation < 0 ? "-" : "+");
}

Species parse_species(std::string_view token) {
  const std::string t(token);
  const auto fail = [&](const std::string& why) {
    return InputError("'" + t + "' is not a species (" + why +
                      "); accepted: element symbol, charge, sign, e.g. Fe2+, S6+");
  };
  std::size_t i = 0;
  while (i < t.size() && std::isalpha(static_cast<unsigned char>(t[i]))) ++i;
  const std::string symbol = t.substr(0, i);
  if (symbol.empty()) throw fail("no element symbol");
  if (!is_element_symbol(symbol)) throw fail("unknown element '" + symbol + "'");
  std::size_t j = i;
  while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) ++j;
  if (j == i) throw fail("no oxidation state");
  if (j + 1 != t.size() || (t[j] != '+' && t[j] != '-'))
    throw fail("expected one + or - at the end");
  if (j - i > 2) throw fail("oxidation state out of range");
  const int magnitude = std::stoi(t.substr(i, j - i));
  if (magnitude == 0 || magnitude > 8) throw fail("oxidation state out of range 1..8");
  return {symbol, t[j] == '-' ? -magnitude : magnitude};
}

std::string to_string(Bridge b) {
  switch (b) {
    case Bridge::F:
      return "F";
    case Bridge::OH:
      return "OH";
    case Bridge::O:
      return "O";
  }
  return "?";
}

int bridge_charge(Bridge b) { return b == Bridge::O ? 2 : 1; }

std::string Composition::formula() const {
  return A.element + M.element + X.element + "O4" + to_string(Z);
}

void check_carrier(const std::string& carrier) {
  if (carrier != "Li" && carrier != "Na")
    throw InputError("unknown carrier '" + carrier + "'; accepted: Li, Na");
}

namespace {
void check_lists(const SpaceSpec& spec) {
  check_carrier(spec.carrier);
  const auto check_cations = [&](const std::vector<Species>& list, const std::string& key) {
    if (list.empty()) throw InputError(where(spec, key) + ": the list is empty");
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (list[i].oxidation <= 0)
        throw InputError(where(spec, key) + ": " + to_string(list[i]) +
                         " is not a cation; accepted: positive oxidation states");
      if (!is_element_symbol(list[i].element))
        throw InputError(where(spec, key) + ": unknown element '" + list[i].element + "'");
      for (std::size_t j = 0; j < i; ++j)
        if (list[j] == list[i])
          throw InputError(where(spec, key) + ": " + to_string(list[i]) + " is listed twice");
    }
  };
  check_cations(spec.M, "M");
  check_cations(spec.X, "X");
  if (spec.Z.empty())
    throw InputError(where(spec, "Z") + ": the list is empty; accepted: F, OH, O");
  for (std::size_t i = 0; i < spec.Z.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (spec.Z[i] == spec.Z[j])
        throw InputError(where(spec, "Z") + ": " + to_string(spec.Z[i]) + " is listed twice");
}
}  // namespace

std::vector<Composition> enumerate(const SpaceSpec& spec) {
  check_lists(spec);
  const Species A{spec.carrier, 1};
  std::vector<Composition> out;
  for (const auto& m : spec.M)
    for (const auto& x : spec.X)
      for (const auto z : spec.Z)
        if (1 + m.oxidation + x.oxidation == 8 + bridge_charge(z)) out.push_back({A, m, x, z});
  if (out.empty()) {
    std::set<int> vm, vx;
    for (const auto& m : spec.M) vm.insert(m.oxidation);
    for (const auto& x : spec.X) vx.insert(x.oxidation);
    const auto join = [](const std::set<int>& s) {
      std::string r;
      for (int v : s) r += (r.empty() ? "" : ", ") + std::to_string(v);
      return r;
    };
    std::string need;
    for (const auto z : spec.Z)
      need += (need.empty() ? "" : ", ") + std::to_string(7 + bridge_charge(z)) +
              " (Z = " + to_string(z) + ")";
    throw InputError(
        (spec.source.empty() ? std::string("space") : spec.source) +
        ": no charge-balanced composition: 1 + v_M + v_X = 8 + |v_Z| needs v_M + v_X = " + need +
        ", but M offers oxidation states {" + join(vm) + "} and X {" + join(vx) + "}");
  }
  return out;
}

void check_ions(const SpaceSpec& spec, const IonPredicate& has_ion) {
  check_lists(spec);
  const auto need = [&](const Species& s, const std::string& key, const std::string& role) {
    if (!has_ion(s.element, s.oxidation))
      throw InputError(where(spec, key) + ": " + to_string(s) + " (" + role +
                       ") has no entry in the element table");
  };
  need({spec.carrier, 1}, "carrier", "carrier A");
  for (const auto& m : spec.M) need(m, "M", "octahedral metal M");
  for (const auto& x : spec.X) need(x, "X", "tetrahedral centre X");
  need({"O", -2}, "X", "O of XO4");
  for (const auto z : spec.Z) {
    if (z == Bridge::F) need({"F", -1}, "Z", "bridging F");
    if (z == Bridge::O || z == Bridge::OH) need({"O", -2}, "Z", "bridging O");
    if (z == Bridge::OH) need({"H", 1}, "Z", "H of bridging OH");
  }
}

std::vector<Composition> enumerate_checked(const SpaceSpec& spec, const IonPredicate& has_ion) {
  check_ions(spec, has_ion);
  return enumerate(spec);
}

SpaceSpec load_space(const std::filesystem::path& file, const std::string& carrier) {
  check_carrier(carrier);
  const Ini ini = read_ini(file, "spaces file");
  const auto at = [&](int line) { return ini.where(line); };
  for (const auto& section : ini.sections) {
    if (!section.name.empty() && section.name != "Li" && section.name != "Na")
      throw InputError(at(section.line) + ": unknown section '[" + section.name +
                       "]'; accepted: [Li], [Na]");
    for (const auto& [key, value, line] : section.entries) {
      if (key != "carriers" && key != "M" && key != "X" && key != "Z")
        throw InputError(at(line) + ": unknown key '" + key + "'; accepted: carriers, M, X, Z");
      if (key == "carriers" && !section.name.empty())
        throw InputError(at(line) + ": key 'carriers' belongs before the first section");
      if (value.empty()) throw InputError(at(line) + ": key '" + key + "' has no value");
      // Validate every token now so that errors name the line even for the other carrier.
      for (const auto& t : tokens(value)) {
        try {
          if (key == "carriers")
            check_carrier(t);
          else if (key == "Z")
            parse_bridge(t);
          else
            parse_species(t);
        } catch (const InputError& e) {
          throw InputError(at(line) + ": key '" + key + "', value '" + t + "': " + e.what());
        }
      }
    }
  }

  SpaceSpec spec;
  spec.carrier = carrier;
  spec.source = file.string();
  const IniSection& global = ini.sections.front();
  if (const auto* carriers = global.find("carriers")) {
    const auto list = tokens(carriers->value);
    if (std::find(list.begin(), list.end(), carrier) == list.end())
      throw InputError(at(carriers->line) + ": key 'carriers', value '" + carriers->value +
                       "': carrier '" + carrier + "' is not offered by this file");
    spec.lines["carrier"] = carriers->line;
  }
  const IniSection* own = ini.find(carrier);
  const auto get = [&](const std::string& key) -> IniEntry {
    if (const auto* e = own ? own->find(key) : nullptr) return *e;
    if (const auto* e = global.find(key)) return *e;
    throw InputError(ini.origin + ": no key '" + key + "' for carrier " + carrier +
                     " (neither before the first section nor in [" + carrier + "])");
  };
  const auto species_list = [&](const std::string& key) {
    const IniEntry e = get(key);
    spec.lines[key] = e.line;
    std::vector<Species> list;
    for (const auto& t : tokens(e.value)) {
      Species s = parse_species(t);
      if (s.oxidation <= 0)
        throw InputError(at(e.line) + ": key '" + key + "', value '" + t +
                         "': not a cation; accepted: positive oxidation states, e.g. Fe2+");
      if (std::find(list.begin(), list.end(), s) != list.end())
        throw InputError(at(e.line) + ": key '" + key + "', value '" + t + "': listed twice");
      list.push_back(std::move(s));
    }
    return list;
  };
  spec.M = species_list("M");
  spec.X = species_list("X");
  const IniEntry z = get("Z");
  spec.lines["Z"] = z.line;
  for (const auto& t : tokens(z.value)) {
    const Bridge b = parse_bridge(t);
    if (std::find(spec.Z.begin(), spec.Z.end(), b) != spec.Z.end())
      throw InputError(at(z.line) + ": key 'Z', value '" + t + "': listed twice");
    spec.Z.push_back(b);
  }
  return spec;
}

Prototype tavorite_prototype(const Crystal& c) {
  Prototype p;
  p.crystal = c;
  std::map<Role, int> count;
  for (auto& site : p.crystal.sites) {
    const std::string letters = label_letters(site);
    Role role;
    int ox;
    if (letters == "Li")
      role = Role::A, ox = 1;
    else if (letters == "Fe")
      role = Role::M, ox = 2;
    else if (letters == "S")
      role = Role::X, ox = 6;
    else if (letters == "O")
      role = Role::O, ox = -2;
    else if (letters == "F")
      role = Role::Z, ox = -1;
    else
      throw StructureError("tavorite prototype: site label '" + site.label +
                           "' has no role; accepted label beginnings: Li, Fe, S, O, F");
    if (std::abs(site.occupancy - 1.0) > 1e-6)
      throw StructureError("tavorite prototype: site '" + site.label + "' has occupancy " +
                           std::to_string(site.occupancy) + "; accepted: 1");
    site.oxidation = ox;
    p.roles.push_back(role);
    ++count[role];
  }
  if (count[Role::A] != 2 || count[Role::M] != 2 || count[Role::X] != 2 || count[Role::O] != 8 ||
      count[Role::Z] != 2)
    throw StructureError(
        "tavorite prototype: expected the full P-1 cell with 2 Li, 2 Fe, 2 S, 8 O, "
        "2 F (16 sites); got " +
        std::to_string(count[Role::A]) + " Li, " + std::to_string(count[Role::M]) + " Fe, " +
        std::to_string(count[Role::X]) + " S, " + std::to_string(count[Role::O]) + " O, " +
        std::to_string(count[Role::Z]) + " F");
  for (std::size_t i = 0; i < p.crystal.sites.size(); ++i) {
    bool found = false;
    for (std::size_t j = 0; j < p.crystal.sites.size() && !found; ++j)
      found = p.roles[j] == p.roles[i] &&
              same_position(-p.crystal.sites[i].frac, p.crystal.sites[j].frac, 1e-3);
    if (!found)
      throw StructureError("tavorite prototype: site '" + p.crystal.sites[i].label +
                           "' has no inversion image through the origin (P-1, standard setting)");
  }
  return p;
}

std::vector<Role> substituted_roles(const Prototype& prototype, const Composition& composition) {
  std::vector<Role> roles = prototype.roles;
  if (composition.Z == Bridge::OH)
    for (const Role r : prototype.roles)
      if (r == Role::Z) roles.push_back(Role::H);
  return roles;
}

Crystal substitute(const Prototype& prototype, const Composition& composition) {
  check_carrier(composition.A.element);
  if (prototype.roles.size() != prototype.crystal.sites.size())
    throw InputError("substitute: the prototype has " + std::to_string(prototype.roles.size()) +
                     " roles for " + std::to_string(prototype.crystal.sites.size()) + " sites");
  if (1 + composition.M.oxidation + composition.X.oxidation != 8 + bridge_charge(composition.Z))
    throw InputError("substitute: " + composition.formula() + " with " + to_string(composition.M) +
                     ", " + to_string(composition.X) +
                     " is not charge balanced (1 + v_M + v_X != 8 + |v_Z|)");
  Crystal out = prototype.crystal;
  out.name = composition.formula();
  const bool oxide_z = composition.Z != Bridge::F;
  // New Z labels continue the O numbering when the bridge is an O.
  int max_o = 0;
  for (std::size_t i = 0; i < out.sites.size(); ++i)
    if (prototype.roles[i] == Role::O) {
      const std::string suffix = label_suffix(out.sites[i]);
      if (!suffix.empty() && std::all_of(suffix.begin(), suffix.end(), [](char ch) {
            return std::isdigit(static_cast<unsigned char>(ch));
          }))
        max_o = std::max(max_o, std::stoi(suffix));
    }
  for (std::size_t i = 0; i < out.sites.size(); ++i) {
    Site& s = out.sites[i];
    const std::string suffix = label_suffix(s);
    switch (prototype.roles[i]) {
      case Role::A:
        s.element = composition.A.element, s.oxidation = 1;
        break;
      case Role::M:
        s.element = composition.M.element, s.oxidation = composition.M.oxidation;
        break;
      case Role::X:
        s.element = composition.X.element, s.oxidation = composition.X.oxidation;
        break;
      case Role::O:
        s.element = "O", s.oxidation = -2;
        break;
      case Role::Z:
        s.element = oxide_z ? "O" : "F";
        s.oxidation = oxide_z ? -2 : -1;
        break;
      case Role::H:
        break;
    }
    if (prototype.roles[i] == Role::Z && oxide_z) {
      int n = 1;
      try {
        n = suffix.empty() ? 1 : std::stoi(suffix);
      } catch (const std::exception&) {
      }
      s.label = "O" + std::to_string(max_o + n);
    } else if (prototype.roles[i] != Role::O) {
      s.label = s.element + suffix;
    }
  }
  if (composition.Z != Bridge::OH) return out;

  // One H per Z site; the inversion image of a Z site gets the exact inverted H position.
  std::vector<std::size_t> z_sites;
  for (std::size_t i = 0; i < out.sites.size(); ++i)
    if (prototype.roles[i] == Role::Z) z_sites.push_back(i);
  std::vector<Site> hydrogens(z_sites.size());
  std::vector<bool> done(z_sites.size(), false);
  for (std::size_t a = 0; a < z_sites.size(); ++a) {
    if (done[a]) continue;
    const Eigen::Vector3d fz = out.sites[z_sites[a]].frac;
    // H+ goes where its nearest cation is farthest: over 2000 directions spread evenly on the
    // sphere (Fibonacci lattice), the one maximising the smallest H-cation distance. Pointing
    // away from the two M neighbours alone can aim H straight at the carrier (0.99 Å from Li in
    // LiAlPO4OH built from the prototype).
    const Eigen::Vector3d z_cart = out.cartesian(fz);
    Eigen::Vector3d dir = Eigen::Vector3d::Zero();
    double best_clearance = -1.0;
    constexpr int kDirections = 2000;
    for (int k = 0; k < kDirections; ++k) {
      const double u = 1.0 - 2.0 * (k + 0.5) / kDirections;
      const double phi = k * 2.399963229728653;  // golden angle
      const Eigen::Vector3d d(std::sqrt(1.0 - u * u) * std::cos(phi),
                              std::sqrt(1.0 - u * u) * std::sin(phi), u);
      const Eigen::Vector3d fh = out.fractional(z_cart + kOHBondLength * d);
      double clearance = std::numeric_limits<double>::infinity();
      for (std::size_t i = 0; i < out.sites.size(); ++i)
        if (out.sites[i].oxidation > 0)
          clearance = std::min(clearance, out.distance(fh, out.sites[i].frac));
      if (clearance > best_clearance) {
        best_clearance = clearance;
        dir = d;
      }
    }
    const Eigen::Vector3d fh = wrap(fz + out.fractional(kOHBondLength * dir));
    const std::string suffix = std::to_string(a + 1);
    hydrogens[a] = Site{"H", fh, 1, "H" + suffix, 1.0, {}};
    done[a] = true;
    for (std::size_t b = 0; b < z_sites.size(); ++b)
      if (!done[b] && same_position(-fz, out.sites[z_sites[b]].frac, 1e-3)) {
        hydrogens[b] = Site{"H", wrap(-fh), 1, "H" + suffix, 1.0, {}};
        done[b] = true;
      }
  }
  for (auto& h : hydrogens) out.sites.push_back(std::move(h));
  return out;
}

std::vector<Composition> keep_supported(const std::vector<Composition>& compositions,
                                        const PairPredicate& has_pair,
                                        std::vector<std::string>& excluded) {
  std::vector<Composition> kept;
  for (const Composition& c : compositions) {
    const Species z = c.Z == Bridge::F ? Species{"F", -1} : Species{"O", -2};
    const Species oxide{"O", -2};
    std::vector<std::pair<Species, Species>> bonds{
        {c.A, oxide}, {c.A, z}, {c.M, oxide}, {c.M, z}, {c.X, oxide}};
    if (c.Z == Bridge::OH) bonds.push_back({{"H", 1}, oxide});
    std::string missing;
    for (const auto& [cation, anion] : bonds)
      if (missing.empty() &&
          !has_pair(cation.element, cation.oxidation, anion.element, anion.oxidation))
        missing = to_string(cation) + "-" + to_string(anion);
    if (missing.empty())
      kept.push_back(c);
    else
      excluded.push_back(c.formula() + ": no bond-valence parameters for " + missing);
  }
  return kept;
}

}  // namespace ionscreen::structures
