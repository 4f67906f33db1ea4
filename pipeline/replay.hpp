#pragma once
/// Replay: seeded Bayesian-optimisation trials against a complete table of barriers, compared
/// with random search. Descriptors are the numeric columns named "<group>.<name>"; the group
/// (A, M, X, Z, structure) is what an additive kernel's `se[M]` refers to. Other columns (text,
/// or numeric without a group, such as other barriers) are never shown to the search.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "gp/optimizer.hpp"

namespace ionscreen::pipeline {

struct ReplayConfig {
  std::filesystem::path table;
  std::string target = "E_b";  ///< column holding the barrier (eV)
  std::string where;           ///< "column=value": keep only these rows (e.g. carrier=Na)
  std::string kernel = "auto"; ///< kernel spec; auto: sum(se[g]) over the groups present
  int trials = 20;
  std::uint64_t seed = 1;
  int initial_design = 5;
  int restarts = 2;
  double threshold_quantile = 0.05;  ///< threshold search: t at this quantile of the table
};

/// Evaluations each strategy needed, one entry per trial.
struct ReplayResult {
  std::size_t pool_size = 0;
  std::string kernel;                 ///< the spec used
  std::size_t descriptors = 0;        ///< columns the search saw
  std::vector<std::string> dropped;   ///< descriptor columns constant over the rows
  std::string best_key;
  double best_value = 0.0;
  std::vector<int> bo_to_optimum, random_to_optimum;
  double threshold = 0.0;
  std::vector<std::string> below_threshold;  ///< keys with value < threshold (the truth)
  std::vector<int> lse_evaluations;          ///< until nothing was undecided
  std::vector<double> lse_recall;            ///< fraction of the truth labelled below
  std::vector<std::string> found_first_trial;  ///< what the first threshold trial labelled below
};

/// Progress callback: (stage, trial, trials).
using Progress = void (*)(const char* stage, int trial, int trials);

ReplayResult run_replay(const ReplayConfig& config, Progress progress = nullptr);

}  // namespace ionscreen::pipeline
