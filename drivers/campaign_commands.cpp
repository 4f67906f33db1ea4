// The campaign subcommands: enumerate, run, resume, status, export.
#include <fmt/core.h>
#include <unistd.h>

#include <iostream>

#include "drivers/commands.hpp"
#include "pipeline/base/atomic_file.hpp"
#include "pipeline/campaign/directory.hpp"
#include "pipeline/campaign/factories.hpp"
#include "pipeline/campaign/report.hpp"
#include "pipeline/store/pool_file.hpp"

namespace ionscreen::drivers {
namespace pl = ionscreen::pipeline;
namespace {

/// The campaign file and its overrides, as every campaign command takes them.
struct CampaignArgs {
  std::filesystem::path file;
  std::vector<std::string> overrides;
};

po::options_description campaign_options(CampaignArgs& a, const char* title) {
  po::options_description opts(title);
  opts.add_options()("help,h", "show this help")("campaign", path_value(&a.file)->required(),
                                                 "the INI campaign file")(
      "set", po::value(&a.overrides)->composing(),
      "override a setting: --set section.key=value (repeatable), e.g. --set jobs.max_in_flight=8");
  return opts;
}

/// Parses; prints help and returns false when asked for it.
bool parse(const Args& args, const po::options_description& opts, const char* usage,
           const char* example) {
  po::positional_options_description positional;
  positional.add("campaign", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout << usage << "\n" << opts << "\nexample: " << example << "\n";
    return false;
  }
  po::notify(vm);
  return true;
}

pl::CampaignEvents terminal_events() {
  const bool tty = isatty(STDERR_FILENO);
  pl::CampaignEvents events;
  events.line = [tty](const std::string& line) {
    if (tty) clear_status_line();
    fmt::print("{}\n", line);
    std::fflush(stdout);
  };
  if (tty)
    events.status = [](const std::string& status) {
      fmt::print(stderr, "\r{:79.79}", status);
      std::fflush(stderr);
    };
  return events;
}

int run_campaign(const Args& args, bool resuming, const pl::MpiSession& mpi) {
  CampaignArgs a;
  const auto opts =
      campaign_options(a, resuming ? "ionscreen resume options" : "ionscreen run options");
  if (!parse(args, opts,
             resuming ? "usage: ionscreen resume CAMPAIGN.ini [--set section.key=value ...]"
                      : "usage: ionscreen run CAMPAIGN.ini [--set section.key=value ...]",
             resuming ? "ionscreen resume inputs/campaigns/demo_li.ini"
                      : "ionscreen run inputs/campaigns/demo_li.ini --set jobs.max_in_flight=4"))
    return 0;
  // Collective (every rank parsed the same arguments): the scorer the other ranks serve until
  // rank 0 is done, whether it finishes or fails.
  const auto scoring = mpi.pool_scoring();
  if (mpi.rank() != 0) {
    scoring->serve();
    return 0;
  }
  const pl::CampaignConfig config = pl::load_campaign_config(a.file, a.overrides);
  const auto engine = pl::make_engine(config, std::filesystem::read_symlink("/proc/self/exe"));
  const auto backend = pl::make_backend(config);
  auto events = terminal_events();
  if (scoring)
    events.line("scoring the candidate pool on " + std::to_string(mpi.size()) + " MPI ranks");
  const pl::CampaignRun done =
      pl::run_campaign_directory(config, resuming, *backend, *engine, events, scoring);
  clear_status_line();
  fmt::print("\n{}", pl::status_text(done.record, done.pool));
  return 0;
}

/// The campaign file, or its previous checkpoint when it is damaged (said on stderr).
pl::CampaignRecord read_reporting_damage(const std::filesystem::path& file) {
  auto read = pl::read_campaign_file_or_previous(file);
  if (read.from_previous)
    fmt::print(stderr,
               "{}\nShowing the previous checkpoint {}.prev ('ionscreen resume' goes on "
               "from it)\n",
               read.damage, file.string());
  return std::move(read.record);
}

}  // namespace

int enumerate(const Args& args) {
  CampaignArgs a;
  const auto opts = campaign_options(a, "ionscreen enumerate options");
  if (!parse(args, opts, "usage: ionscreen enumerate CAMPAIGN.ini [--set section.key=value ...]",
             "ionscreen enumerate inputs/campaigns/demo_li.ini"))
    return 0;
  const pl::CampaignConfig config = pl::load_campaign_config(a.file, a.overrides);
  const pl::CandidatePool pool =
      pl::open_or_build_pool(config, [](std::size_t done, std::size_t total) {
        show_progress("building candidates", static_cast<int>(done), static_cast<int>(total));
      });
  clear_status_line();
  const pl::Features f = pl::features(pool);
  fmt::print("{} {} candidates in {} ({})\n", pool.size(), pool.carrier,
             pl::CampaignPaths(config.directory).candidates.string(), pool.source);
  fmt::print("{} descriptors ({} constant over the pool, not used); default kernel {}\n",
             f.names.size(), f.dropped.size(), f.auto_kernel);
  for (const auto& e : pool.excluded) fmt::print("  left out: {}\n", e);
  return 0;
}

int run(const Args& args, const pl::MpiSession& mpi) { return run_campaign(args, false, mpi); }
int resume(const Args& args, const pl::MpiSession& mpi) { return run_campaign(args, true, mpi); }

int status(const Args& args) {
  std::filesystem::path where;
  po::options_description opts("ionscreen status options");
  opts.add_options()("help,h", "show this help")(
      "campaign", path_value(&where)->required(),
      "campaign directory, its campaign.h5, or its INI file");
  if (!parse(args, opts, "usage: ionscreen status CAMPAIGN", "ionscreen status runs/demo-na"))
    return 0;
  const auto file = pl::locate_campaign_file(where);
  const auto record = read_reporting_damage(file);
  fmt::print("{}", pl::status_text(record, pl::read_pool_file(
                                               pl::CampaignPaths(file.parent_path()).candidates)));
  return 0;
}

int export_tables(const Args& args) {
  std::filesystem::path where, out;
  std::string table = "results";
  po::options_description opts("ionscreen export options");
  opts.add_options()("help,h", "show this help")(
      "campaign", path_value(&where)->required(),
      "campaign directory, its campaign.h5, or its INI file")(
      "table", po::value(&table)->default_value(table), "results | jobs | decisions")(
      "out", path_value(&out), "CSV file to write (default: standard output)");
  if (!parse(args, opts,
             "usage: ionscreen export CAMPAIGN [--table results|jobs|decisions] [--out FILE]",
             "ionscreen export runs/demo-na --table results --out demo-na.csv"))
    return 0;
  const auto kind = pl::parse_export_kind(table);
  const auto file = pl::locate_campaign_file(where);
  const auto record = read_reporting_damage(file);  // first: its errors say what is missing
  const std::string csv = pl::export_csv(
      record, pl::read_pool_file(pl::CampaignPaths(file.parent_path()).candidates), kind);
  if (out.empty()) {
    std::cout << csv;
    return 0;
  }
  pl::write_atomically(out, csv);
  return 0;
}

}  // namespace ionscreen::drivers
