#pragma once
/// What a campaign derives from its config once, when it starts: the threshold in eV, the
/// optimiser's settings, the transfer source, and which settings may not change on resume.
#include <optional>
#include <string>
#include <vector>

#include "gp/optimizer.hpp"
#include "pipeline/campaign_config.hpp"
#include "pipeline/campaign_file.hpp"
#include "pipeline/candidates.hpp"

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

/// The source task for transfer (none: nullopt): the source campaign's results on its
/// candidates, in the target's descriptor columns, with its kernel and last hyperparameters.
/// Records the source's provenance in `record`. InputError if the source cannot be read, has
/// fewer than 2 results, or lacks one of the target's descriptor columns.
std::optional<gp::SourceTask> load_transfer_source(const CampaignConfig& config,
                                                   const Features& target, CampaignRecord& record);

/// Settings that define a campaign and may not change between run and resume, as
/// "key: 'old' -> 'new'" lines (empty: none changed).
std::vector<std::string> identity_differences(const CampaignConfig& before, const CampaignConfig& now);

}  // namespace ionscreen::pipeline
