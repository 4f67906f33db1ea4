#pragma once
/// The 118 chemical element symbols and their atomic numbers.
#include <string_view>

namespace ionscreen::structures {

/// Atomic number of a chemical symbol exactly capitalised ("Fe", not "FE"): 1-118, 0 if it is
/// not one.
int atomic_number(std::string_view symbol);

/// True for the 118 chemical element symbols, exactly capitalised.
inline bool is_element_symbol(std::string_view symbol) { return atomic_number(symbol) > 0; }

}  // namespace ionscreen::structures
