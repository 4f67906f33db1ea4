#pragma once
/// Turning split (partially occupied) sites into ordered ones.
#include <string>

#include "structures/crystal.hpp"

namespace ionscreen::structures {

/// Merge groups of same-element partially occupied sites lying within max_distance (Å, periodic)
/// whose occupancies add up to 1 (±1e-3) into one fully occupied site at their (periodic) centroid
/// (weighted by occupancy, which for the usual two half sites is the midpoint).
/// Throws InputError naming the site labels if partial sites remain that cannot be merged.
///
/// A site is partial when its occupancy is below 1 - 1e-3. Groups are the connected components
/// of the graph joining partial sites of one element closer than max_distance. The merged site
/// takes the place (in site order) of the group's first site, and its label, oxidation state and
/// fixed flags; fully occupied sites are returned unchanged.
Crystal merge_split_sites(const Crystal& crystal, double max_distance);

/// Throws InputError naming the first partially occupied site, for writers of formats that hold
/// fully occupied sites only: `writer` names the function, `format` the file format.
void require_full_occupancy(const Crystal& crystal, const std::string& writer,
                            const std::string& format);

}  // namespace ionscreen::structures
