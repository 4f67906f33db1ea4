#pragma once
/// The candidates of a candidate space: every composition of a space file for a carrier,
/// substituted into the tavorite prototype, bond-valence relaxed and described. The one chain
/// that a campaign's pool (build_space_pool) and the BVSE landscape (studies/bvse_landscape.hpp)
/// are built with.
#include <Eigen/Dense>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/pool/candidate_pool.hpp"
#include "structures/bond_valence.hpp"
#include "structures/bv_relax.hpp"
#include "structures/descriptors.hpp"
#include "structures/elements.hpp"
#include "structures/tavorite.hpp"

namespace ionscreen::pipeline {

/// The prototype every space is substituted into, relative to the inputs folder.
inline constexpr const char* kTavoritePrototype = "prototypes/LiFeSO4F_tavorite.cif";

/// Element data, bond-valence parameters and the prototype of an inputs folder, and what is
/// made of them per composition. Not copyable: the descriptors refer to the element table.
class SpaceBuilder {
 public:
  /// Reads `inputs`/elements, `inputs`/bvse and the prototype.
  explicit SpaceBuilder(const std::filesystem::path& inputs);
  SpaceBuilder(const SpaceBuilder&) = delete;
  SpaceBuilder& operator=(const SpaceBuilder&) = delete;

  /// The charge-balanced compositions of the space file for `carrier` whose ions the element
  /// table knows and whose bonded pairs have bond-valence parameters; the others are appended to
  /// `excluded` with the reason.
  std::vector<structures::Composition> compositions(const std::filesystem::path& space,
                                                    const std::string& carrier,
                                                    std::vector<std::string>& excluded) const;

  /// One composition built: its relaxed structure and its descriptors (descriptor_names()).
  struct Candidate {
    structures::RelaxReport relaxed;
    Eigen::VectorXd descriptors;
  };
  Candidate build(const structures::Composition& composition, const std::string& carrier) const;

  std::vector<std::string> descriptor_names() const { return descriptors_.names(); }
  const structures::ElementTable& elements() const { return elements_; }

 private:
  structures::ElementTable elements_;
  structures::BondValenceTable bond_valence_;
  structures::Descriptors descriptors_;
  structures::Prototype prototype_;
};

/// Progress of building: (done, total).
using BuildProgress = std::function<void(std::size_t, std::size_t)>;

/// The pool of a space for a carrier (parallel over candidates, the same result for any thread
/// count). InputError naming the composition when one cannot be built.
CandidatePool build_space_pool(const std::filesystem::path& inputs,
                               const std::filesystem::path& space, const std::string& carrier,
                               const BuildProgress& progress = {});

}  // namespace ionscreen::pipeline
