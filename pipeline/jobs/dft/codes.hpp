#pragma once
/// The DFT/NEB codes by engine name, and the site profile's programs each one runs.
#include <memory>
#include <string>
#include <vector>

#include "pipeline/jobs/dft/dft_code.hpp"

namespace ionscreen::pipeline::dft {

/// The code for an engine name (qe, cp2k, vasp); InputError naming them otherwise.
std::unique_ptr<DftCode> make_code(const std::string& name);

/// The site profile keys of the programs a code runs (qe: pw, neb; cp2k: cp2k; vasp: vasp).
std::vector<std::string> program_keys(const std::string& name);

/// "" when every program `code` runs (launcher included) is runnable, else which are not, named
/// by their site profile keys.
std::string missing_programs(const std::string& code, const DftSite& site);

/// Whether `program` can be started: a path with '/' that is an executable file, or a name found
/// as one in a folder of $PATH.
bool runnable(const std::string& program);

}  // namespace ionscreen::pipeline::dft
