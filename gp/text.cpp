#include "gp/text.hpp"

#include <charconv>
#include <system_error>

#include "gp/error.hpp"

namespace ionscreen::gp {

std::string format_double(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

double parse_double(const std::string& text, const std::string& what) {
  double value = 0.0;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, value);
  if (result.ec != std::errc() || result.ptr != end)
    throw InvalidInput(what + ": '" + text + "' is not a number");
  return value;
}

}  // namespace ionscreen::gp
