#pragma once
/// BVSE barriers of one structure file: what `ionscreen bvse` prints and the bvse engine's jobs
/// compute (jobs/bvse_job.hpp).
#include <filesystem>
#include <string>

#include "structures/bvse.hpp"

namespace ionscreen::pipeline {

struct StructureBvse {
  std::filesystem::path structure;  ///< CIF (with oxidation states) or POSCAR
  std::string carrier = "Li";
  int oxidation = 1;
  double grid_spacing = 0.2;                ///< Å
  std::filesystem::path cube;               ///< write the energy grid here if not empty
  std::filesystem::path inputs = "inputs";  ///< holds elements/ and bvse/
  /// Oxidation states for sites the file leaves without one, "Li:1,Fe:2,S:6,O:-2,F:-1".
  std::string oxidation_states;
};

/// Set the oxidation state of every site that has none from "El:n,El:n"; InputError naming the
/// text for a malformed entry, and naming the site for one still without a state.
void assign_oxidation_states(structures::Crystal& crystal, const std::string& spec,
                             const std::string& source);

/// Read, compute, and write the cube file if asked (atomically). Throws InputError naming the
/// file and the problem.
structures::BvseResult bvse_of_file(const StructureBvse& request);

}  // namespace ionscreen::pipeline
