#pragma once
/// The tavorite candidate space A M X O4 Z (A = Li or Na; Z = F, OH or O): species lists, the
/// charge-balanced compositions, the spaces-file loader, the LiFeSO4F prototype with site roles,
/// and substitution of a composition into the prototype.
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "structures/crystal.hpp"

namespace ionscreen::structures {

/// Site roles: carrier, octahedral metal, tetrahedral centre, O of XO4, bridging anion, H of OH.
enum class Role { A, M, X, O, Z, H };

/// An element with its formal oxidation state.
struct Species {
  std::string element;  ///< chemical symbol, "Fe"
  int oxidation = 0;    ///< formal oxidation state, +2
  friend bool operator==(const Species&, const Species&) = default;
};

/// "Fe2+", "S6+", "O2-".
std::string to_string(const Species& species);

/// Parse "Fe2+" (symbol, magnitude, sign). Throws InputError naming the token and the accepted
/// form.
Species parse_species(std::string_view token);

/// The bridging anion on the Z site.
enum class Bridge { F, OH, O };

/// "F", "OH", "O".
std::string to_string(Bridge bridge);

/// Magnitude of the formal charge of the bridge: F and OH 1, O 2.
int bridge_charge(Bridge bridge);

/// The candidate lists of one space. `source` and `lines` record where the lists came from (a
/// spaces file and the line of each key: "carrier", "M", "X", "Z"); both are empty for a spec
/// built in code.
struct SpaceSpec {
  std::string carrier;  ///< "Li" or "Na"
  std::vector<Species> M, X;
  std::vector<Bridge> Z;
  std::string source;                ///< file the lists were read from ("" when built in code)
  std::map<std::string, int> lines;  ///< key -> line number in `source`
};

/// One composition A M X O4 Z.
struct Composition {
  Species A, M, X;
  Bridge Z = Bridge::F;
  /// "LiFeSO4F", "NaVPO4O", "LiAlPO4OH".
  std::string formula() const;
};

/// Accepted carriers: Li and Na. Throws InputError for anything else.
void check_carrier(const std::string& carrier);

/// Every charge-balanced A M X O4 Z with A+ the carrier: 1 + v_M + v_X = 8 + |v_Z| (F and OH: 1,
/// O: 2). Order: M in list order, then X in list order, then Z in list order.
/// Throws InputError for an unknown carrier, an empty list, a non-positive M or X oxidation state,
/// a species listed twice, or lists that admit no charge-balanced composition (the message lists
/// the sums v_M + v_X that would be needed).
std::vector<Composition> enumerate(const SpaceSpec& spec);

/// Does the element table know this (element, oxidation state)? Supplied by the caller.
using IonPredicate = std::function<bool(const std::string& element, int oxidation)>;

/// Check every ion the space can use (carrier +1, every M and X, O2- of XO4, F-, O2- and H+ as the
/// Z list needs) against `has_ion`. Throws InputError naming the first missing ion, its role, and
/// the file, line and key when the spec came from a file. Enumerates nothing.
void check_ions(const SpaceSpec& spec, const IonPredicate& has_ion);

/// check_ions, then enumerate: a missing ion is reported at input time, before any enumeration.
std::vector<Composition> enumerate_checked(const SpaceSpec& spec, const IonPredicate& has_ion);

/// Does a bond-valence table have this cation-anion pair? Supplied by the caller.
using PairPredicate = std::function<bool(const std::string& cation, int cation_ox,
                                         const std::string& anion, int anion_ox)>;

/// The compositions whose bonded pairs in the tavorite topology (A-O, A-Z, M-O, M-Z, X-O, and
/// H-O for OH) all have parameters. Each one left out is listed in `excluded` with the pair it
/// lacks ("LiMoSiO4F: no bond-valence parameters for Mo4+-F-"): a per-site list cannot say
/// "V4+ only with O", so the combination is dropped and said, not the ion refused.
std::vector<Composition> keep_supported(const std::vector<Composition>& compositions,
                                        const PairPredicate& has_pair,
                                        std::vector<std::string>& excluded);

/// Read the lists for one carrier from a spaces file (format: inputs/spaces/README.md). Keys before
/// the first section apply to every carrier; a [Li] or [Na] section overrides keys for that
/// carrier. Throws InputError naming file, line, key, value and what is accepted.
SpaceSpec load_space(const std::filesystem::path& file, const std::string& carrier);

/// The prototype crystal and the role of each of its sites (same order).
struct Prototype {
  Crystal crystal;
  std::vector<Role> roles;
};

/// The tavorite prototype from the full P-1 cell of LiFeSO4F (16 sites, Z = 2, inversion centre at
/// the origin as in the standard setting). Roles by the letters that begin each site label
/// (the element when a label is empty): Li -> A, Fe -> M, S -> X, O -> O, F -> Z. Sets the formal
/// oxidation states (+1, +2, +6, -2, -1). Throws StructureError for other labels, counts other than
/// 2 A, 2 M, 2 X, 8 O, 2 Z, partial occupancy, or sites without an inversion image.
Prototype tavorite_prototype(const Crystal& lifeso4f);

/// O-H distance used for Z = OH (Å).
inline constexpr double kOHBondLength = 0.97;

/// Substitute a composition into the prototype: species, oxidation states and labels by role;
/// the site order is kept. For Z = OH the Z site becomes O and one H per Z site is appended at
/// kOHBondLength from it, in the direction that keeps it farthest from its nearest cation; the
/// second H is the exact inversion image of the first, so P-1 is kept. Cell and positions are
/// the prototype's (no scaling: bond-valence relaxation sets the geometry, a separate step).
Crystal substitute(const Prototype& prototype, const Composition& composition);

/// The roles of the sites of substitute(prototype, composition): the prototype's roles, then H
/// for each appended H.
std::vector<Role> substituted_roles(const Prototype& prototype, const Composition& composition);

}  // namespace ionscreen::structures
