#include "pipeline/campaign/directory.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include "pipeline/base/error.hpp"
#include "pipeline/campaign/setup.hpp"
#include "pipeline/store/pool_file.hpp"

namespace ionscreen::pipeline {
namespace {

/// How long a new run waits for the campaign lock: longer than a scheduler command of a killed
/// run can take (Slurm's client timeouts are tens of seconds).
constexpr std::chrono::seconds kLockWait{90};

/// " (pid N)" if the lock file names a live ionscreen process, else "" (the holder is then a
/// scheduler command that outlived its driver).
std::string live_holder(const std::filesystem::path& lock) {
  std::ifstream in(lock);
  long pid = 0;
  if (!(in >> pid) || pid <= 0 || pid == ::getpid()) return "";
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  return !ec && exe.filename() == "ionscreen" ? " (pid " + std::to_string(pid) + ")" : "";
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

/// The record of a campaign being resumed, checked against the settings and the pool.
CampaignRecord resumed_record(const CampaignConfig& config, const CampaignPaths& paths,
                              const CandidatePool& pool) {
  CampaignRecord record = read_campaign_file(paths.campaign);
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

}  // namespace

CampaignLock::CampaignLock(const CampaignPaths& paths, BackendKind backend,
                           const std::function<void(const std::string&)>& say) {
  const int cloexec = backend == BackendKind::slurm ? 0 : O_CLOEXEC;
  fd_ = ::open(paths.lock.c_str(), O_RDWR | O_CREAT | cloexec, 0644);
  if (fd_ < 0)
    throw IoError(paths.lock.string() + ": cannot open the campaign lock: " + std::strerror(errno));
  const auto deadline = std::chrono::steady_clock::now() + kLockWait;
  bool said = false;
  while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const std::string holder = live_holder(paths.lock);
    if (!holder.empty() || std::chrono::steady_clock::now() > deadline) {
      ::close(fd_);
      throw ConflictError(paths.directory.string() + ": another ionscreen" + holder +
                          " is running this campaign (it holds " + paths.lock.string() +
                          "); wait for it or stop it first");
    }
    if (!said && say) say("waiting for a scheduler command of the previous run to finish");
    said = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    const std::string why = std::strerror(errno);
    ::close(fd_);
    throw IoError(paths.lock.string() + ": cannot write: " + why);
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
  if (!resuming && exists)
    throw InputError(config.directory.string() + " already holds campaign '" + config.name +
                     "': continue it with 'ionscreen resume " + config.file.string() +
                     "', or choose another [campaign] directory");
  std::filesystem::create_directories(paths.jobs);
  const CampaignLock lock(paths, config.backend, events.line);

  CandidatePool pool = open_or_build_pool(config, [&](std::size_t done, std::size_t total) {
    if (events.status)
      events.status("building candidates " + std::to_string(done) + "/" + std::to_string(total));
  });
  if (!pool.structures.empty()) engine.check_elements(formula_elements(pool.names));
  std::optional<CampaignRecord> record;
  if (std::filesystem::exists(paths.campaign)) record = resumed_record(config, paths, pool);
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
