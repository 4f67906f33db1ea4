#pragma once
/// The one place errors become exit codes. Every library error has a kind (pipeline/base/
/// error.hpp for pipeline/; gp/ and structures/ errors are classified here), and each kind has
/// its code (README, "Exit codes"; docs/architecture.md, "Errors").
#include <exception>
#include <string>

#include "pipeline/base/error.hpp"

namespace ionscreen::drivers {

enum ExitCode : int {
  kSuccess = 0,
  kInternal = 1,       ///< a bug: the message says what broke
  kInput = 2,          ///< bad input: the message names the file, key and value
  kJobEnded = 3,       ///< dft-step only: the job has ended (not an error)
  kNumerical = 4,      ///< the numbers went wrong on valid input
  kScheduler = 5,      ///< the scheduler refused or failed
  kIo = 6,             ///< the system refused: disk full, permission, a program cannot start
  kConflict = 7,       ///< another ionscreen holds the campaign
  kInterrupted = 130,  ///< stopped by Ctrl-C or SIGTERM (128 + SIGINT)
};

/// The kind of any exception ionscreen's libraries throw, and of the standard ones they let
/// through (a file-system error is io, anything unknown internal).
pipeline::ErrorKind classify(const std::exception& error);

/// The exit code of a kind.
int exit_code(pipeline::ErrorKind kind);

/// For the exception being handled: prints "ionscreen <command>: <what>" (with the kind for
/// anything but bad input) to stderr and returns its exit code. Call it in a catch block.
int report_current_error(const std::string& command);

}  // namespace ionscreen::drivers
