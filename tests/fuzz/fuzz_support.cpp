#include "tests/fuzz/fuzz_support.hpp"

#include <unistd.h>

#include <fstream>

namespace ionscreen::fuzz {

std::filesystem::path fresh_scratch() {
  static const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ionscreen-fuzz-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

namespace {

bool plain_relative(const std::string& name) {
  if (name.empty() || name.front() == '/') return false;
  for (const auto& part : std::filesystem::path(name))
    if (part.empty() || part == "." || part == "..") return false;
  return name.find('\0') == std::string::npos;
}

}  // namespace

std::map<std::string, std::string> unpack(std::string_view text) {
  constexpr std::string_view open = "==> ", close = " <==";
  std::map<std::string, std::string> files;
  std::string* current = nullptr;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line =
        text.substr(0, end == std::string_view::npos ? text.size() : end + 1);
    text.remove_prefix(line.size());
    std::string_view bare = line;
    if (!bare.empty() && bare.back() == '\n') bare.remove_suffix(1);
    if (bare.size() > open.size() + close.size() && bare.starts_with(open) &&
        bare.ends_with(close)) {
      const std::string name(bare.substr(open.size(), bare.size() - open.size() - close.size()));
      current = plain_relative(name) ? &files[name] : nullptr;
      continue;
    }
    if (current) current->append(line);
  }
  return files;
}

void write_files(const std::filesystem::path& dir,
                 const std::map<std::string, std::string>& files) {
  for (const auto& [name, content] : files) {
    const std::filesystem::path file = dir / name;
    std::filesystem::create_directories(file.parent_path());
    if (std::filesystem::is_directory(file)) continue;  // "01" and "01/OUTCAR" both named
    std::ofstream(file, std::ios::binary) << content;
  }
}

}  // namespace ionscreen::fuzz
