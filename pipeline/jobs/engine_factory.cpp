#include "pipeline/jobs/engine_factory.hpp"

#include <nlohmann/json.hpp>
#include <utility>

#include "pipeline/base/atomic_file.hpp"
#include "pipeline/base/data_directory.hpp"
#include "pipeline/base/error.hpp"
#include "pipeline/jobs/dft/codes.hpp"
#include "pipeline/jobs/dft/stages.hpp"
#include "pipeline/jobs/faults.hpp"
#include "pipeline/jobs/job_protocol.hpp"

namespace ionscreen::pipeline {
namespace fs = std::filesystem;
namespace {

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
  BuiltinEngine(std::string name, const EngineContext& context, const std::string& wrapper,
                std::vector<std::string> environment = {})
      : name_(std::move(name)),
        program_(program_path(context.program)),
        inputs_(context.inputs.empty() ? data_directory() / "inputs" : context.inputs),
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

 private:
  std::string name_;
  std::string program_;
  fs::path inputs_;
  fs::path wrapper_;
  std::vector<std::string> environment_;
};

class BvseEngine : public BuiltinEngine {
 public:
  BvseEngine(const EngineSettings& settings, const EngineContext& context)
      : BuiltinEngine("bvse", context, "bvse.sh"), settings_(settings) {}

  void write_inputs(const JobSpec& job, const fs::path& dir) const override {
    if (job.structure_cif.empty())
      throw InputError("job " + job.job_id +
                       ": the bvse engine needs a structure (CIF with "
                       "oxidation states), and JobSpec::structure_cif is empty");
    nlohmann::json json = job_json(job);
    json["structure"] = "structure.cif";
    json["carrier"] = job.carrier;
    json["grid_spacing"] = settings_.grid_spacing;
    json["barrier"] = name_of(settings_.barrier);
    write_atomically(dir / "structure.cif", job.structure_cif);
    write_atomically(dir / "job.json", json.dump(2) + "\n");
  }

 private:
  EngineSettings settings_;
};

class TableEngine : public BuiltinEngine {
 public:
  TableEngine(const EngineSettings& settings, const EngineContext& context)
      : BuiltinEngine("table", context, "table.sh"), settings_(settings), seed_(context.seed) {}

  void write_inputs(const JobSpec& job, const fs::path& dir) const override {
    nlohmann::json json = job_json(job);
    json["candidate"] = job.candidate;
    json["table"] = settings_.table.string();
    json["key_column"] = settings_.table_key;
    json["column"] = settings_.table_column;
    if (!settings_.faults.empty()) json["faults"] = settings_.faults;
    json["seed"] = seed_;
    write_atomically(dir / "job.json", json.dump(2) + "\n");
  }

 private:
  EngineSettings settings_;
  std::uint64_t seed_;
};

/// A DFT/NEB code (pipeline/dft/): the job directory gets the structure and every setting; the
/// wrapper dft.sh runs `ionscreen dft-step` and the commands it names until the job ends.
class DftEngine : public BuiltinEngine {
 public:
  DftEngine(EngineKind kind, const dft::DftSettings& settings, const EngineContext& context,
            dft::DftSite site)
      : BuiltinEngine(name_of(kind), context, "dft.sh",
                      {std::string("IONSCREEN_SITE_SETUP=") + site.setup.string()}),
        code_(dft::make_code(name_of(kind))),
        settings_(settings),
        site_(std::move(site)) {}

  void check_elements(const std::set<std::string>& elements) const override {
    code_->check(settings_, elements);
  }

  void write_inputs(const JobSpec& job, const fs::path& dir) const override {
    if (job.structure_cif.empty())
      throw InputError("job " + job.job_id + ": engine " + name() +
                       " needs the candidate's structure, and this pool has none (a pool read "
                       "from a table has no structures; use [candidates] space)");
    if (!job.previous_attempt.empty()) dft::carry_over(job.previous_attempt, dir, code_->scratch());
    nlohmann::json json = job_json(job);
    json["carrier"] = job.carrier;
    json["structure"] = "structure.cif";
    json["dft"] = dft::to_json(settings_);
    json["site"] = dft::to_json(site_);
    write_atomically(dir / "structure.cif", job.structure_cif);
    write_atomically(dir / "job.json", json.dump(2) + "\n");
  }

 private:
  std::unique_ptr<dft::DftCode> code_;
  dft::DftSettings settings_;
  dft::DftSite site_;
};

}  // namespace

bool runs_dft(EngineKind kind) {
  return kind == EngineKind::qe || kind == EngineKind::cp2k || kind == EngineKind::vasp;
}

std::unique_ptr<Engine> make_engine(const EngineSettings& settings, const dft::DftSettings& dft,
                                    const EngineContext& context) {
  const std::string where = context.origin.string() + ": [engine] ";
  if (settings.kind != EngineKind::table && !settings.faults.empty())
    throw InputError(where + "faults = '" + settings.faults +
                     "': fault injection is only for engine = table");
  switch (settings.kind) {
    case EngineKind::bvse:
      return std::make_unique<BvseEngine>(settings, context);
    case EngineKind::table:
      if (settings.table.empty() || !settings.table.is_absolute())
        throw InputError(where + "table = '" + settings.table.string() +
                         "': engine = table needs the absolute path of the CSV to look E_b up in");
      parse_faults(settings.faults, where + "faults");
      return std::make_unique<TableEngine>(settings, context);
    case EngineKind::qe:
    case EngineKind::cp2k:
    case EngineKind::vasp:
      break;
  }
  dft::DftSite site = dft::read_site(dft.site);
  // Without a setup script the programs must already be runnable here (a setup script may put
  // them on PATH only inside the job, e.g. by loading modules on a compute node).
  if (context.programs_run_here && site.setup.empty())
    if (const std::string missing = dft::missing_programs(name_of(settings.kind), site);
        !missing.empty())
      throw InputError(dft.site.string() + ": " + missing);
  return std::make_unique<DftEngine>(settings.kind, dft, context, std::move(site));
}

}  // namespace ionscreen::pipeline
