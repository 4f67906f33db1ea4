#pragma once
/// The file-based job protocol (docs/job_protocol.md): a job directory holds job.json (what to
/// compute) and the engine's inputs; the engine writes `status` and, last, `result.json`. Every
/// file is written with write_atomically (base/atomic_file.hpp), so a reader never sees half a
/// file.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/base/atomic_file.hpp"

namespace ionscreen::pipeline {

inline constexpr int kJobProtocolVersion = 1;

/// Read and parse a JSON file; InputError naming the file and the parser's message for anything
/// unusable (a syntax error, a number out of a double's range such as 1e400).
nlohmann::json read_json(const std::filesystem::path& file);

/// Typed access to a key of a job file, with errors naming the file, the key, the value and what
/// is accepted.
class JobFile {
 public:
  JobFile(std::filesystem::path file, nlohmann::json json);
  std::string text(const std::string& key) const;
  std::string text(const std::string& key, const std::string& fallback) const;
  double number(const std::string& key, double fallback) const;
  int integer(const std::string& key, int fallback) const;
  /// A non-negative integer (e.g. a seed), up to 2^64 - 1.
  std::uint64_t unsigned_integer(const std::string& key, std::uint64_t fallback) const;
  /// A file of the job directory: a plain file name, never a path that could lead out of it.
  std::string file_name(const std::string& key) const;
  /// Throws if any key is not in `known` (a misspelt key must not be silently ignored).
  void require_only(const std::vector<std::string>& known) const;
  const std::filesystem::path& path() const { return file_; }

 private:
  [[noreturn]] void fail(const std::string& key, const std::string& why) const;
  std::filesystem::path file_;
  nlohmann::json json_;
};

}  // namespace ionscreen::pipeline
