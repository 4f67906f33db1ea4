// Fuzz target: a damaged campaign directory read by `status` and `export`
// (IONSCREEN_FUZZ_FILE: campaign.h5 or candidates.h5 receives the input; the other file is the
// intact one of the seed campaign, tests/fuzz/corpus/*_h5/intact). Damage is refused, or the
// previous checkpoint stands in; nothing crashes or hangs.
#include <cstdint>
#include <fstream>
#include <string>

#include "pipeline/campaign/report.hpp"
#include "pipeline/store/campaign_file.hpp"
#include "pipeline/store/pool_file.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fs = std::filesystem;
  using namespace ionscreen::pipeline;
  const std::string fuzzed = IONSCREEN_FUZZ_FILE;
  const fs::path seeds = IONSCREEN_SOURCE_DIR "/tests/fuzz/corpus";
  const fs::path dir = ionscreen::fuzz::fresh_scratch();
  // The intact file of the seed campaign: corpus/campaign_h5/intact, corpus/candidates_h5/intact.
  for (const std::string file : {"campaign.h5", "candidates.h5"})
    if (file != fuzzed)
      fs::copy_file(seeds / (file.substr(0, file.find('.')) + "_h5") / "intact", dir / file);
  std::ofstream(dir / fuzzed, std::ios::binary) << ionscreen::fuzz::as_text(data, size);
  ionscreen::fuzz::refusal_allowed([&] {
    const CampaignRecord record = read_campaign_file_or_previous(dir / "campaign.h5").record;
    const CandidatePool pool = read_pool_file(dir / "candidates.h5");
    (void)status_text(record, pool);
    for (const auto kind : {ExportKind::results, ExportKind::jobs, ExportKind::decisions})
      (void)export_csv(record, pool, kind);
  });
  return 0;
}
