// Fuzz target: a campaign INI file, as `run` and `resume` read it. A file that reads must read
// again, to the same identity, from the INI text the campaign file stores for it.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "pipeline/campaign/config.hpp"
#include "pipeline/campaign/setup.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ionscreen::pipeline;
  const std::string text = ionscreen::fuzz::as_text(data, size);
  // Named as if beside the example campaigns, so that their relative paths lead somewhere.
  const std::filesystem::path origin = IONSCREEN_SOURCE_DIR "/inputs/campaigns/fuzz.ini";
  std::optional<CampaignConfig> config;
  ionscreen::fuzz::refusal_allowed([&] { config = parse_campaign_config(text, origin); });
  if (!config) return 0;
  const CampaignConfig again = parse_campaign_config(to_ini(*config), origin);
  if (!identity_differences(*config, again).empty()) __builtin_trap();
  return 0;
}
