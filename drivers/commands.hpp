#pragma once
/// The subcommands of `ionscreen`, each a function from its arguments to an exit code, and the
/// small helpers they share. Boost.Program_options lives in drivers/ only.
#include <boost/program_options.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "gp/text.hpp"
#include "pipeline/mpi/mpi_session.hpp"

namespace ionscreen::drivers {

namespace po = boost::program_options;
using Args = std::vector<std::string>;

int bvse(const Args& args);
int landscape(const Args& args);
int job(const Args& args);
int barrier(const Args& args);
int dft_step(const Args& args);
int enumerate(const Args& args);
int run(const Args& args, const pipeline::MpiSession& mpi);
int resume(const Args& args, const pipeline::MpiSession& mpi);
int status(const Args& args);
int export_tables(const Args& args);
int benchmark(const Args& args, const pipeline::MpiSession& mpi);

/// A path option. Boost reads std::filesystem::path with operator>>, which stops at the first
/// space (and drops quotes), so paths are taken as whole strings.
inline po::typed_value<std::string>* path_value(std::filesystem::path* target) {
  return po::value<std::string>()->notifier([target](const std::string& s) { *target = s; });
}
inline po::typed_value<std::string>* path_value(std::filesystem::path* target,
                                                const std::filesystem::path& fallback) {
  return path_value(target)->default_value(fallback.string());
}

/// A number option whose default shows as written ("0.2", not "0.20000000000000001").
inline po::typed_value<double>* number_value(double* target) {
  return po::value(target)->default_value(*target, gp::format_double(*target));
}

/// Progress of a long step: a rewritten status line on a terminal, a plain line per stage in a
/// batch log.
void show_progress(const char* stage, int done, int total);
/// Clear the status line (terminal only).
void clear_status_line();

}  // namespace ionscreen::drivers
