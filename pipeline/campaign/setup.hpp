#pragma once
/// What a campaign derives from its config once, when it starts: the threshold in eV, the
/// optimiser's settings, the transfer source, and which settings may not change on resume.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gp/optimizer.hpp"
#include "pipeline/campaign/config.hpp"
#include "pipeline/pool/candidate_pool.hpp"
#include "pipeline/store/campaign_file.hpp"

namespace ionscreen::pipeline {

/// The threshold in eV and how it was obtained: the absolute value, or a quantile of the
/// reference table's column over the rows of threshold_where.
struct ResolvedThreshold {
  double value = 0;
  std::string how;
};
ResolvedThreshold resolve_threshold(const CampaignConfig& config);

gp::OptimizerConfig optimizer_config(const CampaignConfig& config, const Features& features,
                                     double threshold);

/// A transfer source: the task the optimiser transfers from, and where it came from (recorded in
/// the campaign file; empty for a virtual campaign's source).
struct TransferSource {
  gp::SourceTask task;
  std::string file;         ///< the source campaign file (absolute)
  std::string name;         ///< the source campaign's name
  std::string fingerprint;  ///< of its candidate pool
  std::int64_t observations = 0;
};

/// The source for transfer (none: nullopt): the source campaign's results on its candidates, in
/// the target's descriptor columns, with its kernel and last hyperparameters. InputError if the
/// source cannot be read, has fewer than 2 results, or lacks one of the target's descriptor
/// columns.
std::optional<TransferSource> load_transfer_source(const CampaignConfig& config,
                                                   const Features& target);

/// The identity keys (campaign/config.hpp identity_keys) whose values differ, as
/// "section.key: 'old' -> 'new'" lines (empty: none changed).
std::vector<std::string> identity_differences(const CampaignConfig& before,
                                              const CampaignConfig& now);

}  // namespace ionscreen::pipeline
