#include "pipeline/studies/table_oracle.hpp"

#include <cmath>

#include "pipeline/base/error.hpp"

namespace ionscreen::pipeline {

void TableOracle::write_inputs(const JobSpec& job, const std::filesystem::path&) const {
  candidates_[job.job_id] = job.candidate;
}

JobOutcome TableOracle::read_outcome(const std::filesystem::path&,
                                     const std::string& job_id) const {
  const auto job = candidates_.find(job_id);
  if (job == candidates_.end()) return JobPending{};
  const auto value = barriers_->find(job->second);
  if (value == barriers_->end())
    throw InputError("the table has no barrier for candidate '" + job->second + "'");
  if (std::isfinite(value->second)) return JobDone{value->second};
  return JobFailed{"no finite barrier in the table (no percolating path)", false};
}

std::map<std::string, JobReport> TableOracle::poll(const std::vector<std::string>& scheduler_ids) {
  std::map<std::string, JobReport> out;
  for (const auto& id : scheduler_ids) out[id] = {id, JobState::finished, ""};
  return out;
}

}  // namespace ionscreen::pipeline
