#pragma once
/// The errors pipeline/ throws: one family, each with a kind that drivers/exit_codes.cpp maps to
/// the program's exit code (docs/architecture.md, "Errors"). Every message names the file, the
/// key or line, and the bad value. gp/ and structures/ keep their own small hierarchies (they
/// are pure libraries); the drivers classify those into the same kinds.
#include <stdexcept>
#include <string>

namespace ionscreen::pipeline {

enum class ErrorKind {
  input,      ///< bad input from a user's file or option
  numerical,  ///< the numbers went wrong on valid input
  scheduler,  ///< the scheduler refused or failed a request
  io,         ///< the system refused: disk full, permission denied, a program cannot start
  conflict,   ///< another ionscreen holds what this one needs (a campaign's lock)
  internal,   ///< a broken invariant: a bug
};

/// Base of every error pipeline/ throws.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

/// Bad input from a user's file or option.
class InputError : public Error {
 public:
  explicit InputError(const std::string& message) : Error(ErrorKind::input, message) {}
};

/// The scheduler refused or failed a request; the message carries its own words. A permanent
/// refusal (an invalid partition or account, say) is not cured by trying again.
class SchedulerError : public Error {
 public:
  explicit SchedulerError(const std::string& message, bool permanent = false)
      : Error(ErrorKind::scheduler, message), permanent_(permanent) {}
  bool permanent() const { return permanent_; }

 private:
  bool permanent_;
};

/// The system refused an operation (a write on a full disk, a missing permission, a program that
/// cannot be started); the message names the path and the system's words.
class IoError : public Error {
 public:
  explicit IoError(const std::string& message) : Error(ErrorKind::io, message) {}
};

/// Another ionscreen process holds the campaign.
class ConflictError : public Error {
 public:
  explicit ConflictError(const std::string& message) : Error(ErrorKind::conflict, message) {}
};

/// The numbers went wrong on valid input.
class NumericalError : public Error {
 public:
  explicit NumericalError(const std::string& message) : Error(ErrorKind::numerical, message) {}
};

}  // namespace ionscreen::pipeline
