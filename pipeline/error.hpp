#pragma once
/// Errors thrown by pipeline/: every message names the file, the key or line, and the bad value.
#include <stdexcept>

namespace ionscreen::pipeline {

/// Bad input from a user's file or option (exit code 2 in the drivers).
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ionscreen::pipeline
