#include "pipeline/campaign/report.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "gp/text.hpp"
#include "pipeline/base/error.hpp"
#include "pipeline/campaign/config.hpp"
#include "pipeline/jobs/dft/stages.hpp"

namespace ionscreen::pipeline {
namespace {

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string number(double v) { return std::isfinite(v) ? gp::format_double(v) : ""; }

std::string duration(double seconds) {
  const auto s = static_cast<long long>(seconds);
  return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
}

/// Per candidate: its jobs in ledger order.
std::map<std::int64_t, std::vector<const JobRecord*>> jobs_by_candidate(const CampaignRecord& r) {
  std::map<std::int64_t, std::vector<const JobRecord*>> out;
  for (const auto& j : r.jobs) out[j.candidate].push_back(&j);
  return out;
}

/// "done", "failed" or "in flight" for a candidate's last job.
std::string candidate_status(const std::vector<const JobRecord*>& jobs) {
  const JobRecord& last = *jobs.back();
  if (last.state == LedgerState::done) return "done";
  if (last.state == LedgerState::failed) return "failed";
  return "in flight";
}

}  // namespace

std::filesystem::path locate_campaign_file(const std::filesystem::path& where) {
  if (!std::filesystem::exists(where))
    throw InputError(where.string() +
                     ": no such campaign (give a campaign directory, its campaign.h5 or its INI "
                     "file)");
  if (std::filesystem::is_directory(where)) return CampaignPaths(where).campaign;
  if (where.extension() == ".ini")
    return CampaignPaths(load_campaign_config(where).directory).campaign;
  return where;
}

namespace {

/// The campaign, its state and the settings that shape it.
void describe_campaign(std::ostream& s, const CampaignRecord& r, const CampaignConfig& c,
                       const CandidatePool& pool) {
  s << "campaign " << r.name << " (" << c.directory.string() << "): " << pool.size() << " "
    << pool.carrier << " candidates, " << name_of(c.mode) << " search, engine "
    << name_of(c.engine.kind) << ", backend " << name_of(c.backend) << "\n";
  s << "status: " << r.status << "; elapsed " << duration(r.elapsed) << "; " << r.decisions.size()
    << " proposals\n";
  if (c.mode == SearchMode::threshold)
    s << "threshold: " << fmt::format("{:.4f}", r.threshold) << " eV (" << r.threshold_how << ")\n";
  if (!r.transfer_source.empty())
    s << "transfer: " << gp::to_string(c.transfer) << " from campaign " << r.transfer_source_name
      << " (" << r.transfer_source << ", " << r.transfer_source_observations << " results)\n";
}

/// Jobs by ledger state (submitted ones by the scheduler's last word), and why queued ones wait.
void describe_jobs(std::ostream& s, const CampaignRecord& r) {
  std::map<std::string, int> states;
  std::map<std::string, int> pending_reasons;
  for (const auto& j : r.jobs) {
    const std::string key = j.state == LedgerState::submitted && j.scheduler_state
                                ? "submitted/" + name_of(*j.scheduler_state)
                                : name_of(j.state);
    ++states[key];
    if (j.state == LedgerState::submitted && j.scheduler_state == JobState::queued &&
        !j.scheduler_reason.empty() && j.scheduler_reason != "None")
      ++pending_reasons[j.scheduler_reason];
  }
  s << "jobs:";
  for (const auto& [state, n] : states) s << "  " << state << " " << n;
  s << (states.empty() ? "  none yet" : "") << "\n";
  if (!pending_reasons.empty()) {
    s << "pending reasons:";
    for (const auto& [reason, n] : pending_reasons) s << "  " << reason << " (" << n << ")";
    s << "\n";
  }
}

/// Candidates evaluated, the best barrier, and in threshold mode the hits and the model's labels.
void describe_results(std::ostream& s, const CampaignRecord& r, const CampaignConfig& c,
                      const CandidatePool& pool) {
  std::vector<std::pair<double, std::int64_t>> done;  // (E_b, candidate), best first
  std::size_t failed = 0;
  for (const auto& [candidate, jobs] : jobs_by_candidate(r)) {
    const std::string status = candidate_status(jobs);
    if (status == "done") done.emplace_back(jobs.back()->e_b, candidate);
    failed += status == "failed";
  }
  std::sort(done.begin(), done.end());
  const std::size_t evaluated = done.size() + failed;
  s << "evaluated: " << evaluated << " of " << pool.size() << " ("
    << fmt::format("{:.1f}", 100.0 * double(evaluated) / double(pool.size()))
    << "%): " << done.size() << " results, " << failed << " failed for good\n";
  const auto name = [&](std::int64_t i) { return pool.names[static_cast<std::size_t>(i)]; };
  if (!done.empty())
    s << "best E_b: " << name(done.front().second) << " "
      << fmt::format("{:.4f}", done.front().first) << " eV\n";
  if (c.mode != SearchMode::threshold) return;
  std::vector<std::string> hits;
  for (const auto& [e, candidate] : done)
    if (e < r.threshold) hits.push_back(fmt::format("{} ({:.3f})", name(candidate), e));
  s << "below threshold (computed): " << hits.size();
  for (std::size_t k = 0; k < hits.size(); ++k) s << (k ? ", " : ": ") << hits[k];
  s << "\n";
  const auto last = std::find_if(r.decisions.rbegin(), r.decisions.rend(),
                                 [](const DecisionRecord& d) { return d.undecided >= 0; });
  if (last != r.decisions.rend())
    s << "model labels at proposal " << last->index << ": " << last->below << " below, "
      << last->above << " above, " << last->undecided << " undecided\n";
}

/// Which stage each DFT job in flight is in, and the last five failures.
void describe_progress(std::ostream& s, const CampaignRecord& r, const CampaignConfig& c,
                       const CandidatePool& pool) {
  const auto name = [&](std::int64_t i) { return pool.names[static_cast<std::size_t>(i)]; };
  std::vector<std::string> stages;
  for (const auto& j : r.jobs)
    if (j.state == LedgerState::submitted)
      if (const std::string where = dft::describe_stages(c.directory / j.directory); !where.empty())
        stages.push_back("  " + j.job_id + " " + name(j.candidate) + ": " + where);
  if (!stages.empty()) {
    s << "DFT stages of jobs in flight:\n";
    for (const auto& line : stages) s << line << "\n";
  }
  std::vector<const JobRecord*> failures;
  for (const auto& j : r.jobs)
    if (j.state == LedgerState::failed) failures.push_back(&j);
  if (failures.empty()) return;
  s << "recent failures:\n";
  for (std::size_t k = failures.size() > 5 ? failures.size() - 5 : 0; k < failures.size(); ++k)
    s << "  " << failures[k]->job_id << " " << name(failures[k]->candidate) << ": "
      << failures[k]->reason << "\n";
}

}  // namespace

std::string status_text(const CampaignRecord& r, const CandidatePool& pool) {
  const CampaignConfig c = parse_campaign_config(r.config_ini, "campaign.h5:/config/ini");
  std::ostringstream s;
  describe_campaign(s, r, c, pool);
  describe_jobs(s, r);
  describe_results(s, r, c, pool);
  describe_progress(s, r, c, pool);
  return s.str();
}

ExportKind parse_export_kind(const std::string& name) {
  if (name == "results") return ExportKind::results;
  if (name == "jobs") return ExportKind::jobs;
  if (name == "decisions") return ExportKind::decisions;
  throw InputError("--table '" + name + "': expected results, jobs or decisions");
}

std::string export_csv(const CampaignRecord& r, const CandidatePool& pool, ExportKind kind) {
  std::ostringstream s;
  const auto name = [&](std::int64_t i) {
    return csv_field(pool.names.at(static_cast<std::size_t>(i)));
  };
  switch (kind) {
    case ExportKind::results: {
      s << "candidate,status,E_b,attempts,job_id,reason\n";
      for (const auto& [candidate, jobs] : jobs_by_candidate(r)) {
        const JobRecord& last = *jobs.back();
        const std::string status = candidate_status(jobs);
        s << name(candidate) << ',' << status << ',' << (status == "done" ? number(last.e_b) : "")
          << ',' << jobs.size() << ',' << last.job_id << ',' << csv_field(last.reason) << '\n';
      }
      break;
    }
    case ExportKind::jobs:
      s << "job_id,candidate,attempt,engine,state,scheduler_id,scheduler_state,scheduler_reason,"
           "created,submitted,finished,directory,E_b,reason\n";
      for (const auto& j : r.jobs)
        s << j.job_id << ',' << name(j.candidate) << ',' << j.attempt << ',' << j.engine << ','
          << name_of(j.state) << ',' << csv_field(j.scheduler_id) << ','
          << (j.scheduler_state ? name_of(*j.scheduler_state) : "") << ','
          << csv_field(j.scheduler_reason) << ',' << number(j.created) << ',' << number(j.submitted)
          << ',' << number(j.finished) << ',' << csv_field(j.directory) << ','
          << (j.state == LedgerState::done ? number(j.e_b) : "") << ',' << csv_field(j.reason)
          << '\n';
      break;
    case ExportKind::decisions:
      s << "decision,time,reason,transfer_used,log_likelihood,candidate,acquisition,mean,"
           "variance\n";
      for (const auto& d : r.decisions)
        for (const auto& p : d.picks)
          s << d.index << ',' << number(d.time) << ',' << csv_field(d.reason) << ','
            << d.transfer_used << ',' << number(d.log_likelihood) << ',' << name(p.candidate) << ','
            << number(p.acquisition) << ',' << number(p.mean) << ',' << number(p.variance) << '\n';
      break;
  }
  return s.str();
}

}  // namespace ionscreen::pipeline
