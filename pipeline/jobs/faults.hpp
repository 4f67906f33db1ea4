#pragma once
/// Fault injection for the table engine (docs/job_protocol.md, "Fault injection"): a job can be
/// made to crash, hang, write garbage or run slowly, so that a campaign's handling of failures is
/// tested with real processes. Which fault a job gets is a pure function of (seed, job id): the
/// same job id always draws the same, a retry (a new job id) draws afresh.
#include <cstdint>
#include <string>

namespace ionscreen::pipeline {

enum class Fault {
  none,     ///< compute normally
  fail,     ///< exit non-zero without a final status, as a crashed code would
  hang,     ///< never finish (sleep an hour): the backend's wall-time limit must end it
  garbage,  ///< status done, but a result.json that cannot be used
  slow,     ///< sleep 0.5 s, then compute normally
};
const char* to_string(Fault fault);

/// Rates of each fault, each in [0, 1], summing to at most 1.
struct FaultRates {
  double fail = 0.0;
  double hang = 0.0;
  double garbage = 0.0;
  double slow = 0.0;
};

/// Parses "fail=0.1,hang=0.05,garbage=0.05,slow=0.2" (any subset, any order; "" is no faults).
/// InputError naming `origin`, the entry and what is accepted for an unknown kind, a repeated
/// kind, a malformed number, a rate outside [0, 1] or rates summing to more than 1.
FaultRates parse_faults(const std::string& spec, const std::string& origin);

/// A uniform number in [0, 1) determined by (seed, job_id) alone: a hash, the same on every
/// platform and run, specified in docs/job_protocol.md ("Fault injection") so that tests outside
/// C++ predict outcomes with it (tests/campaign/campaign_checks.py); changing it breaks them.
double fault_draw(std::uint64_t seed, const std::string& job_id);

/// The fault a draw in [0, 1) falls on: [0, fail) fail, then hang, garbage, slow, the rest none.
Fault choose_fault(const FaultRates& rates, double draw);

/// Which of the garbage variants a draw that chose garbage writes (0, 1 or 2, about equally
/// often): where the draw lies within the garbage interval.
int garbage_variant(const FaultRates& rates, double draw);

}  // namespace ionscreen::pipeline
