#pragma once
/// The built-in BVSE engine behind the job protocol: one job directory in, result.json out
/// (docs/job_protocol.md), so a campaign runs it like any DFT engine, locally or under Slurm
/// (cluster/wrappers/bvse.sh -> `ionscreen job`, pipeline/jobs/builtin_job.hpp).
#include <filesystem>
#include <nlohmann/json.hpp>

#include "pipeline/jobs/job_protocol.hpp"

namespace ionscreen::pipeline {

/// The BVSE engine on a job whose job.json (`job`, already checked for protocol 1) names it: reads
/// the structure from `dir`, element and bond-valence data from `inputs`, and returns the content
/// of result.json. Throws InputError naming job.json's key and value, or the structure's problem.
nlohmann::json bvse_job_result(const JobFile& job, const std::filesystem::path& dir,
                               const std::filesystem::path& inputs);

}  // namespace ionscreen::pipeline
