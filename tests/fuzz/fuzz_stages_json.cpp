// Fuzz target: stages.json of a DFT job, as `ionscreen status` (describe_stages) and the stage
// runner (`ionscreen dft-step`) read it. The job around it is real (Li2O, QE settings, its hop
// set up once at start); the code is a stand-in whose every stage converges, so that the runner
// goes as far as stages.json lets it. dft_step never throws for a job's own files.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <string>

#include "pipeline/base/atomic_file.hpp"
#include "pipeline/jobs/dft/stages.hpp"
#include "pipeline/jobs/job_protocol.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ionscreen::pipeline;
using namespace ionscreen::pipeline::dft;
using ionscreen::structures::Crystal;

/// A code whose every stage converged at its input geometry, the band a sine-squared hump.
class ConvergedCode : public DftCode {
 public:
  std::string name() const override { return "converged"; }
  void check(const DftSettings&, const std::set<std::string>&) const override {}
  Command write_relax(const fs::path&, const Crystal&, const DftSettings&, const DftSite&,
                      const Corrections&) const override {
    return {{"/bin/true"}, "relax.out"};
  }
  RelaxResult read_relax(const fs::path&, const Crystal& input) const override {
    return {Problem::none, "", -10.0, 0.01, 3, input};
  }
  Command write_neb(const fs::path&, const std::vector<Crystal>&, const std::pair<double, double>&,
                    const DftSettings&, const DftSite&, const Corrections&) const override {
    return {{"/bin/true"}, "neb.out"};
  }
  NebResult read_neb(const fs::path&, const std::vector<Crystal>& band,
                     const DftSettings&) const override {
    NebResult r{Problem::none, "", {}, {}, 12, band};
    const double last = static_cast<double>(band.size() - 1);
    for (std::size_t k = 0; k < band.size(); ++k)
      r.energies.push_back(
          -10.0 + 0.4 * std::pow(std::sin(std::numbers::pi * static_cast<double>(k) / last), 2));
    r.max_forces.assign(band.size(), 0.01);
    return r;
  }
};

const ConvergedCode kCode;

/// The job, its hop set up: copied afresh for every input.
fs::path job_template() {
  static const fs::path dir = [] {
    const fs::path d =
        fs::temp_directory_path() / ("ionscreen-fuzz-job-" + std::to_string(::getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    fs::copy_file(IONSCREEN_SOURCE_DIR "/tests/dft/li2o.cif", d / "structure.cif");
    DftSettings settings;
    settings.images = 3;
    settings.supercell = "1x1x1";
    DftSite site;
    site.programs["pw"] = "/bin/true";
    site.programs["neb"] = "/bin/true";
    const nlohmann::json job = {{"protocol", kJobProtocolVersion},
                                {"engine", "qe"},
                                {"job_id", "c0000001-a01"},
                                {"carrier", "Li"},
                                {"structure", "structure.cif"},
                                {"dft", to_json(settings)},
                                {"site", to_json(site)}};
    write_atomically(d / "job.json", job.dump(2));
    dft_step(d, kCode);  // sets up the hop and starts relax_start
    fs::remove(d / "stages.json");
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path dir = ionscreen::fuzz::fresh_scratch();
  fs::copy(job_template(), dir, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  std::ofstream(dir / "stages.json", std::ios::binary) << ionscreen::fuzz::as_text(data, size);
  (void)describe_stages(dir);
  (void)dft_step(dir, kCode);
  return 0;
}
