#include "pipeline/campaign/setup.hpp"

#include <cmath>
#include <sstream>

#include "gp/text.hpp"
#include "pipeline/base/csv_table.hpp"
#include "pipeline/base/error.hpp"
#include "pipeline/campaign/threshold.hpp"
#include "pipeline/jobs/dft/dft_settings.hpp"
#include "pipeline/store/pool_file.hpp"

namespace ionscreen::pipeline {

ResolvedThreshold resolve_threshold(const CampaignConfig& config) {
  const Threshold& t = config.threshold;
  if (t.kind == Threshold::Kind::absolute) return {t.value, "absolute"};
  const CsvTable table = read_csv_table(config.threshold_reference).where(config.threshold_where);
  const Eigen::VectorXd column = table.values.col(table.column(config.threshold_column));
  const double value = resolve(t, std::vector<double>(column.begin(), column.end()));
  std::ostringstream how;
  how << 100.0 * t.value << "% quantile of " << config.threshold_reference.string() << " (column "
      << config.threshold_column << ", " << column.size() << " rows"
      << (config.threshold_where.empty() ? "" : " where " + config.threshold_where) << ")";
  return {value, how.str()};
}

gp::OptimizerConfig optimizer_config(const CampaignConfig& config, const Features& features,
                                     double threshold) {
  gp::OptimizerConfig c;
  c.kernel = config.kernel == "auto" ? features.auto_kernel : config.kernel;
  c.acquisition.kind = config.acquisition;
  c.acquisition.threshold = threshold;
  c.batch = config.batch_method;
  c.initial_design = config.initial_candidates.empty()
                         ? config.initial
                         : std::max<int>(2, static_cast<int>(config.initial_candidates.size()));
  c.transfer.mode = config.transfer;
  c.seed = config.seed;
  return c;
}

std::optional<TransferSource> load_transfer_source(const CampaignConfig& config,
                                                   const Features& target) {
  if (config.transfer == gp::TransferMode::none) return std::nullopt;
  std::filesystem::path file = config.transfer_source;
  if (std::filesystem::is_directory(file)) file = CampaignPaths(file).campaign;
  const CampaignRecord source = read_campaign_file_or_previous(file).record;
  const CandidatePool pool = read_pool_file(CampaignPaths(file.parent_path()).candidates);
  if (std::to_string(pool.fingerprint) != source.pool_fingerprint)
    throw InputError(file.string() + ": its candidates.h5 is not the one the campaign was run on");
  std::vector<Eigen::Index> rows;
  std::vector<double> y;
  for (const auto& job : source.jobs)
    if (job.state == LedgerState::done) {
      rows.push_back(static_cast<Eigen::Index>(job.candidate));
      y.push_back(job.e_b);
    }
  if (rows.size() < 2)
    throw InputError("transfer source " + file.string() + " has " + std::to_string(rows.size()) +
                     " results; transfer needs at least 2");
  const gp::OptimizerState state = gp::state_from_text(source.optimizer_state);
  TransferSource out;
  out.task.X = columns(pool, target.names)(rows, Eigen::all);
  out.task.y = Eigen::Map<const Eigen::VectorXd>(y.data(), static_cast<Eigen::Index>(y.size()));
  out.task.kernel_spec = state.kernel_spec;
  out.task.hyperparameters = state.hyperparameters;
  out.file = std::filesystem::absolute(file).lexically_normal().string();
  out.name = source.name;
  out.fingerprint = source.pool_fingerprint;
  out.observations = static_cast<std::int64_t>(rows.size());
  return out;
}

std::vector<std::string> identity_differences(const CampaignConfig& before,
                                              const CampaignConfig& now) {
  std::vector<std::string> out;
  for (const auto& key : identity_keys()) {
    const std::string a = config_value(before, key), b = config_value(now, key);
    if (a != b) out.push_back(key + ": '" + a + "' -> '" + b + "'");
  }
  return out;
}

}  // namespace ionscreen::pipeline
