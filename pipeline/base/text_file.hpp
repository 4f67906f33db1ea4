#pragma once
/// Reading a whole text file, as one string or as lines: the one place pipeline/ does it.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ionscreen::pipeline {

/// The file's bytes, or nothing when it does not exist or cannot be read.
std::optional<std::string> read_text(const std::filesystem::path& file);

/// The lines of `text`, without their '\n'.
std::vector<std::string> split_lines(const std::string& text);

/// What read_lines does with a last line that has no '\n'.
enum class LastLine {
  keep,  ///< a line like any other
  drop,  ///< left out: a file still being written (or cut off) ends in half a line
};

/// The file's lines (without their '\n'), or nothing when it does not exist or cannot be read.
std::optional<std::vector<std::string>> read_lines(const std::filesystem::path& file,
                                                   LastLine last = LastLine::keep);

/// The file's bytes; InputError naming the file when it cannot be opened.
std::string read_text_or_throw(const std::filesystem::path& file);

}  // namespace ionscreen::pipeline
