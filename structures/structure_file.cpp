#include "structures/structure_file.hpp"

#include "structures/cif.hpp"
#include "structures/poscar.hpp"

namespace ionscreen::structures {

Crystal read_structure(const std::filesystem::path& file) {
  const auto ext = file.extension().string();
  return ext == ".cif" || ext == ".CIF" ? read_cif(file) : read_poscar(file);
}

}  // namespace ionscreen::structures
