#include "pipeline/jobs/bvse_job.hpp"

#include <chrono>
#include <cmath>

#include "pipeline/base/error.hpp"
#include "pipeline/jobs/job_protocol.hpp"
#include "pipeline/jobs/structure_bvse.hpp"

namespace ionscreen::pipeline {
namespace {

nlohmann::json energy(double e) { return std::isfinite(e) ? nlohmann::json(e) : nlohmann::json(); }

}  // namespace

nlohmann::json bvse_job_result(const JobFile& job, const std::filesystem::path& dir,
                               const std::filesystem::path& inputs) {
  job.require_only({"protocol", "engine", "job_id", "structure", "carrier", "carrier_oxidation",
                    "grid_spacing", "barrier", "oxidation_states"});
  const std::string structure = job.file_name("structure");
  const std::string barrier = job.text("barrier", "E_1D");
  if (barrier != "E_1D" && barrier != "E_2D" && barrier != "E_3D")
    throw InputError(job.path().string() + ": key 'barrier': '" + barrier +
                     "' is not one of E_1D, E_2D, E_3D");
  StructureBvse request;
  request.structure = dir / structure;
  request.carrier = job.text("carrier");
  request.oxidation = job.integer("carrier_oxidation", 1);
  request.grid_spacing = job.number("grid_spacing", request.grid_spacing);
  request.oxidation_states = job.text("oxidation_states", "");
  request.inputs = inputs;
  const auto started = std::chrono::steady_clock::now();
  const structures::BvseResult r = bvse_of_file(request);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double chosen = barrier == "E_1D" ? r.e1d : barrier == "E_2D" ? r.e2d : r.e3d;
  return {{"protocol", kJobProtocolVersion},
          {"engine", "bvse"},
          {"job_id", job.text("job_id")},
          {"barrier", barrier},
          {"E_b", energy(chosen)},
          {"percolates", std::isfinite(chosen)},
          {"E_1D", energy(r.e1d)},
          {"E_2D", energy(r.e2d)},
          {"E_3D", energy(r.e3d)},
          {"grid", {r.grid[0], r.grid[1], r.grid[2]}},
          {"grid_spacing", request.grid_spacing},
          {"seconds", seconds}};
}

}  // namespace ionscreen::pipeline
