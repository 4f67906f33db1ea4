#pragma once
// Shared support for the pipeline tests.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace ionscreen::pipeline::testing {

/// The whole content of a file ("" if it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace ionscreen::pipeline::testing
