// Progress output: a status line on a terminal, plain lines in a batch log.
#include <fmt/core.h>
#include <unistd.h>

#include "drivers/commands.hpp"

namespace ionscreen::drivers {

void show_progress(const char* stage, int done, int total) {
  if (isatty(STDERR_FILENO))
    fmt::print(stderr, "\r{:<18} {:>4}/{:<4}", stage, done + 1, total);
  else if (done == 0)
    fmt::print(stderr, "{}: {} steps\n", stage, total);
}

void clear_status_line() {
  if (isatty(STDERR_FILENO)) fmt::print(stderr, "\r{:79}\r", "");
}

}  // namespace ionscreen::drivers
