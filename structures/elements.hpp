#pragma once
/// Per-element data and Shannon ionic radii, read from `inputs/elements/` (generated from
/// pymatgen and ASE by `inputs/elements/make_element_tables.py`; provenance in SOURCES.md there).
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ionscreen::structures {

/// One row of `elements.csv`.
struct ElementData {
  std::string symbol;                       ///< "Fe"
  int Z = 0;                                ///< atomic number
  double mass = 0.0;                        ///< standard atomic mass, u
  int period = 0;                           ///< row of the periodic table (H 1, Li 2, Na 3)
  int group = 0;                            ///< IUPAC group 1-18 (lanthanides/actinides: 3)
  char block = '?';                         ///< 's', 'p', 'd' or 'f'
  std::optional<double> electronegativity;  ///< Pauling; empty for He, Ne, Ar
  double covalent_radius = 0.0;             ///< Cordero et al. 2008, Å
};

/// One row of `shannon_radii.csv` (R. D. Shannon, Acta Cryst. A 32, 751 (1976)).
struct ShannonRadius {
  std::string symbol;
  int oxidation = 0;
  int coordination = 0;         ///< Shannon's roman numeral as an integer
  std::string geometry;         ///< "" (regular), "square" (Shannon SQ) or "pyramidal" (PY)
  std::string spin;             ///< "", "high" or "low"
  double ionic_radius = 0.0;    ///< Å
  double crystal_radius = 0.0;  ///< Å (ionic + 0.14 Å for most ions)
};

/// Element data and Shannon radii. A value: load once, pass by const reference.
class ElementTable {
 public:
  /// Read `dir/elements.csv` and `dir/shannon_radii.csv`. Lines starting with '#' are comments;
  /// the first other line is the column header and must match the expected columns. Throws
  /// InputError naming the file and line for a missing file, a wrong header, a bad field or a
  /// duplicate row.
  static ElementTable load(const std::filesystem::path& dir);

  /// Data for one element. Throws InputError naming the symbol and `elements.csv`.
  const ElementData& element(const std::string& symbol) const;
  bool has_element(const std::string& symbol) const;

  /// True when Shannon lists the ion (symbol, oxidation) in any coordination.
  bool has_ion(const std::string& symbol, int oxidation) const;
  /// Oxidation states Shannon lists for an element, ascending (empty when none).
  std::vector<int> oxidation_states(const std::string& symbol) const;

  /// The Shannon entry for an ion in a coordination.
  ///
  /// - If Shannon has no entry for exactly `coordination`, the nearest available coordination is
  ///   used (ties go to the higher coordination); the returned entry's `coordination` says which.
  /// - Among entries of that coordination, the regular geometry is preferred over square or
  ///   pyramidal, then high spin over no spin label over low spin.
  ///
  /// Throws InputError when the ion is not in the table at all, naming the ion ("Fe7+"), the file
  /// and the oxidation states that are available for the element.
  const ShannonRadius& shannon(const std::string& symbol, int oxidation, int coordination) const;

  /// Shannon ionic radius (Å) of the entry chosen by shannon() (same fallbacks and errors).
  double shannon_radius(const std::string& symbol, int oxidation, int coordination) const;

  /// Number of elements and of Shannon rows read.
  std::size_t element_count() const { return elements_.size(); }
  std::size_t shannon_count() const;

 private:
  std::filesystem::path elements_file_, shannon_file_;
  std::map<std::string, ElementData> elements_;
  /// (symbol, oxidation) -> all entries, sorted by coordination then preference.
  std::map<std::pair<std::string, int>, std::vector<ShannonRadius>> shannon_;
};

/// "Fe2+", "O2-", "Li+", "F-", "Xe0": an ion in the usual notation, for messages.
std::string ion_name(const std::string& symbol, int oxidation);

}  // namespace ionscreen::structures
