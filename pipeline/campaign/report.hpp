#pragma once
/// Reading a campaign for people: the `status` table and the `export` CSV files. Both read only
/// the campaign file and candidates.h5 (never the scheduler), so they work while a campaign runs.
#include <filesystem>
#include <string>

#include "pipeline/pool/candidate_pool.hpp"
#include "pipeline/store/campaign_file.hpp"

namespace ionscreen::pipeline {

/// The campaign file of a campaign directory, of an INI campaign file (its [campaign]
/// directory), or the file itself if given.
std::filesystem::path locate_campaign_file(const std::filesystem::path& where);

/// The status table: jobs by state, best E_b so far, threshold hits, undecided count, pending
/// reasons of queued jobs, recent failures.
std::string status_text(const CampaignRecord& record, const CandidatePool& pool);

/// What `export` can write (its --table option).
enum class ExportKind {
  results,    ///< one row per candidate: status, E_b, attempts, last reason
  jobs,       ///< the job ledger
  decisions,  ///< one row per pick of every proposal
};
ExportKind parse_export_kind(const std::string& name);  ///< results | jobs | decisions

/// CSV text (header line first; text fields quoted when they hold a comma, quote or newline).
std::string export_csv(const CampaignRecord& record, const CandidatePool& pool, ExportKind kind);

}  // namespace ionscreen::pipeline
