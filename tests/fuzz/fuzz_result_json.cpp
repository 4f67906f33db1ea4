// Fuzz target: a finished job's `status` and `result.json` (several-file input), as a campaign
// reads them. Engine::read_outcome never throws: anything unusable is a failed attempt.
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/jobs/engine.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

/// The protocol reading every engine shares, and nothing else.
class ProtocolOnly : public ionscreen::pipeline::Engine {
 public:
  std::string name() const override { return "fuzz"; }
  void write_inputs(const ionscreen::pipeline::JobSpec&,
                    const std::filesystem::path&) const override {}
  std::vector<std::string> argv(const std::filesystem::path&) const override { return {}; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto dir = ionscreen::fuzz::fresh_scratch();
  ionscreen::fuzz::write_files(dir, ionscreen::fuzz::unpack(ionscreen::fuzz::as_text(data, size)));
  (void)ProtocolOnly().read_outcome(dir, "c0000001-a01");
  return 0;
}
