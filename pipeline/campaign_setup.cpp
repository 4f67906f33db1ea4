#include "pipeline/campaign_setup.hpp"

#include "pipeline/dft/dft_settings.hpp"

#include <cmath>
#include <sstream>

#include "pipeline/dft/dft_settings.hpp"
#include "pipeline/error.hpp"
#include "pipeline/table.hpp"
#include "pipeline/threshold.hpp"

namespace ionscreen::pipeline {

ResolvedThreshold resolve_threshold(const CampaignConfig& config) {
  const Threshold t = parse_threshold(config.threshold);
  if (t.kind == Threshold::Kind::absolute) return {t.value, "absolute"};
  const Table table = read_table(config.threshold_reference).where(config.threshold_where);
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
  c.acquisition.kind = gp::parse_acquisition(
      !config.acquisition.empty() ? config.acquisition : config.mode == "threshold" ? "lse" : "ei");
  c.acquisition.threshold = threshold;
  c.batch = gp::parse_batch_method(config.batch_method);
  c.initial_design = config.initial_candidates.empty()
                         ? config.initial
                         : std::max<int>(2, static_cast<int>(config.initial_candidates.size()));
  c.transfer.mode = gp::parse_transfer_mode(config.transfer);
  c.seed = config.seed;
  return c;
}

std::optional<gp::SourceTask> load_transfer_source(const CampaignConfig& config,
                                                   const Features& target, CampaignRecord& record) {
  if (config.transfer == "none") return std::nullopt;
  std::filesystem::path file = config.transfer_source;
  if (std::filesystem::is_directory(file)) file = CampaignPaths(file).campaign;
  const CampaignRecord source = read_campaign_file(file);
  const CandidatePool pool = read_pool(CampaignPaths(file.parent_path()).candidates);
  if (std::to_string(pool.fingerprint) != source.pool_fingerprint)
    throw InputError(file.string() + ": its candidates.h5 is not the one the campaign was run on");
  std::vector<Eigen::Index> rows;
  std::vector<double> y;
  for (const auto& job : source.jobs)
    if (job.state == "done") {
      rows.push_back(static_cast<Eigen::Index>(job.candidate));
      y.push_back(job.e_b);
    }
  if (rows.size() < 2)
    throw InputError("transfer source " + file.string() + " has " + std::to_string(rows.size()) +
                     " results; transfer needs at least 2");
  const gp::OptimizerState state = gp::state_from_text(source.optimizer_state);
  gp::SourceTask task;
  task.X = columns(pool, target.names)(rows, Eigen::all);
  task.y = Eigen::Map<const Eigen::VectorXd>(y.data(), static_cast<Eigen::Index>(y.size()));
  task.kernel_spec = state.kernel_spec;
  task.hyperparameters = state.hyperparameters;
  record.transfer_source = std::filesystem::absolute(file).lexically_normal().string();
  record.transfer_source_name = source.name;
  record.transfer_source_fingerprint = source.pool_fingerprint;
  record.transfer_source_observations = static_cast<std::int64_t>(rows.size());
  return task;
}

std::vector<std::string> identity_differences(const CampaignConfig& before, const CampaignConfig& now) {
  std::vector<std::string> out;
  const auto same = [&](const char* key, const std::string& a, const std::string& b) {
    if (a != b) out.push_back(std::string(key) + ": '" + a + "' -> '" + b + "'");
  };
  same("campaign.carrier", before.carrier, now.carrier);
  same("campaign.seed", std::to_string(before.seed), std::to_string(now.seed));
  same("candidates.space", before.table.empty() ? before.space.string() : "",
       now.table.empty() ? now.space.string() : "");
  same("candidates.table", before.table.string(), now.table.string());
  same("candidates.where", before.table_where, now.table_where);
  same("search.mode", before.mode, now.mode);
  same("search.threshold", before.threshold, now.threshold);
  same("search.kernel", before.kernel, now.kernel);
  same("search.acquisition", before.acquisition, now.acquisition);
  same("search.initial", std::to_string(before.initial), std::to_string(now.initial));
  same("search.transfer", before.transfer, now.transfer);
  same("engine.name", before.engine, now.engine);
  same("engine.barrier", before.barrier, now.barrier);
  same("engine.table", before.engine_table.string(), now.engine_table.string());
  same("engine.column", before.engine_table_column, now.engine_table_column);
  // Every [dft] setting that changes the barriers computed; step caps, corrections and the site
  // profile may change on resume.
  const nlohmann::json a = dft::to_json(before.dft), b = dft::to_json(now.dft);
  for (const auto& [key, value] : a.items()) {
    if (key.starts_with("max_") || key == "site") continue;
    if (value != b[key]) same(("dft." + key).c_str(), value.dump(), b[key].dump());
  }
  return out;
}

}  // namespace ionscreen::pipeline
