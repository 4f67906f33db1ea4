#pragma once
/// Errors thrown by gp/. Libraries throw, drivers catch and map to exit codes.
#include <stdexcept>
#include <string>

namespace ionscreen::gp {

/// Base of every error gp/ throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The caller passed something gp/ cannot work with (bad shapes, NaN targets, unknown kernel).
class InvalidInput : public Error {
 public:
  using Error::Error;
};

/// The numbers went wrong despite valid input (covariance not positive definite after jitter).
class NumericalError : public Error {
 public:
  using Error::Error;
};

}  // namespace ionscreen::gp
