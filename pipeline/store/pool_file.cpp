#include "pipeline/store/pool_file.hpp"

#include <string>

#include "pipeline/base/error.hpp"
#include "pipeline/store/campaign_file.hpp"
#include "pipeline/store/hdf5_file.hpp"

namespace ionscreen::pipeline {
namespace {

constexpr int kPoolSchemaVersion = 1;

CandidatePool read_checked(const std::filesystem::path& file) {
  const auto f = hdf5::File::open_read_only(file);
  const auto g = f.group("candidates");
  const auto a = g.attributes();
  if (const auto v = a.read_int64("schema_version"); v != kPoolSchemaVersion)
    throw InputError(file.string() + ": candidate schema version " + std::to_string(v) +
                     " is not supported (this ionscreen reads version " +
                     std::to_string(kPoolSchemaVersion) + ")");
  CandidatePool pool;
  pool.carrier = a.read_string("carrier");
  pool.source = a.read_string("source");
  pool.names = g.read_strings("name");
  pool.descriptor_names = g.read_strings("descriptor_names");
  const hdf5::Matrix m = g.read_matrix("descriptors");
  if (m.rows != pool.names.size() || m.cols != pool.descriptor_names.size())
    throw DamagedFileError(file.string() + ": /candidates/descriptors is " +
                           std::to_string(m.rows) + " x " + std::to_string(m.cols) + ", expected " +
                           std::to_string(pool.names.size()) + " x " +
                           std::to_string(pool.descriptor_names.size()));
  pool.descriptors.resize(static_cast<Eigen::Index>(m.rows), static_cast<Eigen::Index>(m.cols));
  for (std::size_t i = 0; i < m.rows; ++i)
    for (std::size_t j = 0; j < m.cols; ++j)
      pool.descriptors(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) =
          m.values[i * m.cols + j];
  pool.structures = g.read_strings("structure_cif");
  pool.excluded = g.read_strings("excluded");
  pool.fingerprint = fingerprint(pool);
  if (std::to_string(pool.fingerprint) != a.read_string("fingerprint"))
    throw DamagedFileError(file.string() +
                           ": the candidate pool does not match its fingerprint "
                           "(the file was changed or damaged)");
  return pool;
}

}  // namespace

void write_pool_file(const CandidatePool& pool, const std::filesystem::path& file) {
  hdf5::write_file_atomically(file, [&](hdf5::File& f) {
    auto g = f.create_group("candidates");
    auto a = g.attributes();
    a.set_int64("schema_version", kPoolSchemaVersion);
    a.set_string("carrier", pool.carrier);
    a.set_string("source", pool.source);
    a.set_string("fingerprint", std::to_string(pool.fingerprint));
    g.write_strings("name", pool.names);
    g.write_strings("descriptor_names", pool.descriptor_names);
    hdf5::Matrix m{static_cast<std::size_t>(pool.descriptors.rows()),
                   static_cast<std::size_t>(pool.descriptors.cols()),
                   {}};
    m.values.reserve(m.rows * m.cols);
    for (Eigen::Index i = 0; i < pool.descriptors.rows(); ++i)
      for (Eigen::Index j = 0; j < pool.descriptors.cols(); ++j)
        m.values.push_back(pool.descriptors(i, j));
    g.write_matrix("descriptors", m);
    g.write_strings("structure_cif", pool.structures);
    g.write_strings("excluded", pool.excluded);
  });
}

CandidatePool read_pool_file(const std::filesystem::path& file) {
  try {
    return read_checked(file);
  } catch (const hdf5::Error& e) {
    throw DamagedFileError(
        file.string() + ": damaged or not a candidate pool: " + e.what() +
        "\nIt is a function of the campaign's settings: 'ionscreen resume' builds it again "
        "(keeping this file as candidates.h5.damaged)");
  }
}

}  // namespace ionscreen::pipeline
