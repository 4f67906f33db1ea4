#include "structures/descriptors.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include "structures/error.hpp"
#include "structures/hops.hpp"

namespace ionscreen::structures {
namespace {

/// Elemental properties per site, in column order.
const std::vector<std::string>& site_properties() {
  static const std::vector<std::string> p = {
      "ionic_radius", "electronegativity", "oxidation", "mass", "period", "group"};
  return p;
}
const std::vector<std::string>& site_groups() {
  static const std::vector<std::string> g = {"A", "M", "X", "Z"};
  return g;
}

std::string column(const std::string& group, const std::string& property) {
  std::string name = group;
  name.append(".").append(property);
  return name;
}

/// Integer shifts n with |n_i| <= reach_i cover every lattice image within `radius` of a point.
Eigen::Vector3i image_reach(const Eigen::Matrix3d& lattice, double radius) {
  const Eigen::Vector3d w = perpendicular_widths(lattice);
  Eigen::Vector3i n;
  for (int i = 0; i < 3; ++i) n[i] = static_cast<int>(std::ceil(radius / w[i])) + 1;
  return n;
}

/// Calls f(cartesian position) for every periodic image of fractional `site` within `radius` of
/// the Cartesian point `centre` (given also as fractional `centre_frac`).
template <class F>
void for_images_within(const Crystal& c, const Eigen::Vector3d& site,
                       const Eigen::Vector3d& centre_frac, double radius, F&& f) {
  Eigen::Vector3d d = site - centre_frac;
  d -= d.array().round().matrix();
  const Eigen::Vector3d nearest = centre_frac + d;
  const Eigen::Vector3i reach = image_reach(c.lattice, radius);
  const Eigen::Vector3d centre = c.cartesian(centre_frac);
  for (int i = -reach[0]; i <= reach[0]; ++i)
    for (int j = -reach[1]; j <= reach[1]; ++j)
      for (int k = -reach[2]; k <= reach[2]; ++k) {
        const Eigen::Vector3d p = c.cartesian(nearest + Eigen::Vector3d(i, j, k));
        if ((p - centre).norm() <= radius) f(p);
      }
}

/// Distance from point p to the segment [a, b].
double segment_distance(const Eigen::Vector3d& a, const Eigen::Vector3d& b,
                        const Eigen::Vector3d& p) {
  const Eigen::Vector3d ab = b - a;
  const double len2 = ab.squaredNorm();
  const double t = len2 > 0.0 ? std::clamp((p - a).dot(ab) / len2, 0.0, 1.0) : 0.0;
  return (a + t * ab - p).norm();
}

const char* role_name(Role r) {
  switch (r) {
    case Role::A:
      return "A";
    case Role::M:
      return "M";
    case Role::X:
      return "X";
    case Role::O:
      return "O";
    case Role::Z:
      return "Z";
    case Role::H:
      return "H";
  }
  return "?";
}

}  // namespace

const std::vector<std::string>& descriptor_groups() {
  static const std::vector<std::string> g = {"A", "M", "X", "Z", "structure"};
  return g;
}

std::string group_of_column(const std::string& name) {
  const auto dot = name.find('.');
  if (dot == std::string::npos || dot + 1 == name.size())
    throw InputError(std::string("descriptor column '") + name +
                     "' is not named '<group>.<property>'");
  std::string group = name.substr(0, dot);
  const auto& known = descriptor_groups();
  if (std::find(known.begin(), known.end(), group) == known.end())
    throw InputError(std::string("descriptor column '") + name + "': unknown group '" + group +
                     "'; accepted: A, M, X, Z, structure");
  return group;
}

void check_table(const DescriptorTable& table) {
  const std::size_t n = table.names.size();
  if (table.groups.size() != n)
    throw InputError("descriptor table: " + std::to_string(n) + " names but " +
                     std::to_string(table.groups.size()) + " groups");
  if (static_cast<std::size_t>(table.values.cols()) != n)
    throw InputError("descriptor table: " + std::to_string(n) + " names but " +
                     std::to_string(table.values.cols()) + " value columns");
  std::set<std::string> seen;
  for (std::size_t j = 0; j < n; ++j) {
    const std::string group = group_of_column(table.names[j]);
    if (table.groups[j] != group)
      throw InputError(std::string("descriptor column '") + table.names[j] + "' is in group '" +
                       table.groups[j] + "' but its name says '" + group + "'");
    if (!seen.insert(table.names[j]).second)
      throw InputError(std::string("descriptor column '") + table.names[j] + "' appears twice");
    const auto col = static_cast<Eigen::Index>(j);
    for (Eigen::Index r = 0; r < table.values.rows(); ++r)
      if (!std::isfinite(table.values(r, col)))
        throw InputError(std::string("descriptor column '") + table.names[j] +
                         "' is not finite in row " + std::to_string(r));
  }
}

DescriptorTable assemble_table(const std::vector<std::string>& names,
                               const std::vector<Eigen::VectorXd>& rows) {
  DescriptorTable t;
  t.names = names;
  for (const auto& name : names) t.groups.push_back(group_of_column(name));
  const auto cols = static_cast<Eigen::Index>(names.size());
  t.values.resize(static_cast<Eigen::Index>(rows.size()), cols);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != cols)
      throw InputError("descriptor row " + std::to_string(r) + " has " +
                       std::to_string(rows[r].size()) + " values, the table has " +
                       std::to_string(cols) + " columns");
    t.values.row(static_cast<Eigen::Index>(r)) = rows[r].transpose();
  }
  check_table(t);
  return t;
}

std::vector<std::string> drop_constant_columns(DescriptorTable& table, double relative_tolerance) {
  check_table(table);
  std::vector<std::string> dropped;
  std::vector<Eigen::Index> kept;
  for (Eigen::Index j = 0; j < table.values.cols(); ++j) {
    bool constant = true;
    if (table.values.rows() >= 2) {
      const auto col = table.values.col(j);
      const double range = col.maxCoeff() - col.minCoeff();
      const double scale = std::max(1.0, col.cwiseAbs().maxCoeff());
      constant = range <= relative_tolerance * scale;
    }
    if (constant)
      dropped.push_back(table.names[static_cast<std::size_t>(j)]);
    else
      kept.push_back(j);
  }
  DescriptorTable out;
  out.values.resize(table.values.rows(), static_cast<Eigen::Index>(kept.size()));
  for (std::size_t k = 0; k < kept.size(); ++k) {
    const auto j = kept[k];
    out.names.push_back(table.names[static_cast<std::size_t>(j)]);
    out.groups.push_back(table.groups[static_cast<std::size_t>(j)]);
    out.values.col(static_cast<Eigen::Index>(k)) = table.values.col(j);
  }
  table = std::move(out);
  return dropped;
}

Descriptors::Descriptors(const ElementTable& elements) : elements_(elements) {}

std::vector<std::string> Descriptors::site_names() const {
  std::vector<std::string> names;
  for (const auto& g : site_groups()) {
    for (const auto& p : site_properties()) names.push_back(column(g, p));
    if (g == "Z") names.push_back(column(g, "protonated"));
  }
  return names;
}

std::vector<std::string> Descriptors::structure_names() const {
  std::vector<std::string> names;
  for (const char* p :
       {"volume_per_fu", "carrier_anion_mean", "carrier_anion_min", "bottleneck", "hop_length"})
    names.push_back(column("structure", p));
  return names;
}

std::vector<std::string> Descriptors::names() const {
  std::vector<std::string> all = site_names();
  for (auto& n : structure_names()) all.push_back(std::move(n));
  return all;
}

void Descriptors::fill_site(const std::string& site, const std::vector<Occupant>& occupants,
                            int coordination, Eigen::Ref<Eigen::VectorXd> out) const {
  out.setZero();
  double total = 0.0;
  for (const auto& o : occupants) {
    if (!(o.fraction > 0.0 && o.fraction <= 1.0))
      throw InputError(site + " site: fraction of " + ion_name(o.element, o.oxidation) +
                       " must be in (0, 1], got " + std::to_string(o.fraction));
    total += o.fraction;
    try {
      const ElementData& e = elements_.element(o.element);
      if (!e.electronegativity)
        throw InputError(std::string("no Pauling electronegativity for ") + o.element +
                         " in elements.csv");
      const double radius = elements_.shannon_radius(o.element, o.oxidation, coordination);
      const double v[] = {radius, *e.electronegativity, double(o.oxidation),
                          e.mass, double(e.period),     double(e.group)};
      for (Eigen::Index k = 0; k < out.size(); ++k) out[k] += o.fraction * v[k];
    } catch (const InputError& err) {
      throw InputError(site + " site: " + err.what());
    }
  }
  if (occupants.empty() || std::abs(total - 1.0) > 1e-9)
    throw InputError(site + " site: occupancy fractions sum to " + std::to_string(total) +
                     ", not 1");
}

Eigen::VectorXd Descriptors::sites_row(const std::vector<Occupant>& A,
                                       const std::vector<Occupant>& M,
                                       const std::vector<Occupant>& X, Bridge Z) const {
  const auto p = static_cast<Eigen::Index>(site_properties().size());
  Eigen::VectorXd v(4 * p + 1);
  fill_site("A", A, kCoordinationA, v.segment(0, p));
  fill_site("M", M, kCoordinationM, v.segment(p, p));
  fill_site("X", X, kCoordinationX, v.segment(2 * p, p));
  const std::vector<Occupant> anion = Z == Bridge::F ? std::vector<Occupant>{{"F", -1, 1.0}}
                                                     : std::vector<Occupant>{{"O", -2, 1.0}};
  fill_site("Z", anion, kCoordinationZ, v.segment(3 * p, p));
  v[4 * p] = Z == Bridge::OH ? 1.0 : 0.0;
  return v;
}

Eigen::VectorXd Descriptors::site_values(const Composition& c) const {
  return sites_row({{c.A.element, c.A.oxidation, 1.0}}, {{c.M.element, c.M.oxidation, 1.0}},
                   {{c.X.element, c.X.oxidation, 1.0}}, c.Z);
}

Eigen::VectorXd Descriptors::site_values(const MixedCandidate& c) const {
  const auto occupants = [](const std::vector<SiteOccupancy>& part) {
    std::vector<Occupant> out;
    for (const auto& o : part) out.push_back({o.species.element, o.species.oxidation, o.fraction});
    return out;
  };
  return sites_row({{c.carrier, 1, 1.0}}, occupants(c.M), occupants(c.X), c.Z);
}

Eigen::VectorXd Descriptors::structure_values(const Crystal& relaxed,
                                              const std::vector<Role>& roles,
                                              const std::string& carrier) const {
  if (roles.size() != relaxed.sites.size())
    throw InputError("structure descriptors: " + std::to_string(roles.size()) + " roles for " +
                     std::to_string(relaxed.sites.size()) + " sites of " + relaxed.formula());
  std::vector<std::size_t> carriers;
  struct Anion {
    Eigen::Vector3d frac;
    double radius;
  };
  std::vector<Anion> anions;
  for (std::size_t i = 0; i < roles.size(); ++i) {
    const Site& s = relaxed.sites[i];
    if (roles[i] == Role::A) {
      if (s.element != carrier)
        throw InputError(std::string("structure descriptors: carrier site ") + s.label + " is " +
                         s.element + ", the carrier is " + carrier);
      carriers.push_back(i);
    } else if (roles[i] == Role::O || roles[i] == Role::Z) {
      const std::string site = role_name(roles[i]);
      if (s.oxidation >= 0)
        throw InputError(site + " site " + s.label + " (" + s.element +
                         "): an anion needs a negative oxidation state, got " +
                         std::to_string(s.oxidation));
      try {
        anions.push_back(
            {s.frac, elements_.shannon_radius(s.element, s.oxidation, kCoordinationZ)});
      } catch (const InputError& err) {
        throw InputError(site + " site: " + err.what());
      }
    }
  }
  if (carriers.empty())
    throw InputError("structure descriptors: no carrier (A) site in " + relaxed.formula());
  if (anions.empty())
    throw InputError("structure descriptors: no anion (O, Z) site in " + relaxed.formula());

  // Carrier-anion distances within the shell, every periodic image counted.
  double sum = 0.0, shortest = std::numeric_limits<double>::infinity();
  int count = 0;
  for (const std::size_t a : carriers) {
    const Eigen::Vector3d fa = relaxed.sites[a].frac;
    const Eigen::Vector3d ra = relaxed.cartesian(fa);
    int own = 0;
    for (const auto& x : anions)
      for_images_within(relaxed, x.frac, fa, kAnionShell, [&](const Eigen::Vector3d& p) {
        const double d = (p - ra).norm();
        sum += d;
        shortest = std::min(shortest, d);
        ++count;
        ++own;
      });
    if (own == 0)
      throw StructureError(std::string("structure descriptors: carrier ") + relaxed.sites[a].label +
                           " has no anion within " + std::to_string(kAnionShell) + " Å in " +
                           relaxed.formula());
  }

  // Hops: each site its own orbit (the bottleneck maximum and the shortest length do not depend
  // on which hops are merged by symmetry).
  std::vector<int> orbits(relaxed.sites.size());
  std::iota(orbits.begin(), orbits.end(), 0);
  const std::vector<Hop> hops = distinct_hops(relaxed, carrier, orbits, kMaxHopLength);
  double best = -std::numeric_limits<double>::infinity();
  for (const Hop& h : hops) {
    const Eigen::Vector3d fa = relaxed.sites[static_cast<std::size_t>(h.from)].frac;
    const Eigen::Vector3d fb =
        relaxed.sites[static_cast<std::size_t>(h.to)].frac + h.image.cast<double>();
    const Eigen::Vector3d ra = relaxed.cartesian(fa), rb = relaxed.cartesian(fb);
    // Anions farther than this from the midpoint are over kAnionShell + 3 Å from the segment,
    // farther than the anions around its end points (within kAnionShell) even after any radius.
    const double radius = 0.5 * h.length + kAnionShell + 3.0;
    double neck = std::numeric_limits<double>::infinity();
    for (const auto& x : anions)
      for_images_within(relaxed, x.frac, 0.5 * (fa + fb), radius, [&](const Eigen::Vector3d& p) {
        neck = std::min(neck, segment_distance(ra, rb, p) - x.radius);
      });
    best = std::max(best, neck);
  }

  Eigen::VectorXd v(5);
  v << relaxed.volume() / static_cast<double>(carriers.size()), sum / count, shortest, best,
      hops.front().length;
  return v;
}

}  // namespace ionscreen::structures
