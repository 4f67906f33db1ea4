#include "pipeline/campaign/directory.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "pipeline/base/error.hpp"
#include "pipeline/campaign/setup.hpp"
#include "pipeline/store/pool_file.hpp"

namespace ionscreen::pipeline {
namespace {

/// How long a new run waits for the campaign lock: longer than a scheduler command of a killed
/// run can take (Slurm's client timeouts are tens of seconds).
constexpr std::chrono::seconds kLockWait{90};

/// " (pid N)" when a live ionscreen process holds the flock on `directory` (Linux's /proc/locks:
/// "1: FLOCK ADVISORY WRITE <pid> <major>:<minor>:<inode> 0 EOF"), else "" (the holder is then a
/// scheduler command that outlived its driver, or another program).
std::string live_holder(const std::filesystem::path& directory) {
  struct stat info {};
  if (::stat(directory.c_str(), &info) != 0) return "";
  char device[64];
  std::snprintf(device, sizeof device, "%02x:%02x:%llu", ::major(info.st_dev), ::minor(info.st_dev),
                static_cast<unsigned long long>(info.st_ino));
  std::ifstream locks("/proc/locks");
  for (std::string line; std::getline(locks, line);) {
    std::istringstream words(line);
    std::string id, type, advisory, access, pid, where;
    words >> id >> type >> advisory >> access >> pid >> where;
    if (type != "FLOCK" || where != device) continue;
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/" + pid + "/exe", ec);
    if (!ec && exe.filename() == "ionscreen" && pid != std::to_string(::getpid()))
      return " (pid " + pid + ")";
  }
  return "";
}

/// The element symbols in candidate names that are formulas ("LiFeSO4F": Li Fe S O F).
std::set<std::string> formula_elements(const std::vector<std::string>& names) {
  std::set<std::string> elements;
  for (const auto& name : names)
    for (std::size_t i = 0; i < name.size(); ++i)
      if (std::isupper(static_cast<unsigned char>(name[i]))) {
        const bool two =
            i + 1 < name.size() && std::islower(static_cast<unsigned char>(name[i + 1]));
        elements.insert(name.substr(i, two ? 2 : 1));
      }
  return elements;
}

/// The record of a campaign being resumed, checked against the settings and the pool. A damaged
/// campaign.h5 (review findings D6, D7) is set aside as campaign.h5.damaged and the campaign goes
/// on from the previous checkpoint: the jobs the lost checkpoint knew of are found again in
/// their directories or by name, as after any crash.
CampaignRecord resumed_record(const CampaignConfig& config, const CampaignPaths& paths,
                              const CandidatePool& pool, const CampaignEvents& events) {
  CampaignRead read = read_campaign_file_or_previous(paths.campaign);
  if (read.from_previous) {
    const std::filesystem::path damaged = paths.campaign.string() + ".damaged";
    std::filesystem::rename(paths.campaign, damaged);
    if (events.line)
      events.line(read.damage + "\nGoing on from the previous checkpoint " +
                  paths.campaign.string() + ".prev; the damaged file is kept as " +
                  damaged.string());
  }
  CampaignRecord record = std::move(read.record);
  const CampaignConfig before = parse_campaign_config(record.config_ini, paths.campaign);
  if (const auto diff = identity_differences(before, config); !diff.empty()) {
    std::string text;
    for (const auto& d : diff) text += "\n  " + d;
    throw InputError(config.file.string() + " does not match the campaign in " +
                     paths.campaign.string() + ", which was started with other settings:" + text +
                     "\nStart a new campaign (another [campaign] directory) to change them.");
  }
  if (record.pool_fingerprint != std::to_string(pool.fingerprint))
    throw InputError(paths.candidates.string() + " is not the candidate pool " +
                     paths.campaign.string() + " was run on");
  return record;
}

/// The pool of a campaign being run or resumed. A damaged candidates.h5 is set aside as
/// candidates.h5.damaged and built again from the settings: the pool is a function of them, and
/// a resume then checks the rebuilt pool's fingerprint against the one the campaign recorded.
CandidatePool pool_for_run(const CampaignConfig& config, const CampaignPaths& paths,
                           const CampaignEvents& events) {
  const auto progress = [&](std::size_t done, std::size_t total) {
    if (events.status)
      events.status("building candidates " + std::to_string(done) + "/" + std::to_string(total));
  };
  try {
    return open_or_build_pool(config, progress);
  } catch (const DamagedFileError& damaged) {
    const std::filesystem::path aside = paths.candidates.string() + ".damaged";
    std::filesystem::rename(paths.candidates, aside);
    if (events.line)
      events.line(std::string(damaged.what()) + "\nBuilding the candidate pool again from " +
                  config.file.string() + "; the damaged file is kept as " + aside.string());
    return open_or_build_pool(config, progress);
  }
}

}  // namespace

CampaignLock::CampaignLock(const CampaignPaths& paths, BackendKind backend,
                           const std::function<void(const std::string&)>& say) {
  // The directory itself is locked, not a file in it: a lock file can be deleted under a running
  // driver, and a second one would take a new file's lock (review finding D16).
  const int cloexec = backend == BackendKind::slurm ? 0 : O_CLOEXEC;
  fd_ = ::open(paths.directory.c_str(), O_RDONLY | O_DIRECTORY | cloexec);
  if (fd_ < 0)
    throw IoError(paths.directory.string() +
                  ": cannot open the campaign directory to lock it: " + std::strerror(errno));
  const auto deadline = std::chrono::steady_clock::now() + kLockWait;
  bool said = false;
  while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const std::string holder = live_holder(paths.directory);
    if (!holder.empty() || std::chrono::steady_clock::now() > deadline) {
      ::close(fd_);
      throw ConflictError(paths.directory.string() + ": another ionscreen" + holder +
                          " is running this campaign (it holds the directory's lock); wait for "
                          "it or stop it first");
    }
    if (!said && say) say("waiting for a scheduler command of the previous run to finish");
    said = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

CampaignLock::~CampaignLock() {
  if (fd_ >= 0) ::close(fd_);
}

CandidatePool build_pool(const CampaignConfig& config, const BuildProgress& progress) {
  if (!config.table.empty())
    return pool_from_table(config.table, config.table_key, config.table_where, config.carrier);
  return build_space_pool(config.inputs, config.space, config.carrier, progress);
}

CandidatePool open_or_build_pool(const CampaignConfig& config, const BuildProgress& progress) {
  const CampaignPaths paths(config.directory);
  if (std::filesystem::exists(paths.candidates)) return read_pool_file(paths.candidates);
  std::filesystem::create_directories(paths.directory);
  CandidatePool pool = build_pool(config, progress);
  write_pool_file(pool, paths.candidates);
  return pool;
}

CampaignRun run_campaign_directory(const CampaignConfig& config, bool resuming, Backend& backend,
                                   const Engine& engine, const CampaignEvents& events,
                                   std::shared_ptr<gp::PoolScoring> scoring) {
  const CampaignPaths paths(config.directory);
  const bool exists = std::filesystem::exists(paths.campaign);
  if (resuming && !exists)
    throw InputError(config.directory.string() +
                     " holds no campaign yet: start it with 'ionscreen run " +
                     config.file.string() + "'");
  if (!resuming && exists) {
    const std::string stored = read_campaign_file(paths.campaign).name;
    const std::string way_on =
        stored == config.name ? "continue it with 'ionscreen resume " + config.file.string() + "'"
                              : "it is not the campaign " + config.file.string() + " names ('" +
                                    config.name + "'): resume it with its own campaign file";
    throw InputError(config.directory.string() + " already holds campaign '" + stored +
                     "': " + way_on + ", or choose another [campaign] directory");
  }
  std::filesystem::create_directories(paths.jobs);
  const CampaignLock lock(paths, config.backend, events.line);

  CandidatePool pool = pool_for_run(config, paths, events);
  if (!pool.structures.empty()) engine.check_elements(formula_elements(pool.names));
  std::optional<CampaignRecord> record;
  if (std::filesystem::exists(paths.campaign)) record = resumed_record(config, paths, pool, events);
  auto source = load_transfer_source(config, features(pool));
  SystemClock clock;
  CampaignFileStore store(paths.campaign);
  Campaign campaign(config, std::move(pool),
                    CampaignIo{backend, engine, store, clock, events, std::move(scoring)},
                    std::move(record), std::move(source));
  const std::string status = campaign.run();
  return {status, campaign.record(), campaign.pool()};
}

}  // namespace ionscreen::pipeline
