#pragma once
// Shared test support. The tavorite prototype LiFeSO4F typed in from
// /work/shared/data/prototypes/LiFeSO4F_tavorite.cif (Melot et al., Chem. Mater. 23, 2922 (2011),
// parent P-1 cell), with the inversion images of the general positions added, for tests that must
// not depend on the CIF reader.
#include <string>

#include "structures/crystal.hpp"

namespace ionscreen::structures::testing {

/// `carrier` replaces Li (label and element), for Na analogues in the prototype's geometry.
inline Crystal lifeso4f(const std::string& carrier = "Li") {
  Crystal c;
  c.name = carrier + "FeSO4F";
  c.lattice = lattice_from_parameters({5.18005, 5.49165, 7.22890, 106.49, 107.19, 97.91});
  const struct {
    const char* label;
    const char* element;
    int oxidation;
    double x, y, z;
  } asym[] = {{"Li1", "Li", 1, 0.27000, 0.63400, 0.75700},
              {"Fe1", "Fe", 2, 0.0, 0.0, 0.5},
              {"Fe2", "Fe", 2, 0.0, 0.0, 0.0},
              {"S1", "S", 6, 0.32440, 0.63810, 0.24950},
              {"O1", "O", -2, 0.59760, 0.74690, 0.41190},
              {"O2", "O", -2, 0.10630, 0.64070, 0.34480},
              {"O3", "O", -2, 0.31980, 0.35640, 0.14580},
              {"O4", "O", -2, 0.27900, 0.77080, 0.10160},
              {"F1", "F", -1, 0.12590, 0.91440, 0.75520}};
  for (const auto& s : asym) {
    const Eigen::Vector3d f(s.x, s.y, s.z);
    const bool a_site = std::string(s.element) == "Li";
    const std::string element = a_site ? carrier : s.element;
    const std::string label = a_site ? carrier + "1" : s.label;
    c.sites.push_back({element, f, s.oxidation, label});
    const Eigen::Vector3d g = wrap(-f);
    if ((g - f).norm() > 1e-9) c.sites.push_back({element, g, s.oxidation, label});
  }
  return c;
}

/// The message of the E thrown by f, or "<nothing thrown>" (for matching with Contains).
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<nothing thrown>";
}

}  // namespace ionscreen::structures::testing
