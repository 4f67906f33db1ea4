#pragma once
/// What the fuzz targets share (docs/fuzzing.md): the input as text, a scratch folder per
/// process, the several-file input format, and the line between a refusal and a finding.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "gp/error.hpp"
#include "pipeline/base/error.hpp"
#include "structures/error.hpp"

namespace ionscreen::fuzz {

inline std::string as_text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

/// This process's scratch folder, emptied: every input starts from nothing.
std::filesystem::path fresh_scratch();

/// The files of a several-file input: each starts with a line "==> NAME <==" (as `head` prints
/// several files) and runs to the next such line. NAME is a relative path of plain names
/// ("pw.out", "01/OUTCAR"); anything else (absolute, "..", empty parts) is dropped.
std::map<std::string, std::string> unpack(std::string_view text);

/// Writes `files` under `dir`, making sub-folders.
void write_files(const std::filesystem::path& dir, const std::map<std::string, std::string>& files);

/// Runs `parse`. A refusal is the expected answer to bad input: the errors the commands turn into
/// exit codes 2 to 7 (pipeline's family but `internal`, structures' and gp's). Anything else, an
/// `internal` error, another exception or a crash, propagates and is a finding.
template <class Parse>
void refusal_allowed(Parse&& parse) {
  try {
    parse();
  } catch (const pipeline::Error& e) {
    if (e.kind() == pipeline::ErrorKind::internal) throw;
  } catch (const structures::InputError&) {
  } catch (const structures::StructureError&) {
  } catch (const gp::Error&) {
  }
}

}  // namespace ionscreen::fuzz
