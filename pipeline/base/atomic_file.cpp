#include "pipeline/base/atomic_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "pipeline/base/error.hpp"

namespace ionscreen::pipeline {

void write_atomically(const std::filesystem::path& file, const std::string& text) {
  const std::filesystem::path temporary = file.string() + ".tmp";
  {
    errno = 0;
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      const std::string why = errno != 0 ? std::strerror(errno) : "write failed";
      out.close();
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw IoError(temporary.string() + ": cannot write: " + why);
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, file, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw IoError(file.string() + ": cannot replace: " + ec.message());
  }
}

}  // namespace ionscreen::pipeline
