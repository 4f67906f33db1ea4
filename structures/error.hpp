#pragma once
/// Errors thrown by structures/. Messages name the file, line or key and what is accepted.
#include <stdexcept>

namespace ionscreen::structures {

/// Malformed or unusable input: a CIF syntax error, an unknown element or oxidation state, a
/// missing table entry, a charge-unbalanced request.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A structure that fails a physical check (overlapping atoms, a failed symmetry search).
class StructureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ionscreen::structures
