// Fuzz target: job.json of a built-in engine, run by `ionscreen job DIR`. Whatever it holds, the
// job ends with a status file and never throws (pipeline/jobs/builtin_job.hpp). The directory
// holds no structure file, so a BVSE job goes no further than its keys.
#include <cstdint>
#include <fstream>
#include <string>

#include "pipeline/base/data_directory.hpp"
#include "pipeline/jobs/builtin_job.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = ionscreen::fuzz::as_text(data, size);
  // The injected faults "hang" and "slow" sleep on purpose (docs/job_protocol.md).
  if (text.find("hang") != std::string::npos || text.find("slow") != std::string::npos) return 0;
  const auto dir = ionscreen::fuzz::fresh_scratch();
  std::ofstream(dir / "job.json", std::ios::binary) << text;
  (void)ionscreen::pipeline::run_builtin_job(dir, ionscreen::pipeline::data_directory() / "inputs");
  if (!std::filesystem::exists(dir / "status")) __builtin_trap();
  return 0;
}
