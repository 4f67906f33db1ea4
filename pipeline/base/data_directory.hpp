#pragma once
/// Where the project's data lives (cluster/ with the job wrappers and site profiles, inputs/
/// with element tables, bond-valence parameters, prototypes and spaces).
#include <filesystem>

namespace ionscreen::pipeline {

/// $IONSCREEN_HOME if set, else the source tree the program was built from.
std::filesystem::path data_directory();

}  // namespace ionscreen::pipeline
