#include "pipeline/backends/process_scan.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <sstream>
#include <utility>

#include "pipeline/base/text_file.hpp"

namespace ionscreen::pipeline {
namespace {

/// The value of `variable` in a NUL-separated environment block, if it is set.
std::optional<std::string> lookup(const std::string& environ, const std::string& variable) {
  const std::string wanted = variable + "=";
  std::size_t start = 0;
  while (start < environ.size()) {
    std::size_t end = environ.find('\0', start);
    if (end == std::string::npos) end = environ.size();
    if (environ.compare(start, wanted.size(), wanted) == 0)
      return environ.substr(start + wanted.size(), end - start - wanted.size());
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  const std::string text = read_text("/proc/" + std::to_string(pid) + "/stat").value_or("");
  // "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses: split after the last
  // ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 1));
  ProcStat stat;
  stat.pid = pid;
  long long ppid = 0;
  long long group = 0;
  fields >> stat.state >> ppid >> group;
  std::string skipped;
  for (int field = 6; field < 22 && fields; ++field) fields >> skipped;  // session .. itrealvalue
  fields >> stat.start_time;
  if (!fields) return std::nullopt;
  stat.process_group = static_cast<pid_t>(group);
  return stat;
}

std::vector<TaggedProcess> find_group_leaders(const std::string& variable,
                                              const std::string& prefix) {
  std::vector<TaggedProcess> found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    struct stat info {};
    if (::stat(entry.path().c_str(), &info) != 0 || info.st_uid != ::getuid()) continue;
    const auto value = lookup(read_text(entry.path() / "environ").value_or(""), variable);
    if (!value || value->compare(0, prefix.size(), prefix) != 0) continue;
    const auto stat = read_proc_stat(static_cast<pid_t>(std::stol(name)));
    if (!stat || stat->state == 'Z' || stat->process_group != stat->pid) continue;
    found.push_back({*stat, *value});
  }
  std::sort(found.begin(), found.end(), [](const TaggedProcess& a, const TaggedProcess& b) {
    return std::pair(a.stat.start_time, a.stat.pid) < std::pair(b.stat.start_time, b.stat.pid);
  });
  return found;
}

}  // namespace ionscreen::pipeline
