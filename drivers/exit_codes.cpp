#include "drivers/exit_codes.hpp"

#include <boost/program_options/errors.hpp>
#include <filesystem>
#include <iostream>
#include <new>

#include "gp/error.hpp"
#include "structures/error.hpp"

namespace ionscreen::drivers {
namespace {

using pipeline::ErrorKind;

/// What the message is prefixed with, after "ionscreen <command>: ".
const char* label(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::input:
    case ErrorKind::conflict:
      return "";
    case ErrorKind::numerical:
      return "numerical error: ";
    case ErrorKind::scheduler:
      return "scheduler error: ";
    case ErrorKind::io:
      return "I/O error: ";
    case ErrorKind::internal:
      break;
  }
  return "internal error: ";
}

}  // namespace

ErrorKind classify(const std::exception& error) {
  if (const auto* e = dynamic_cast<const pipeline::Error*>(&error)) return e->kind();
  if (dynamic_cast<const gp::InvalidInput*>(&error)) return ErrorKind::input;
  if (dynamic_cast<const gp::NumericalError*>(&error)) return ErrorKind::numerical;
  if (dynamic_cast<const structures::InputError*>(&error)) return ErrorKind::input;
  if (dynamic_cast<const structures::StructureError*>(&error)) return ErrorKind::input;
  if (dynamic_cast<const boost::program_options::error*>(&error)) return ErrorKind::input;
  if (dynamic_cast<const std::filesystem::filesystem_error*>(&error)) return ErrorKind::io;
  if (dynamic_cast<const std::bad_alloc*>(&error)) return ErrorKind::io;
  return ErrorKind::internal;
}

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::input:
      return kInput;
    case ErrorKind::numerical:
      return kNumerical;
    case ErrorKind::scheduler:
      return kScheduler;
    case ErrorKind::io:
      return kIo;
    case ErrorKind::conflict:
      return kConflict;
    case ErrorKind::internal:
      break;
  }
  return kInternal;
}

int report_current_error(const std::string& command) {
  try {
    throw;
  } catch (const std::exception& e) {
    const ErrorKind kind = classify(e);
    const bool option = dynamic_cast<const boost::program_options::error*>(&e) != nullptr;
    std::cerr << "ionscreen " << command << ": " << label(kind) << e.what()
              << (option ? " (see --help)" : "") << '\n';
    return exit_code(kind);
  } catch (...) {
    std::cerr << "ionscreen " << command << ": internal error: an exception of unknown type\n";
    return kInternal;
  }
}

}  // namespace ionscreen::drivers
