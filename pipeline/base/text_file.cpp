#include "pipeline/base/text_file.hpp"

#include <fstream>
#include <iterator>
#include <sstream>

#include "pipeline/base/error.hpp"

namespace ionscreen::pipeline {

std::optional<std::string> read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text{std::istreambuf_iterator<char>(in), {}};
  if (in.bad()) return std::nullopt;
  return text;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
  return lines;
}

std::optional<std::vector<std::string>> read_lines(const std::filesystem::path& file,
                                                   LastLine last) {
  const auto text = read_text(file);
  if (!text) return std::nullopt;
  std::vector<std::string> lines = split_lines(*text);
  if (last == LastLine::drop && !text->empty() && text->back() != '\n') lines.pop_back();
  return lines;
}

std::string read_text_or_throw(const std::filesystem::path& file) {
  auto text = read_text(file);
  if (!text) throw InputError(file.string() + ": cannot open for reading");
  return std::move(*text);
}

}  // namespace ionscreen::pipeline
