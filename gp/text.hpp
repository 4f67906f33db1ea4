#pragma once
/// Exact text form of doubles (round-trips bit for bit) and strict parsing with context.
#include <string>

namespace ionscreen::gp {

/// Shortest text that reads back as the same double ("inf", "-inf", "nan" for non-finite).
std::string format_double(double value);
/// Parse a whole string as a double; `what` names the value in the error message.
double parse_double(const std::string& text, const std::string& what);

}  // namespace ionscreen::gp
