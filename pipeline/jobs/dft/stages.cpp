#include "pipeline/jobs/dft/stages.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <set>
#include <sstream>

#include "pipeline/base/error.hpp"
#include "pipeline/jobs/dft/codes.hpp"
#include "pipeline/jobs/job_protocol.hpp"
#include "structures/hops.hpp"
#include "structures/poscar.hpp"
#include "structures/structure_file.hpp"
#include "structures/symmetry.hpp"

namespace ionscreen::pipeline::dft {
namespace fs = std::filesystem;
using nlohmann::json;
using structures::Crystal;

namespace {

/// A verdict that ends the job: status "failed: <reason>".
struct JobFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

double now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct Job {
  std::string job_id;
  std::string engine;
  std::string carrier;
  fs::path structure;
  DftSettings settings;
  DftSite site;
};

Job read_job(const fs::path& dir) {
  const fs::path file = dir / "job.json";
  const json j = read_json(file);
  const JobFile keys(file, j);
  keys.require_only({"protocol", "engine", "job_id", "carrier", "structure", "dft", "site"});
  if (keys.integer("protocol", 0) != kJobProtocolVersion)
    throw InputError(file.string() + ": key 'protocol': this ionscreen speaks protocol " +
                     std::to_string(kJobProtocolVersion));
  Job job;
  job.job_id = keys.text("job_id");
  job.engine = keys.text("engine");
  job.carrier = keys.text("carrier");
  job.structure = dir / keys.file_name("structure");
  if (!j.contains("dft") || !j.contains("site"))
    throw InputError(file.string() + ": keys 'dft' and 'site' are required");
  job.settings = settings_from_json(j["dft"], file.string() + ": key 'dft'");
  job.site = site_from_json(j["site"], file.string() + ": key 'site'");
  return job;
}

Eigen::Vector3i supercell_multipliers(const Crystal& cell, const DftSettings& s) {
  const auto n = parse_supercell(s.supercell);
  return n ? *n : structures::supercell_for_width(cell.lattice, s.min_width);
}

/// The chosen hop's end points in the supercell, with the hop's description for the result.
json set_up_hop(const Job& job, const fs::path& dir) {
  const Crystal cell = structures::read_structure(job.structure);
  const auto info = structures::analyze(cell);
  const auto hops = structures::distinct_hops(cell, job.carrier, info.equivalent_atoms);
  if (hops.empty())
    throw JobFailure(job.structure.string() + ": no " + job.carrier +
                     " hop shorter than 5.5 Å (a vacancy hop needs two carrier sites)");
  std::size_t index = 0;
  if (job.settings.hop != "shortest") {
    std::size_t used = 0;
    try {
      index = std::stoul(job.settings.hop, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != job.settings.hop.size() || index >= hops.size())
      throw JobFailure("[dft] hop = '" + job.settings.hop +
                       "': expected shortest or an index from 0 to " +
                       std::to_string(hops.size() - 1) + " (this structure has " +
                       std::to_string(hops.size()) + " distinct " + job.carrier + " hops)");
  }
  const structures::Hop& hop = hops[index];
  const Eigen::Vector3i n = supercell_multipliers(cell, job.settings);
  structures::HopEndpoints ends = structures::hop_endpoints(cell, hop, n);
  if (job.settings.free_atoms == FreeAtoms::moving)
    for (Crystal* c : {&ends.start, &ends.end})
      for (std::size_t i = 0; i < c->sites.size(); ++i) c->sites[i].fixed = {true, true, true};
  ends.start.sites[static_cast<std::size_t>(ends.moving)].fixed = {};
  ends.end.sites[static_cast<std::size_t>(ends.moving)].fixed = {};
  fs::create_directories(dir / "hop");
  write_atomically(dir / "hop" / "start.vasp", structures::write_poscar(ends.start));
  write_atomically(dir / "hop" / "end.vasp", structures::write_poscar(ends.end));
  return {{"from", hop.from},
          {"to", hop.to},
          {"image", {hop.image[0], hop.image[1], hop.image[2]}},
          {"length", hop.length},
          {"multiplicity", hop.multiplicity},
          {"index", index},
          {"distinct_hops", hops.size()},
          {"supercell", {n[0], n[1], n[2]}},
          {"atoms", ends.start.sites.size()},
          {"moving", ends.moving},
          {"space_group", info.international}};
}

/// `c` with every site at the periodic copy nearest the same site of `reference` (same order).
Crystal nearest_copies(Crystal c, const Crystal& reference) {
  for (std::size_t i = 0; i < c.sites.size(); ++i) {
    const Eigen::Vector3d target = reference.sites[i].frac;
    Eigen::Vector3d best = c.sites[i].frac;
    double best_distance = INFINITY;
    const Eigen::Vector3d base =
        c.sites[i].frac - (c.sites[i].frac - target).array().round().matrix();
    for (int a = -1; a <= 1; ++a)
      for (int b = -1; b <= 1; ++b)
        for (int d = -1; d <= 1; ++d) {
          const Eigen::Vector3d f = base + Eigen::Vector3d(a, b, d);
          const double distance = c.cartesian(f - target).norm();
          if (distance < best_distance) {
            best_distance = distance;
            best = f;
          }
        }
    c.sites[i].frac = best;
  }
  return c;
}

/// The coordinates `reference` holds fixed, held in `c` too: the same flags, and the reference's
/// value of every held coordinate (interpolated images move every atom, and a code holds fixed
/// atoms against the real forces but not always against a band's spring forces).
Crystal with_fixed(Crystal c, const Crystal& reference) {
  for (std::size_t i = 0; i < c.sites.size() && i < reference.sites.size(); ++i) {
    c.sites[i].fixed = reference.sites[i].fixed;
    for (int axis = 0; axis < 3; ++axis)
      if (reference.sites[i].fixed[static_cast<std::size_t>(axis)])
        c.sites[i].frac[axis] = reference.sites[i].frac[axis];
  }
  return c;
}

/// A band made continuous: every image's atoms at the periodic copies nearest the previous
/// image's (codes take the path's tangents from plain coordinate differences).
std::vector<Crystal> continuous(std::vector<Crystal> band) {
  for (std::size_t k = 1; k < band.size(); ++k) band[k] = nearest_copies(band[k], band[k - 1]);
  return band;
}

std::string band_file(int k) {
  char name[16];
  std::snprintf(name, sizeof name, "%02d.vasp", k);
  return name;
}

void write_band(const fs::path& folder, const std::vector<Crystal>& band) {
  fs::create_directories(folder);
  for (std::size_t k = 0; k < band.size(); ++k)
    write_atomically(folder / band_file(static_cast<int>(k)), structures::write_poscar(band[k]));
}

std::vector<Crystal> read_band(const fs::path& folder, int count) {
  std::vector<Crystal> band;
  for (int k = 0; k < count; ++k) band.push_back(structures::read_poscar(folder / band_file(k)));
  return band;
}

/// The corrections for the next try after `problem`, or nothing when none is left.
std::optional<Corrections> next_try(const json& stage, Problem problem, int max_corrections) {
  Corrections c{stage.value("scf", 0), stage.value("restarts", 0)};
  if (c.scf + c.restarts >= max_corrections) return std::nullopt;
  switch (problem) {
    case Problem::scf_not_converged:
      if (c.scf >= 3) return std::nullopt;
      ++c.scf;
      return c;
    case Problem::crashed:
      for (const auto& seen : stage.value("problems", json::array()))
        if (seen.value("problem", "") == to_string(Problem::crashed)) return std::nullopt;
      ++c.restarts;
      return c;
    case Problem::steps_exhausted:
    case Problem::cut_off:
      ++c.restarts;
      return c;
    case Problem::none:
    case Problem::bad_input:
      break;
  }
  return std::nullopt;
}

class Runner {
 public:
  Runner(fs::path dir, Job job, const DftCode& code)
      : dir_(std::move(dir)), job_(std::move(job)), code_(&code) {
    if (fs::exists(dir_ / "stages.json")) state_ = read_json(dir_ / "stages.json");
  }

  StepResult step() {
    check_programs();
    if (!state_.contains("hop")) {
      state_["started"] = now();
      state_["hop"] = set_up_hop(job_, dir_);
      save();
    }
    const Crystal start = structures::read_poscar(dir_ / "hop" / "start.vasp");
    std::set<std::string> elements;
    for (const auto& site : start.sites) elements.insert(site.element);
    code_->check(job_.settings, elements);

    for (const char* name : {"relax_start", "relax_end"}) {
      const Crystal input = structures::read_poscar(
          dir_ / "hop" / (name == std::string("relax_start") ? "start.vasp" : "end.vasp"));
      if (!relax(name, input)) return StepResult::run;
    }
    check_end_points();
    return neb();
  }

 private:
  json& stage(const std::string& name) {
    if (!state_.contains(name))
      state_[name] = {{"state", "new"}, {"scf", 0}, {"restarts", 0}, {"problems", json::array()}};
    return state_[name];
  }

  void save() { write_atomically(dir_ / "stages.json", state_.dump(2) + "\n"); }

  /// Hands a command to the wrapper and marks the stage as running.
  void launch(const std::string& name, const Command& command) {
    json& s = stage(name);
    s["state"] = "running";
    s["tries"] = s.value("tries", 0) + 1;
    save();
    std::string text;
    for (const std::string& field : {(dir_ / name).string(), command.log}) text += field + '\0';
    for (const std::string& arg : command.argv) text += arg + '\0';
    write_atomically(dir_ / "next_command", text);
  }

  /// Records a problem and returns the corrections for the next try; ends the job when none are
  /// left.
  Corrections correct(const std::string& name, Problem problem, const std::string& reason) {
    json& s = stage(name);
    const auto next = next_try(s, problem, job_.settings.max_corrections);
    s["problems"].push_back({{"problem", to_string(problem)}, {"reason", reason}});
    if (!next) {
      save();
      throw JobFailure(name + ": " + to_string(problem) + ": " + reason + " (after " +
                       std::to_string(s["problems"].size() - 1) + " corrections)");
    }
    s["scf"] = next->scf;
    s["restarts"] = next->restarts;
    return *next;
  }

  /// true when the relaxation `name` is complete; otherwise its next command is written.
  bool relax(const std::string& name, const Crystal& input) {
    json& s = stage(name);
    const fs::path folder = dir_ / name;
    if (s["state"] == "complete") return true;
    if (s["state"] == "new") {
      fs::create_directories(folder);
      write_atomically(folder / "input.vasp", structures::write_poscar(input));
      launch(name, code_->write_relax(folder, input, job_.settings, job_.site, {}));
      return false;
    }
    const Crystal tried = structures::read_poscar(folder / "input.vasp");
    RelaxResult r = code_->read_relax(folder, tried);
    if (r.problem == Problem::none) doubt_convergence(r);
    if (r.problem == Problem::none) {
      write_atomically(folder / "relaxed.vasp",
                       structures::write_poscar(with_fixed(*r.last, input)));
      s["state"] = "complete";
      s["energy"] = r.energy;
      s["max_force"] = r.max_force;
      s["steps"] = r.steps;
      save();
      return true;
    }
    const Corrections c = correct(name, r.problem, r.reason);
    const Crystal from = r.last ? with_fixed(*r.last, input) : tried;
    write_atomically(folder / "input.vasp", structures::write_poscar(from));
    launch(name, code_->write_relax(folder, from, job_.settings, job_.site, c));
    return false;
  }

  /// A relaxation the code calls converged, checked against what was read: a final energy and
  /// geometry, and a largest force within [dft] relax_force_tolerance (with room for codes that
  /// test force components against it, not their norm). Otherwise the output was cut or damaged
  /// and the stage is restarted, not passed on (review finding D10).
  void doubt_convergence(RelaxResult& r) const {
    const double tolerance = job_.settings.relax_force_tolerance * std::sqrt(3.0) * (1 + 1e-9);
    std::string doubt;
    if (!r.last || !std::isfinite(r.energy))
      doubt = "the code reported convergence but no final energy or geometry was read";
    else if (!(r.max_force <= tolerance))
      doubt = "the code reported convergence, but the last step read has a largest force of " +
              std::to_string(r.max_force) + " eV/Å, above [dft] relax_force_tolerance " +
              std::to_string(job_.settings.relax_force_tolerance);
    if (doubt.empty()) return;
    r.problem = Problem::cut_off;
    r.reason = doubt + " (the output was cut or damaged)";
  }

  Crystal relaxed(const std::string& name) const {
    return structures::read_poscar(dir_ / name / "relaxed.vasp");
  }

  /// Relaxed end points that fell into the same minimum make a meaningless band.
  void check_end_points() const {
    const Crystal a = relaxed("relax_start");
    const Crystal b = relaxed("relax_end");
    const auto m = state_["hop"]["moving"].get<std::size_t>();
    const double apart = a.distance(a.sites[m].frac, b.sites[m].frac);
    const double length = state_["hop"]["length"].get<double>();
    if (apart < 0.3 * length)
      throw JobFailure("the relaxed end points hold the moving ion only " + std::to_string(apart) +
                       " Å apart (the hop is " + std::to_string(length) +
                       " Å): they relaxed into the same minimum, so there is no hop to compute");
  }

  /// Relaxed start, images, relaxed end. Every atom of the end sits at the periodic copy nearest
  /// its start position, except the moving ion, which sits nearest the hop's own end (a hop of
  /// half the cell has two nearest copies). IDPP images are used unless they are not a smooth
  /// path: in cells so small that a pair's minimum image changes along the hop, IDPP's distances
  /// jump and its images bunch at the end points; then the images are linear, and stages.json
  /// says so.
  std::vector<Crystal> initial_band() {
    const Crystal start = relaxed("relax_start");
    Crystal end = nearest_copies(relaxed("relax_end"), start);
    const auto m = state_["hop"]["moving"].get<std::size_t>();
    Crystal reference = start;
    reference.sites[m].frac = structures::read_poscar(dir_ / "hop" / "end.vasp").sites[m].frac;
    end.sites[m] = nearest_copies(relaxed("relax_end"), reference).sites[m];

    const auto band_through = [&](const std::vector<Crystal>& images) {
      std::vector<Crystal> band{start};
      for (const Crystal& image : images) band.push_back(with_fixed(image, start));
      band.push_back(end);
      return continuous(band);
    };
    const int n = job_.settings.images;
    bool idpp = job_.settings.interpolation == Interpolation::idpp;
    std::string used = name_of(job_.settings.interpolation);  // what stages.json reports
    std::vector<Crystal> band;
    if (idpp) {
      band = band_through(structures::idpp_images(start, end, n));
      if (!smooth(band, m)) {
        idpp = false;
        used = "linear (IDPP images not a smooth path in this cell)";
      }
    }
    if (!idpp) band = band_through(structures::linear_images(start, end, n));
    state_["neb"]["interpolation"] = used;
    save();
    return band;
  }

  /// Whether the moving ion advances in even steps: none longer than twice the average.
  static bool smooth(const std::vector<Crystal>& band, std::size_t m) {
    std::vector<double> steps;
    for (std::size_t k = 1; k < band.size(); ++k)
      steps.push_back(band[k].cartesian(band[k].sites[m].frac - band[k - 1].sites[m].frac).norm());
    double total = 0.0;
    for (double step : steps) total += step;
    const double average = total / static_cast<double>(steps.size());
    return std::all_of(steps.begin(), steps.end(),
                       [&](double step) { return step <= 2.0 * average; });
  }

  StepResult neb() {
    json& s = stage("neb");
    const fs::path folder = dir_ / "neb";
    const fs::path band_folder = dir_ / "neb_input";
    const int count = job_.settings.images + 2;
    const std::pair<double, double> ends{state_["relax_start"]["energy"].get<double>(),
                                         state_["relax_end"]["energy"].get<double>()};
    if (s["state"] == "new") {
      write_band(band_folder, initial_band());
      fs::create_directories(folder);
      launch("neb", code_->write_neb(folder, read_band(band_folder, count), ends, job_.settings,
                                     job_.site, {}));
      return StepResult::run;
    }
    const std::vector<Crystal> band = read_band(band_folder, count);
    const NebResult r = code_->read_neb(folder, band, job_.settings);
    if (r.problem == Problem::none) return finish(r, true);
    // Out of steps and out of corrections: an unconverged band, recorded with its lower bound.
    if (r.problem == Problem::steps_exhausted && valid_energies(r) &&
        !next_try(s, r.problem, job_.settings.max_corrections)) {
      s["problems"].push_back({{"problem", to_string(r.problem)}, {"reason", r.reason}});
      return finish(r, false);
    }
    const Corrections c = correct("neb", r.problem, r.reason);
    std::vector<Crystal> from = band;
    if (static_cast<int>(r.band.size()) == count) {
      for (int k = 1; k + 1 < count; ++k)
        from[static_cast<std::size_t>(k)] =
            with_fixed(r.band[static_cast<std::size_t>(k)], band[0]);
      from = continuous(from);
      write_band(band_folder, from);
    }
    launch("neb", code_->write_neb(folder, from, ends, job_.settings, job_.site, c));
    return StepResult::run;
  }

  bool valid_energies(const NebResult& r) const {
    return static_cast<int>(r.energies.size()) == job_.settings.images + 2 &&
           std::all_of(r.energies.begin(), r.energies.end(),
                       [](double e) { return std::isfinite(e); });
  }

  StepResult finish(const NebResult& r, bool converged) {
    if (!valid_energies(r))
      throw JobFailure("neb: the code reported " + std::to_string(r.energies.size()) +
                       " finite image energies, expected " +
                       std::to_string(job_.settings.images + 2) + " (images + 2 end points)");
    const auto top = std::max_element(r.energies.begin(), r.energies.end());
    const double barrier = *top - r.energies.front();
    std::vector<double> relative;
    for (double e : r.energies) relative.push_back(e - r.energies.front());
    json& s = stage("neb");
    s["state"] = "complete";
    s["steps"] = r.steps;
    s["converged"] = converged;
    save();
    json result = {{"protocol", kJobProtocolVersion},
                   {"engine", job_.engine},
                   {"job_id", job_.job_id},
                   {"E_b", converged ? json(barrier) : json(nullptr)},
                   {"converged", converged},
                   {"saddle_image", top - r.energies.begin()},
                   {"energies", relative},
                   {"energies_absolute", r.energies},
                   {"max_forces", r.max_forces},
                   {"neb_steps", r.steps},
                   {"end_point_difference", r.energies.back() - r.energies.front()},
                   {"hop", state_["hop"]},
                   {"stages",
                    {{"relax_start", state_["relax_start"]},
                     {"relax_end", state_["relax_end"]},
                     {"neb", state_["neb"]}}},
                   {"seconds", now() - state_.value("started", now())}};
    if (!converged) {
      result["E_b_lower_bound"] = barrier;
      result["reason"] = r.reason;
    }
    write_atomically(dir_ / "result.json", result.dump(2) + "\n");
    write_atomically(dir_ / "status", "done\n");
    return StepResult::finished;
  }

  void check_programs() const {
    if (const std::string missing = missing_programs(job_.engine, job_.site); !missing.empty())
      throw JobFailure(missing + " (site profile " + job_.settings.site.string() + ")");
  }

  fs::path dir_;
  Job job_;
  const DftCode* code_;
  json state_ = json::object();
};

}  // namespace

const char* to_string(Problem problem) {
  switch (problem) {
    case Problem::none:
      return "none";
    case Problem::scf_not_converged:
      return "scf_not_converged";
    case Problem::steps_exhausted:
      return "steps_exhausted";
    case Problem::cut_off:
      return "cut_off";
    case Problem::crashed:
      return "crashed";
    case Problem::bad_input:
      return "bad_input";
  }
  return "unknown";
}

namespace {

/// Runs one decision; any exception ends the job with its message as the reason.
template <class F>
StepResult guarded(const fs::path& dir, F&& decide) {
  try {
    write_atomically(dir / "status", "running\n");
    fs::remove(dir / "next_command");
    return decide();
  } catch (const std::exception& e) {
    std::string reason = e.what();
    std::replace(reason.begin(), reason.end(), '\n', ' ');
    write_atomically(dir / "status", "failed: " + reason + "\n");
    return StepResult::finished;
  }
}

}  // namespace

StepResult dft_step(const fs::path& dir) {
  return guarded(dir, [&] {
    Job job = read_job(dir);
    const auto code = make_code(job.engine);
    return Runner(dir, std::move(job), *code).step();
  });
}

StepResult dft_step(const fs::path& dir, const DftCode& code) {
  return guarded(dir, [&] { return Runner(dir, read_job(dir), code).step(); });
}

std::string describe_stages(const fs::path& dir) {
  json state;
  try {
    state = read_json(dir / "stages.json");
  } catch (const InputError&) {
    return "";  // not written yet, or being replaced: nothing to say
  }
  std::string text;
  for (const char* name : {"relax_start", "relax_end", "neb"}) {
    if (!state.contains(name)) continue;
    const json& s = state[name];
    text += (text.empty() ? "" : ", ") + std::string(name) + " " + s.value("state", "?");
    if (s.value("state", "") == "running") {
      text += " (try " + std::to_string(s.value("tries", 0));
      if (s.value("scf", 0) > 0) text += ", scf level " + std::to_string(s.value("scf", 0));
      if (s.value("restarts", 0) > 0)
        text += ", " + std::to_string(s.value("restarts", 0)) + " restarts";
      text += ")";
    }
  }
  return text;
}

void carry_over(const fs::path& from, const fs::path& to, const std::vector<std::string>& scratch) {
  if (!fs::exists(from / "stages.json")) return;
  const std::set<std::string> skip = {"job.json", "status", "result.json", "next_command"};
  for (auto it = fs::recursive_directory_iterator(from); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::path relative = fs::relative(it->path(), from);
    const std::string name = it->path().filename().string();
    if ((it.depth() == 0 && skip.contains(name)) ||
        std::find(scratch.begin(), scratch.end(), name) != scratch.end()) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory())
      fs::create_directories(to / relative);
    else if (it->is_regular_file())
      fs::copy_file(it->path(), to / relative, fs::copy_options::overwrite_existing);
  }
}

}  // namespace ionscreen::pipeline::dft
