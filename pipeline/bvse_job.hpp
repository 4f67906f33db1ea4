#pragma once
/// The built-in BVSE engine behind the job protocol: one job directory in, status and
/// result.json out (docs/job_protocol.md), so a campaign runs it like any DFT engine, locally or
/// under Slurm (cluster/wrappers/bvse.sh).
#include <filesystem>

namespace ionscreen::pipeline {

/// Read dir/job.json, write dir/status ("running", then "done" or "failed: <reason>") and, on
/// success, dir/result.json. Every outcome is a file: returns false (never throws) on failure.
bool run_bvse_job(const std::filesystem::path& dir, const std::filesystem::path& inputs);

}  // namespace ionscreen::pipeline
