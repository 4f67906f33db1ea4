#pragma once
/// The engines built into ionscreen (bvse, table), run on one job directory by `ionscreen job DIR`
/// (what cluster/wrappers/bvse.sh and table.sh call).
#include <filesystem>

namespace ionscreen::pipeline {

/// Read dir/job.json and run the engine it names; writes dir/status ("running", then "done" or
/// "failed: <reason>") and, on success, dir/result.json (docs/job_protocol.md). Every outcome is a
/// file: returns false (never throws) on failure. `inputs` holds elements/ and bvse/.
/// The protocol version and `engine` are checked here, each engine checks its own keys. A table
/// job that draws the injected fault `fail` (docs/job_protocol.md, "Fault injection") returns
/// false with the status left at "running", as a crashed code would; `hang` sleeps an hour first.
bool run_builtin_job(const std::filesystem::path& dir, const std::filesystem::path& inputs);

}  // namespace ionscreen::pipeline
