#pragma once
/// The table engine in this process, for virtual campaigns: a Backend that finishes every job the
/// moment it is submitted and an Engine whose outcome is the table's value for the candidate, so
/// that a campaign (pipeline/campaign/campaign.hpp) runs its own propose / ingest / retry / stop
/// logic without job directories, processes or polling delays. A non-finite value (inf in a BVSE
/// landscape: no percolating path) is a failed evaluation that no retry can help, as with the
/// bvse engine.
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "pipeline/backends/backend.hpp"
#include "pipeline/jobs/engine.hpp"

namespace ionscreen::pipeline {

/// E_b by candidate name.
using Barriers = std::unordered_map<std::string, double>;

class TableOracle : public Backend, public Engine {
 public:
  explicit TableOracle(std::shared_ptr<const Barriers> barriers) : barriers_(std::move(barriers)) {}

  // Engine
  std::string name() const override { return "table"; }
  bool needs_directory() const override { return false; }
  /// Remembers which candidate the job is; writes nothing.
  void write_inputs(const JobSpec& job, const std::filesystem::path& dir) const override;
  std::vector<std::string> argv(const std::filesystem::path&) const override { return {}; }
  /// The candidate's value (done), or a failure for a non-finite value; pending for a job it was
  /// never given. InputError for a candidate the table does not have.
  JobOutcome read_outcome(const std::filesystem::path& dir,
                          const std::string& job_id) const override;

  // Backend: the scheduler id is the job id, and every job is finished when polled.
  std::string submit(const Submission& submission) override { return submission.job_id; }
  std::map<std::string, JobReport> poll(const std::vector<std::string>& scheduler_ids) override;
  void cancel(const std::string&) override {}
  std::vector<std::string> find_by_name(const std::string&) override { return {}; }

 private:
  std::shared_ptr<const Barriers> barriers_;
  mutable std::unordered_map<std::string, std::string> candidates_;  ///< job id -> candidate
};

}  // namespace ionscreen::pipeline
