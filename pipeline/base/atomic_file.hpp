#pragma once
/// Writing a whole file so that a reader never sees half of it: the text goes to `<file>.tmp`,
/// is flushed, and is renamed over `file` (POSIX rename is atomic within one file system). Used
/// for job files, batch scripts, CSV outputs and cube files alike.
#include <filesystem>
#include <string>

namespace ionscreen::pipeline {

/// Replace `file` with `text` atomically. IoError naming the file and the system's words when
/// it cannot be written (a full disk, a missing folder, no permission); `file` is then untouched
/// and the temporary file removed.
void write_atomically(const std::filesystem::path& file, const std::string& text);

}  // namespace ionscreen::pipeline
