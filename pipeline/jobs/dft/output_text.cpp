#include "pipeline/jobs/dft/output_text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>

#include "structures/number_text.hpp"

namespace ionscreen::pipeline::dft {

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::optional<double> number(const std::string& word) {
  return structures::read_number(word, kAbsurd);
}

std::optional<long long> integer(const std::string& word, long long low, long long high) {
  const auto value = number(word);
  if (!value || *value != std::floor(*value) || *value < static_cast<double>(low) ||
      *value > static_cast<double>(high))
    return std::nullopt;
  return static_cast<long long>(*value);
}

}  // namespace ionscreen::pipeline::dft
