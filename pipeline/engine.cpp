#include "pipeline/engine.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>

#include "pipeline/dft/codes.hpp"
#include "pipeline/dft/stages.hpp"
#include "pipeline/error.hpp"
#include "pipeline/faults.hpp"
#include "pipeline/job_files.hpp"

namespace ionscreen::pipeline {
namespace fs = std::filesystem;
namespace {

JobOutcome failed(std::string reason, bool retryable) {
  JobOutcome outcome;
  outcome.kind = JobOutcome::Kind::failed;
  outcome.reason = std::move(reason);
  outcome.retryable = retryable;
  return outcome;
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
  JobOutcome outcome;
  outcome.e_b = e_b.get<double>();
  if (!std::isfinite(outcome.e_b))
    return failed(where + "E_b " + e_b.dump() + " is not finite", true);
  outcome.kind = JobOutcome::Kind::done;
  return outcome;
}

/// A program path with a '/' made absolute (the wrapper runs in the job directory); a bare name
/// is left for PATH.
std::string program_path(const fs::path& program) {
  const std::string text = program.string();
  return text.find('/') == std::string::npos ? text : fs::absolute(program).string();
}

/// An engine built into ionscreen: `ionscreen job DIR`, behind cluster/wrappers/<name>.sh.
class BuiltinEngine : public Engine {
 public:
  /// `wrapper` is the script's name in cluster/wrappers/; `environment` more NAME=value entries.
  BuiltinEngine(std::string name, const CampaignConfig& config, const fs::path& program,
                const std::string& wrapper, std::vector<std::string> environment = {})
      : name_(std::move(name)),
        config_(config),
        program_(program_path(program)),
        inputs_(config.inputs.empty() ? data_directory() / "inputs" : config.inputs),
        wrapper_(data_directory() / "cluster" / "wrappers" / wrapper),
        environment_(std::move(environment)) {}

  std::string name() const override { return name_; }

  std::vector<std::string> argv(const fs::path& dir) const override {
    std::vector<std::string> argv = {"/usr/bin/env", std::string("IONSCREEN=") + program_,
                                     std::string("IONSCREEN_INPUTS=") + inputs_.string()};
    argv.insert(argv.end(), environment_.begin(), environment_.end());
    argv.insert(argv.end(), {"bash", wrapper_.string(), fs::absolute(dir).string()});
    return argv;
  }

 protected:
  /// The keys every job.json has.
  nlohmann::json job_json(const JobSpec& job) const {
    return {{"protocol", kJobProtocolVersion}, {"engine", name_}, {"job_id", job.job_id}};
  }
  const CampaignConfig& config() const { return config_; }

 private:
  std::string name_;
  CampaignConfig config_;
  std::string program_;
  fs::path inputs_;
  fs::path wrapper_;
  std::vector<std::string> environment_;
};

class BvseEngine : public BuiltinEngine {
 public:
  BvseEngine(const CampaignConfig& config, const fs::path& program)
      : BuiltinEngine("bvse", config, program, "bvse.sh") {}

  void write_inputs(const JobSpec& job, const fs::path& dir) const override {
    if (job.structure_cif.empty())
      throw InputError("job " + job.job_id +
                       ": the bvse engine needs a structure (CIF with "
                       "oxidation states), and JobSpec::structure_cif is empty");
    nlohmann::json json = job_json(job);
    json["structure"] = "structure.cif";
    json["carrier"] = job.carrier.empty() ? config().carrier : job.carrier;
    json["grid_spacing"] = config().grid_spacing;
    json["barrier"] = config().barrier;
    write_atomically(dir / "structure.cif", job.structure_cif);
    write_atomically(dir / "job.json", json.dump(2) + "\n");
  }
};

class TableEngine : public BuiltinEngine {
 public:
  TableEngine(const CampaignConfig& config, const fs::path& program)
      : BuiltinEngine("table", config, program, "table.sh") {}

  void write_inputs(const JobSpec& job, const fs::path& dir) const override {
    nlohmann::json json = job_json(job);
    json["candidate"] = job.candidate;
    json["table"] = config().engine_table.string();
    json["key_column"] = config().engine_table_key;
    json["column"] = config().engine_table_column;
    if (!config().faults.empty()) json["faults"] = config().faults;
    json["seed"] = config().seed;
    write_atomically(dir / "job.json", json.dump(2) + "\n");
  }
};


/// A DFT/NEB code (pipeline/dft/): the job directory gets the structure and every setting; the
/// wrapper dft.sh runs `ionscreen dft-step` and the commands it names until the job ends.
class DftEngine : public BuiltinEngine {
 public:
  DftEngine(const CampaignConfig& config, const fs::path& program, dft::DftSite site)
      : BuiltinEngine(config.engine, config, program, "dft.sh",
                      {std::string("IONSCREEN_SITE_SETUP=") + site.setup.string()}),
        code_(dft::make_code(config.engine)),
        site_(std::move(site)) {}

  void check_elements(const std::set<std::string>& elements) const override {
    code_->check(config().dft, elements);
  }

  void write_inputs(const JobSpec& job, const fs::path& dir) const override {
    if (job.structure_cif.empty())
      throw InputError("job " + job.job_id + ": engine " + name() +
                       " needs the candidate's structure, and this pool has none (a pool read "
                       "from a table has no structures; use [candidates] space)");
    if (!job.previous_attempt.empty()) dft::carry_over(job.previous_attempt, dir, code_->scratch());
    nlohmann::json json = job_json(job);
    json["carrier"] = job.carrier.empty() ? config().carrier : job.carrier;
    json["structure"] = "structure.cif";
    json["dft"] = dft::to_json(config().dft);
    json["site"] = dft::to_json(site_);
    write_atomically(dir / "structure.cif", job.structure_cif);
    write_atomically(dir / "job.json", json.dump(2) + "\n");
  }

 private:
  std::unique_ptr<dft::DftCode> code_;
  dft::DftSite site_;
};

}  // namespace

JobOutcome Engine::read_outcome(const fs::path& dir, const std::string& job_id) const {
  const fs::path file = dir / "status";
  std::ifstream in(file);
  std::string status;
  if (!in || !std::getline(in, status)) return {};  // not started
  while (!status.empty() && std::isspace(static_cast<unsigned char>(status.back())))
    status.pop_back();
  if (status.empty() || status == "running") return {};
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

std::unique_ptr<Engine> make_engine(const CampaignConfig& config, const fs::path& program) {
  const std::string where = config.file.string() + ": [engine] ";
  if (config.engine == "bvse") {
    if (!config.faults.empty())
      throw InputError(where + "faults = '" + config.faults +
                       "': fault injection is only for engine = table");
    return std::make_unique<BvseEngine>(config, program);
  }
  if (config.engine == "table") {
    if (config.engine_table.empty() || !config.engine_table.is_absolute())
      throw InputError(where + "table = '" + config.engine_table.string() +
                       "': engine = table needs the absolute path of the CSV to look E_b up in");
    parse_faults(config.faults, where + "faults");
    return std::make_unique<TableEngine>(config, program);
  }
  const auto& codes = dft::code_names();
  if (std::find(codes.begin(), codes.end(), config.engine) != codes.end()) {
    if (!config.faults.empty())
      throw InputError(where + "faults = '" + config.faults +
                       "': fault injection is only for engine = table");
    dft::DftSite site = dft::read_site(config.dft.site);
    // Without a setup script the programs must already be runnable here (a setup script may put
    // them on PATH only inside the job, e.g. by loading modules on a compute node).
    if (config.backend == "local" && site.setup.empty())
      if (const std::string missing = dft::missing_programs(config.engine, site); !missing.empty())
        throw InputError(config.dft.site.string() + ": " + missing);
    return std::make_unique<DftEngine>(config, program, std::move(site));
  }
  throw InputError(where + "engine = '" + config.engine +
                   "' is not one of bvse, table, qe, cp2k, vasp");
}

}  // namespace ionscreen::pipeline
