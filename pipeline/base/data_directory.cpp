#include "pipeline/base/data_directory.hpp"

#include <cstdlib>

namespace ionscreen::pipeline {

std::filesystem::path data_directory() {
  const char* home = std::getenv("IONSCREEN_HOME");
  return home != nullptr && *home != '\0' ? std::filesystem::absolute(home).lexically_normal()
                                          : std::filesystem::path(IONSCREEN_DATA_DIR);
}

}  // namespace ionscreen::pipeline
