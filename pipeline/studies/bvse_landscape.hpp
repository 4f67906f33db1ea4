#pragma once
/// The benchmark landscape: every composition of a candidate space, substituted into the
/// prototype, bond-valence relaxed, with its BVSE barriers and descriptors.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "structures/tavorite.hpp"

namespace ionscreen::pipeline {

struct BvseLandscapeConfig {
  std::filesystem::path inputs = "inputs";  ///< holds elements/, bvse/, prototypes/
  std::filesystem::path space = "inputs/spaces/default.ini";
  std::vector<std::string> carriers{"Li", "Na"};
  double grid_spacing = 0.2;  ///< BVSE grid, Å
};

struct LandscapeRow {
  structures::Composition composition;
  std::string structure_hash;        ///< FNV-1a of the relaxed structure's CIF text (hex)
  double e1d = 0, e2d = 0, e3d = 0;  ///< raw BVSE barriers, eV (inf: no percolation below 10 eV)
  double gii = 0;
  std::vector<double> descriptors;
};

struct BvseLandscape {
  std::vector<std::string> descriptor_names;
  std::vector<LandscapeRow> rows;
  std::vector<std::string> excluded;  ///< compositions left out, with the reason
};

/// Progress: (carrier, done, total).
using LandscapeProgress = std::function<void(const std::string&, std::size_t, std::size_t)>;

BvseLandscape compute_landscape(const BvseLandscapeConfig& config,
                                const LandscapeProgress& progress = {});

/// Write the table as CSV (written to a temporary file, then renamed: never half-written).
/// Columns: compound, carrier, A, M, M_ox, X, X_ox, Z, structure_hash, E_1D, E_2D, E_3D, gii,
/// then the descriptors by name. A '#' header states how it was made.
void write_landscape(const BvseLandscape& landscape, const BvseLandscapeConfig& config,
                     const std::filesystem::path& out);

/// Per-carrier distribution of E_1D and the Li/Na rank correlation, for the report.
struct CarrierSummary {
  std::string carrier;
  std::size_t count = 0, percolating = 0;
  double min = 0, q05 = 0, q25 = 0, median = 0, q75 = 0, max = 0;
  double threshold = 0;             ///< the default quantile threshold (campaign/threshold.hpp), eV
  std::size_t below_threshold = 0;  ///< compounds with E_1D below it
};
struct LandscapeSummary {
  std::vector<CarrierSummary> carriers;
  double spearman_li_na = 0;  ///< rank correlation of E_1D over frameworks present for both
  std::size_t pairs = 0;
};
LandscapeSummary summarize(const BvseLandscape& landscape);

}  // namespace ionscreen::pipeline
