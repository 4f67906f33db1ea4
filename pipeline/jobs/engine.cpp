#include "pipeline/jobs/engine.hpp"

#include <cctype>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>

#include "pipeline/base/error.hpp"
#include "pipeline/jobs/job_protocol.hpp"

namespace ionscreen::pipeline {
namespace fs = std::filesystem;
namespace {

JobOutcome failed(std::string reason, bool retryable) {
  return JobFailed{std::move(reason), retryable};
}

/// The outcome a finished job's result.json gives; anything unusable is a retryable failure.
JobOutcome read_result(const fs::path& file, const std::string& job_id) {
  nlohmann::json result;
  try {
    result = read_json(file);
  } catch (const InputError& e) {
    return failed(e.what(), true);
  }
  const std::string where = file.string() + ": ";
  if (!result.is_object()) return failed(where + "the top level is not a JSON object", true);
  if (!result.contains("job_id")) return failed(where + "key 'job_id' missing", true);
  if (result["job_id"] != job_id)
    return failed(
        where + "job_id " + result["job_id"].dump() + " is not this job's (\"" + job_id + "\")",
        true);
  if (!result.contains("E_b")) return failed(where + "key 'E_b' missing", true);
  const nlohmann::json& e_b = result["E_b"];
  if (e_b.is_null() && result.contains("percolates") && result["percolates"] == false)
    return failed("no percolating path below 10 eV", false);
  if (e_b.is_null() && result.contains("converged") && result["converged"] == false) {
    std::string reason = "NEB not converged";
    if (result.contains("reason") && result["reason"].is_string())
      reason += " (" + result["reason"].get<std::string>() + ")";
    if (result.contains("E_b_lower_bound") && result["E_b_lower_bound"].is_number())
      reason += "; highest image " + result["E_b_lower_bound"].dump() + " eV above the start";
    return failed(reason, false);
  }
  if (!e_b.is_number()) return failed(where + "E_b " + e_b.dump() + " is not a number", true);
  const double value = e_b.get<double>();
  if (!std::isfinite(value)) return failed(where + "E_b " + e_b.dump() + " is not finite", true);
  return JobDone{value};
}

}  // namespace

JobOutcome Engine::read_outcome(const fs::path& dir, const std::string& job_id) const {
  const fs::path file = dir / "status";
  std::ifstream in(file);
  std::string status;
  if (!in || !std::getline(in, status)) return JobPending{};  // not started
  while (!status.empty() && std::isspace(static_cast<unsigned char>(status.back())))
    status.pop_back();
  if (status.empty() || status == "running") return JobPending{};
  if (status == "done") return read_result(dir / "result.json", job_id);
  if (status == "failed" || status.rfind("failed:", 0) == 0) {
    const auto start = status.find_first_not_of(' ', 7);
    if (status.size() <= 7 || start == std::string::npos)
      return failed(file.string() + ": failed, no reason given", false);
    return failed(status.substr(start), false);  // the engine's own words: an input problem
  }
  return failed(file.string() + ": '" + status +
                    "' is not a status (running, done or failed: "
                    "<reason>)",
                true);
}

}  // namespace ionscreen::pipeline
