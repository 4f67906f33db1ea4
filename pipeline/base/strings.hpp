#pragma once
/// Joining and splitting text: the one place pipeline/ does it.
#include <string>
#include <string_view>
#include <vector>

namespace ionscreen::pipeline {

/// The items with `separator` between them ("" for none).
std::string join(const std::vector<std::string>& items, std::string_view separator);

/// The fields of `text` between the `separator`s, empty ones included ("a,,b," gives "a", "",
/// "b", ""); "" gives no field.
std::vector<std::string> split(std::string_view text, char separator);

}  // namespace ionscreen::pipeline
