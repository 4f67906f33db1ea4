#pragma once
/// candidates.h5: a campaign's candidate pool, written once (by `ionscreen enumerate` or the
/// first `run`) and never changed, so a checkpoint of the campaign ledger never rewrites it.
/// Schema: docs/campaign_file.md.
#include <filesystem>

#include "pipeline/pool/candidate_pool.hpp"

namespace ionscreen::pipeline {

/// Write `pool` as `file`, atomically.
void write_pool_file(const CandidatePool& pool, const std::filesystem::path& file);

/// Read a pool written by write_pool_file, its fingerprint checked. InputError naming the file,
/// with the way out, for a file that is damaged, not a pool, or from another schema version.
CandidatePool read_pool_file(const std::filesystem::path& file);

}  // namespace ionscreen::pipeline
