#pragma once
/// Closed choices as enums with the names they have in files (INI keys, job.json, the campaign
/// file): one table per enum, read both ways. An enum E takes part by a specialisation
///
///   template <> struct EnumNames<E> {
///     static constexpr std::pair<E, const char*> values[] = {{E::a, "a"}, {E::b, "b"}};
///   };
///
/// next to its declaration.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ionscreen::pipeline {

template <class E>
struct EnumNames;

/// The name of `value` ("?" for a value the table lacks, which a complete table never has).
template <class E>
std::string name_of(E value) {
  for (const auto& [v, name] : EnumNames<E>::values)
    if (v == value) return name;
  return "?";
}

/// The value named `name`; nothing for a name the table lacks.
template <class E>
std::optional<E> from_name(std::string_view name) {
  for (const auto& [v, n] : EnumNames<E>::values)
    if (name == n) return v;
  return std::nullopt;
}

/// Every name, in the table's order.
template <class E>
std::vector<std::string> names_of() {
  std::vector<std::string> out;
  for (const auto& [v, name] : EnumNames<E>::values) out.emplace_back(name);
  return out;
}

}  // namespace ionscreen::pipeline
