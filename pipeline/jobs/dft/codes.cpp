#include "pipeline/jobs/dft/codes.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "pipeline/base/error.hpp"
#include "pipeline/jobs/dft/cp2k.hpp"
#include "pipeline/jobs/dft/qe.hpp"
#include "pipeline/jobs/dft/vasp.hpp"

namespace ionscreen::pipeline::dft {

std::unique_ptr<DftCode> make_code(const std::string& name) {
  if (name == "qe") return make_qe();
  if (name == "cp2k") return make_cp2k();
  if (name == "vasp") return make_vasp();
  throw InputError("'" + name + "' is not a DFT code: qe, cp2k or vasp");
}

std::vector<std::string> program_keys(const std::string& name) {
  if (name == "qe") return {"pw", "neb"};
  if (name == "cp2k") return {"cp2k"};
  if (name == "vasp") return {"vasp"};
  throw InputError("'" + name + "' is not a DFT code: qe, cp2k or vasp");
}

bool runnable(const std::string& program) {
  const auto executable = [](const std::filesystem::path& file) {
    return std::filesystem::is_regular_file(file) && ::access(file.c_str(), X_OK) == 0;
  };
  if (program.find('/') != std::string::npos) return executable(program);
  const char* path = std::getenv("PATH");
  std::istringstream folders(path ? path : "");
  for (std::string folder; std::getline(folders, folder, ':');)
    if (!folder.empty() && executable(std::filesystem::path(folder) / program)) return true;
  return false;
}

std::string missing_programs(const std::string& code, const DftSite& site) {
  std::string missing;
  for (const std::string& key : program_keys(code)) {
    const auto argv = launch(site, key, site.cores);
    const bool launcher = argv.size() > 1 && !runnable(argv.front());
    if (launcher && missing.find("launcher") == std::string::npos)
      missing +=
          (missing.empty() ? "" : ", ") + std::string("[dft] launcher '") + argv.front() + "'";
    if (!runnable(argv.back()))
      missing +=
          (missing.empty() ? "" : ", ") + std::string("[dft] ") + key + " = '" + argv.back() + "'";
  }
  if (missing.empty()) return missing;
  return "cannot run " + missing +
         ": not an executable file, nor a program found on PATH (expected a program's name or "
         "path; a site profile with a setup script is checked inside the job)";
}

}  // namespace ionscreen::pipeline::dft
