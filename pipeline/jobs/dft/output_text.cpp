#include "pipeline/jobs/dft/output_text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>

namespace ionscreen::pipeline::dft {

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::optional<double> number(std::string word) {
  std::replace(word.begin(), word.end(), 'D', 'e');
  std::replace(word.begin(), word.end(), 'd', 'e');
  if (!word.empty() && word.front() == '+') word.erase(0, 1);
  if (word.empty() || std::isalpha(static_cast<unsigned char>(word.front()))) return std::nullopt;
  double value = 0.0;
  const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (error != std::errc() || end != word.data() + word.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

}  // namespace ionscreen::pipeline::dft
