#include "pipeline/jobs/job_protocol.hpp"

#include <algorithm>

#include "pipeline/base/error.hpp"
#include "pipeline/base/strings.hpp"
#include "pipeline/base/text_file.hpp"

namespace ionscreen::pipeline {

nlohmann::json read_json(const std::filesystem::path& file) {
  const std::string text = read_text_or_throw(file);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // Syntax errors and numbers out of a double's range (1e400) alike: the file is unusable.
    throw InputError(file.string() + ": not valid JSON: " + e.what());
  }
}

JobFile::JobFile(std::filesystem::path file, nlohmann::json json)
    : file_(std::move(file)), json_(std::move(json)) {
  if (!json_.is_object()) fail("", "the top level must be a JSON object");
}

void JobFile::fail(const std::string& key, const std::string& why) const {
  throw InputError(file_.string() + (key.empty() ? "" : ": key '" + key + "'") + ": " + why);
}

std::string JobFile::text(const std::string& key) const {
  if (!json_.contains(key)) fail(key, "missing");
  if (!json_[key].is_string()) fail(key, "value " + json_[key].dump() + " is not a string");
  return json_[key].get<std::string>();
}

std::string JobFile::text(const std::string& key, const std::string& fallback) const {
  return json_.contains(key) ? text(key) : fallback;
}

double JobFile::number(const std::string& key, double fallback) const {
  if (!json_.contains(key)) return fallback;
  if (!json_[key].is_number()) fail(key, "value " + json_[key].dump() + " is not a number");
  return json_[key].get<double>();
}

int JobFile::integer(const std::string& key, int fallback) const {
  if (!json_.contains(key)) return fallback;
  if (!json_[key].is_number_integer())
    fail(key, "value " + json_[key].dump() + " is not an integer");
  return json_[key].get<int>();
}

std::uint64_t JobFile::unsigned_integer(const std::string& key, std::uint64_t fallback) const {
  if (!json_.contains(key)) return fallback;
  const nlohmann::json& value = json_[key];
  if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0))
    fail(key, "value " + json_[key].dump() + " is not a non-negative integer");
  return json_[key].get<std::uint64_t>();
}

std::string JobFile::file_name(const std::string& key) const {
  const std::string name = text(key);
  if (name.empty() || name.find('/') != std::string::npos || name == ".." || name == ".")
    fail(key, "'" + name + "' must be a file name inside the job directory");
  return name;
}

void JobFile::require_only(const std::vector<std::string>& known) const {
  for (const auto& [key, value] : json_.items())
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      fail(key, "unknown key; known keys: " + join(known, ", "));
    }
}

}  // namespace ionscreen::pipeline
