// Fuzz target: the outputs of a DFT code (IONSCREEN_FUZZ_CODE: qe, cp2k or vasp) as the stage
// runner reads them. A several-file input: the stage folder's files, plus `input.xyz` (the
// structure a relaxation started from) or `band_00.xyz`, `band_01.xyz`, ... (the band a NEB
// started from), and optionally `settings.json` ([dft] keys as job.json holds them, over the
// defaults).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/jobs/dft/codes.hpp"
#include "structures/xyz.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace ionscreen::pipeline::dft;
using ionscreen::structures::Crystal;

struct Stage {
  std::optional<Crystal> input;
  std::vector<Crystal> band;
  DftSettings settings;
};

Stage stage_of(const std::map<std::string, std::string>& files) {
  Stage stage;
  if (const auto it = files.find("settings.json"); it != files.end()) {
    nlohmann::json settings = to_json(DftSettings{});  // the defaults, changed where it says
    settings.merge_patch(nlohmann::json::parse(it->second));
    stage.settings = settings_from_json(settings, "settings.json");
  }
  if (const auto it = files.find("input.xyz"); it != files.end())
    stage.input = ionscreen::structures::parse_extxyz(it->second, "input.xyz");
  for (int k = 0; k < 100; ++k) {
    const std::string name = "band_" + std::string(k < 10 ? "0" : "") + std::to_string(k) + ".xyz";
    const auto it = files.find(name);
    if (it == files.end()) break;
    stage.band.push_back(ionscreen::structures::parse_extxyz(it->second, name));
  }
  return stage;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto files = ionscreen::fuzz::unpack(ionscreen::fuzz::as_text(data, size));
  std::optional<Stage> stage;
  try {
    ionscreen::fuzz::refusal_allowed([&] { stage = stage_of(files); });
  } catch (const nlohmann::json::exception&) {
    return 0;  // a damaged settings.json: the harness's own input, not the code's output
  }
  if (!stage) return 0;
  const auto dir = ionscreen::fuzz::fresh_scratch();
  ionscreen::fuzz::write_files(dir, files);
  const auto code = make_code(IONSCREEN_FUZZ_CODE);
  ionscreen::fuzz::refusal_allowed([&] {
    if (stage->band.size() >= 3)
      (void)code->read_neb(dir, stage->band, stage->settings);
    else if (stage->input)
      (void)code->read_relax(dir, *stage->input);
  });
  return 0;
}
