#pragma once
// Shared support for the pipeline tests.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

namespace ionscreen::pipeline::testing {

/// The whole content of a file ("" if it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// A fresh, empty directory `name` in this test process's scratch folder
/// (<tmp>/ionscreen-tests-<pid>, removed when the process exits).
inline std::filesystem::path fresh_dir(const std::string& name) {
  namespace fs = std::filesystem;
  static const struct Scratch {
    fs::path path =
        fs::temp_directory_path() / (std::string("ionscreen-tests-") + std::to_string(::getpid()));
    ~Scratch() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } scratch;
  const fs::path dir = scratch.path / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace ionscreen::pipeline::testing
