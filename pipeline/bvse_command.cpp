#include "pipeline/bvse_command.hpp"

#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

#include "pipeline/error.hpp"
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
    if (!first || colon == 0 || r.ec != std::errc() || r.ptr != entry.data() + entry.size() || v == 0)
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
                       "--oxidation-states " + site.element + ":n,...");
    site.oxidation = it->second;
  }
}

structures::BvseResult run_bvse(const BvseCommand& command) {
  structures::Crystal crystal = structures::read_structure(command.structure);
  assign_oxidation_states(crystal, command.oxidation_states, command.structure.string());
  const structures::ElementTable elements = structures::ElementTable::load(command.inputs / "elements");
  const structures::BvseTables tables = structures::BvseTables::load(command.inputs / "bvse", elements);
  structures::BvseOptions options;
  options.grid_spacing = command.grid_spacing;
  options.keep_grid = !command.cube.empty();
  structures::BvseResult result =
      structures::bvse_barriers(crystal, command.carrier, command.oxidation, tables, options);
  if (!command.cube.empty()) {
    const std::filesystem::path temporary = command.cube.string() + ".tmp";
    {
      std::ofstream f(temporary);
      f << structures::write_cube(crystal, result);
      f.flush();
      if (!f) throw InputError(temporary.string() + ": cannot write");
    }
    std::filesystem::rename(temporary, command.cube);
  }
  return result;
}

}  // namespace ionscreen::pipeline
