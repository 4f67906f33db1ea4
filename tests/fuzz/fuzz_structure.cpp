// Fuzz target: a structure file (IONSCREEN_FUZZ_FORMAT: cif, poscar or xyz) read as the commands
// read it. A file that reads must also read back after ionscreen writes it again.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "structures/cif.hpp"
#include "structures/poscar.hpp"
#include "structures/xyz.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace ionscreen::structures;

constexpr std::string_view kFormat = IONSCREEN_FUZZ_FORMAT;

Crystal parse(const std::string& text) {
  if (kFormat == "cif") return parse_cif(text, "fuzz.cif");
  if (kFormat == "poscar") return parse_poscar(text, "POSCAR");
  return parse_extxyz(text, "fuzz.xyz");
}

std::string write(const Crystal& crystal) {
  if (kFormat == "cif") return write_cif(crystal);
  if (kFormat == "poscar") return write_poscar(crystal);
  return write_extxyz(crystal);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = ionscreen::fuzz::as_text(data, size);
  std::optional<Crystal> crystal;
  ionscreen::fuzz::refusal_allowed([&] { crystal = parse(text); });
  if (crystal) (void)parse(write(*crystal));  // refusing ionscreen's own output is a finding
  return 0;
}
