#pragma once
/// The stage runner of the DFT/NEB engines (`ionscreen dft-step JOB_DIR`, called in a loop by
/// cluster/wrappers/dft.sh): each call looks at the job directory, decides what happens next and
/// returns. It never runs a code itself; it writes the command for the wrapper to run.
///
/// Stages, each in its own folder of the job directory:
///   hop/          the hop set-up: the input structure's symmetry-distinct carrier hops
///                 (structures/hops.hpp), the chosen one in a supercell, both end points
///   relax_start/  relaxation of the start (fixed cell)
///   relax_end/    relaxation of the end
///   neb/          CI-NEB between the relaxed end points (images by IDPP or linear interpolation;
///                 every atom of the end placed at the periodic copy nearest its start position)
/// stages.json records each stage's state, the corrections applied and the problems seen, so a
/// killed job, or a retry that starts from a copy of an earlier attempt's folder, goes on from
/// the last complete stage and restarts an interrupted stage from its last state.
///
/// Corrections, in the custodian spirit and bounded by [dft] max_corrections per stage: an SCF
/// that did not converge gets the next SCF level (codes map levels 1..3 to their keywords) and
/// restarts from the last geometry; a relaxation or band out of steps, or an output cut off
/// (wall time, killed), restarts from its last geometry; a crash gets one restart; a rejected
/// input ends the job. When the corrections are used up, a relaxation fails the job with its
/// reason; a band that is still not converged is recorded as such, with the highest image energy
/// as E_b_lower_bound and E_b null, never as a barrier.
#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/jobs/dft/dft_code.hpp"

namespace ionscreen::pipeline::dft {

enum class StepResult {
  run,       ///< JOB_DIR/next_command holds the next command (see docs/job_protocol.md)
  finished,  ///< status and (for done) result.json are written
};

/// One decision for the job in `dir` (job.json written by the engine). Any problem with the job
/// itself (bad structure, no hop, missing program or pseudopotential) ends it: status
/// "failed: <reason>", StepResult::finished. Throws only when the directory cannot be written.
StepResult dft_step(const std::filesystem::path& dir);
/// The same with a given code instead of the one job.json's engine names (for tests).
StepResult dft_step(const std::filesystem::path& dir, const DftCode& code);

/// One line on where the DFT job in `dir` stands, from its stages.json: "relax_start complete,
/// relax_end running (try 2, scf level 1)"; "" when it has none (not started, or not a DFT job).
std::string describe_stages(const std::filesystem::path& dir);

/// Copies what a new attempt of a job can reuse from an earlier attempt's directory `from`
/// (complete stages, the interrupted stage's last state, stages.json) into `to`, leaving out
/// job.json, status, result.json, next_command and `scratch` names (wave functions). Nothing
/// happens when `from` holds no stages.json.
void carry_over(const std::filesystem::path& from, const std::filesystem::path& to,
                const std::vector<std::string>& scratch);

}  // namespace ionscreen::pipeline::dft
