#include "pipeline/jobs/structure_bvse.hpp"

#include <charconv>
#include <map>
#include <sstream>

#include "pipeline/base/atomic_file.hpp"
#include "pipeline/base/error.hpp"
#include "structures/elements.hpp"
#include "structures/structure_file.hpp"

namespace ionscreen::pipeline {

void assign_oxidation_states(structures::Crystal& crystal, const std::string& spec,
                             const std::string& source) {
  std::map<std::string, int> states;
  std::stringstream in(spec);
  std::string entry;
  while (std::getline(in, entry, ',')) {
    const auto colon = entry.find(':');
    int v = 0;
    const char* first = colon == std::string::npos ? nullptr : entry.data() + colon + 1;
    const auto r = first ? std::from_chars(first, entry.data() + entry.size(), v)
                         : std::from_chars_result{nullptr, std::errc::invalid_argument};
    if (!first || colon == 0 || r.ec != std::errc() || r.ptr != entry.data() + entry.size() ||
        v == 0)
      throw InputError("oxidation states '" + spec + "': entry '" + entry +
                       "' is not Element:state (e.g. Fe:2, O:-2)");
    states[entry.substr(0, colon)] = v;
  }
  for (auto& site : crystal.sites) {
    if (site.oxidation != 0) continue;
    const auto it = states.find(site.element);
    if (it == states.end())
      throw InputError(source + ": site " + site.label + " (" + site.element +
                       ") has no oxidation state; BVSE needs them: give a CIF with "
                       "_atom_type_oxidation_number or charged type symbols ('Fe2+'), or "
                       "--oxidation-states " +
                       site.element + ":n,...");
    site.oxidation = it->second;
  }
}

structures::BvseResult bvse_of_file(const StructureBvse& request) {
  structures::Crystal crystal = structures::read_structure(request.structure);
  assign_oxidation_states(crystal, request.oxidation_states, request.structure.string());
  const structures::ElementTable elements =
      structures::ElementTable::load(request.inputs / "elements");
  const structures::BvseTables tables =
      structures::BvseTables::load(request.inputs / "bvse", elements);
  structures::BvseOptions options;
  options.grid_spacing = request.grid_spacing;
  options.keep_grid = !request.cube.empty();
  structures::BvseResult result =
      structures::bvse_barriers(crystal, request.carrier, request.oxidation, tables, options);
  if (!request.cube.empty())
    write_atomically(request.cube, structures::write_cube(crystal, result));
  return result;
}

}  // namespace ionscreen::pipeline
