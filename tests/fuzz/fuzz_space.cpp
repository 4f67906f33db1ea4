// Fuzz target: a space file ([campaign] space, inputs/spaces/README.md), read for both carriers.
#include <cstdint>
#include <fstream>
#include <string>

#include "structures/tavorite.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = ionscreen::fuzz::fresh_scratch() / "space.ini";
  std::ofstream(file, std::ios::binary) << ionscreen::fuzz::as_text(data, size);
  for (const char* carrier : {"Li", "Na"})
    ionscreen::fuzz::refusal_allowed(
        [&] { (void)ionscreen::structures::load_space(file, carrier); });
  return 0;
}
