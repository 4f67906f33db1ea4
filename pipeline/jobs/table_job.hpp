#pragma once
/// The table engine behind the job protocol (docs/job_protocol.md): instead of computing E_b it
/// looks the candidate up in a CSV table, for virtual campaigns on a known landscape and for
/// testing a campaign's failure handling with injected faults (pipeline/jobs/faults.hpp).
#include <filesystem>
#include <optional>
#include <string>

#include "pipeline/jobs/job_protocol.hpp"

namespace ionscreen::pipeline {

/// The value in `column` of the row whose `key_column` (the table's first column, or a text
/// column whose values are unique for `key`) is `key`. InputError naming the table, key, column and
/// value when the key or column is missing, the value is not a number, or not finite (inf in a
/// BVSE landscape means no percolating path below 10 eV, and the message says so).
double look_up_barrier(const std::filesystem::path& table, const std::string& key_column,
                       const std::string& key, const std::string& column);

/// The table engine on a job whose job.json (`job`, already checked for protocol 1) names it: the
/// text of result.json, or nothing when the job draws the injected fault `fail` (or wakes from
/// `hang`): the caller then writes no final status and exits non-zero, as a crashed code would.
/// Sleeps for `slow` (0.5 s) and `hang` (an hour); for `garbage` returns unusable text. Throws
/// InputError for a bad job.json, table, key, column or value.
std::optional<std::string> table_job_result(const JobFile& job);

}  // namespace ionscreen::pipeline
