#include "pipeline/pool/space_pool.hpp"

#include <atomic>

#include "pipeline/base/error.hpp"
#include "structures/cif.hpp"

namespace ionscreen::pipeline {
namespace st = ionscreen::structures;

SpaceBuilder::SpaceBuilder(const std::filesystem::path& inputs)
    : elements_(st::ElementTable::load(inputs / "elements")),
      bond_valence_(st::BondValenceTable::load(inputs / "bvse")),
      descriptors_(elements_),
      prototype_(st::tavorite_prototype(st::read_cif(inputs / kTavoritePrototype))) {}

std::vector<st::Composition> SpaceBuilder::compositions(const std::filesystem::path& space,
                                                        const std::string& carrier,
                                                        std::vector<std::string>& excluded) const {
  const st::SpaceSpec spec = st::load_space(space, carrier);
  return st::keep_supported(
      st::enumerate_checked(spec,
                            [&](const std::string& e, int ox) { return elements_.has_ion(e, ox); }),
      [&](const std::string& c, int co, const std::string& a, int ao) {
        return bond_valence_.has_pair(c, co, a, ao);
      },
      excluded);
}

SpaceBuilder::Candidate SpaceBuilder::build(const st::Composition& composition,
                                            const std::string& carrier) const {
  Candidate out{st::relax_bond_valence(st::substitute(prototype_, composition), bond_valence_), {}};
  const Eigen::VectorXd site = descriptors_.site_values(composition);
  const Eigen::VectorXd structure = descriptors_.structure_values(
      out.relaxed.relaxed, st::substituted_roles(prototype_, composition), carrier);
  out.descriptors.resize(site.size() + structure.size());
  out.descriptors << site, structure;
  return out;
}

CandidatePool build_space_pool(const std::filesystem::path& inputs,
                               const std::filesystem::path& space, const std::string& carrier,
                               const BuildProgress& progress) {
  const SpaceBuilder builder(inputs);
  CandidatePool pool;
  pool.carrier = carrier;
  pool.source = "space " + space.string() + ", carrier " + carrier + ", prototype inputs/" +
                kTavoritePrototype + ", bond-valence relaxed";
  const auto compositions = builder.compositions(space, carrier, pool.excluded);
  const auto n = static_cast<Eigen::Index>(compositions.size());
  pool.descriptor_names = builder.descriptor_names();
  pool.descriptors.resize(n, static_cast<Eigen::Index>(pool.descriptor_names.size()));
  pool.structures.resize(compositions.size());
  std::vector<std::string> failures(compositions.size());
  std::atomic<std::size_t> done{0};
  // Each candidate is independent and deterministic, so the thread count changes nothing.
#pragma omp parallel for schedule(dynamic)
  for (Eigen::Index i = 0; i < n; ++i) {
    const st::Composition& composition = compositions[static_cast<std::size_t>(i)];
    try {
      const SpaceBuilder::Candidate built = builder.build(composition, carrier);
      pool.descriptors.row(i) = built.descriptors.transpose();
      pool.structures[static_cast<std::size_t>(i)] = st::write_cif(built.relaxed.relaxed);
    } catch (const std::exception& e) {
      failures[static_cast<std::size_t>(i)] = composition.formula() + ": " + e.what();
    }
    const std::size_t finished = ++done;
#pragma omp critical(build_progress)
    if (progress) progress(finished, compositions.size());
  }
  for (const auto& failure : failures)
    if (!failure.empty()) throw InputError("cannot build candidate " + failure);
  for (const auto& composition : compositions) pool.names.push_back(composition.formula());
  pool.fingerprint = fingerprint(pool);
  return pool;
}

}  // namespace ionscreen::pipeline
