#include "pipeline/jobs/builtin_job.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "pipeline/base/error.hpp"
#include "pipeline/jobs/bvse_job.hpp"
#include "pipeline/jobs/job_protocol.hpp"
#include "pipeline/jobs/table_job.hpp"

namespace ionscreen::pipeline {
namespace {

/// The engine job.json names, run: the text of result.json, or nothing for an injected crash.
std::optional<std::string> run_engine(const JobFile& job, const std::filesystem::path& dir,
                                      const std::filesystem::path& inputs) {
  const int protocol = job.integer("protocol", 0);
  if (protocol != kJobProtocolVersion)
    throw InputError(job.path().string() + ": key 'protocol': " + std::to_string(protocol) +
                     " is not supported; this ionscreen speaks protocol " +
                     std::to_string(kJobProtocolVersion));
  job.text("job_id");  // every engine's result names its job
  const std::string engine = job.text("engine");
  if (engine == "bvse") return bvse_job_result(job, dir, inputs).dump(2) + "\n";
  if (engine == "table") return table_job_result(job);
  throw InputError(job.path().string() + ": key 'engine': '" + engine +
                   "' is not this engine: the built-in engines are bvse, table");
}

}  // namespace

bool run_builtin_job(const std::filesystem::path& dir, const std::filesystem::path& inputs) {
  try {
    write_atomically(dir / "status", "running\n");
    const JobFile job(dir / "job.json", read_json(dir / "job.json"));
    const std::optional<std::string> result = run_engine(job, dir, inputs);
    if (!result) return false;  // an injected crash: the status stays "running"
    write_atomically(dir / "result.json", *result);
    write_atomically(dir / "status", "done\n");
    return true;
  } catch (const std::exception& e) {
    std::string reason = e.what();
    std::replace(reason.begin(), reason.end(), '\n', ' ');
    try {
      write_atomically(dir / "status", "failed: " + reason + "\n");
    } catch (const std::exception&) {
      // The directory itself is unusable; the scheduler's record is all that is left.
    }
    return false;
  }
}

}  // namespace ionscreen::pipeline
