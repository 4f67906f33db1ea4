#include "structures/number_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

namespace ionscreen::structures {

std::optional<double> read_number(std::string_view word, double absurd) {
  if (!word.empty() && word.front() == '+') word.remove_prefix(1);
  // from_chars takes neither a second sign nor a leading letter it would read as "inf" or "nan".
  if (word.empty() || word.front() == '+' || std::isalpha(static_cast<unsigned char>(word.front())))
    return std::nullopt;
  std::string text(word);
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == 'D' || c == 'd'; }, 'e');
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (!std::isfinite(value) || !(std::abs(value) < absurd)) return std::nullopt;
  return value;
}

}  // namespace ionscreen::structures
