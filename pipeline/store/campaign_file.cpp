#include "pipeline/store/campaign_file.hpp"

#include <unistd.h>

#include <functional>

#include "pipeline/base/error.hpp"
#include "pipeline/store/hdf5_file.hpp"

namespace ionscreen::pipeline {
namespace {

constexpr const char* kFormat = "ionscreen campaign";

/// Columns of a table of records: one dataset per field, written and read together.
template <class Record>
struct Column {
  const char* name;
  hdf5::Kind kind;
  std::function<void(const Record&, std::vector<std::string>&, std::vector<double>&,
                     std::vector<std::int64_t>&)>
      get;
  std::function<void(Record&, const std::vector<std::string>&, const std::vector<double>&,
                     const std::vector<std::int64_t>&, std::size_t)>
      set;
};

#define TEXT(R, field)                                                                          \
  Column<R> {                                                                                   \
#field, hdf5::Kind::string,                                                                 \
        [](const R& r, auto& s, auto&,                                                          \
           auto&) { s.push_back(r.field); }, [](R & r, const auto& s, const auto&, const auto&, \
                                                std::size_t i) { r.field = s[i]; }              \
  }
#define REAL(R, field)                                                                          \
  Column<R> {                                                                                   \
#field, hdf5::Kind::float64,                                                                \
        [](const R& r, auto&, auto& d,                                                          \
           auto&) { d.push_back(r.field); }, [](R & r, const auto&, const auto& d, const auto&, \
                                                std::size_t i) { r.field = d[i]; }              \
  }
#define INT(R, field)        \
  Column<R> {                \
#field, hdf5::Kind::int64, \
            [](const R& r, auto&, auto&, auto& n) { n.push_back(static_cast<std::int64_t>(r.field)); }, \
            [](R& r, const auto&, const auto&, const auto& n, std::size_t i) { \
              r.field = static_cast<decltype(r.field)>(n[i]); } \
  }

/// A text column of an enum field, stored by its name (base/enum_names.hpp).
template <class R, class E>
Column<R> enum_column(const char* name, E R::*field) {
  return {name, hdf5::Kind::string,
          [=](const R& r, auto& s, auto&, auto&) { s.push_back(name_of(r.*field)); },
          [=](R& r, const auto& s, const auto&, const auto&, std::size_t i) {
            const auto value = from_name<E>(s[i]);
            if (!value)
              throw DamagedFileError(std::string(name) + " row " + std::to_string(i) + ": '" +
                                     s[i] + "' is not a " + name);
            r.*field = *value;
          }};
}

/// The last polled scheduler state: its name, or "" before the first poll.
Column<JobRecord> scheduler_state_column() {
  return {"scheduler_state", hdf5::Kind::string,
          [](const JobRecord& r, auto& s, auto&, auto&) {
            s.push_back(r.scheduler_state ? name_of(*r.scheduler_state) : "");
          },
          [](JobRecord& r, const auto& s, const auto&, const auto&, std::size_t i) {
            r.scheduler_state.reset();
            if (s[i].empty()) return;
            r.scheduler_state = from_name<JobState>(s[i]);
            if (!r.scheduler_state)
              throw DamagedFileError("scheduler_state row " + std::to_string(i) + ": '" + s[i] +
                                     "' is not a scheduler state");
          }};
}

const std::vector<Column<JobRecord>>& job_columns() {
  static const std::vector<Column<JobRecord>> c{TEXT(JobRecord, job_id),
                                                INT(JobRecord, candidate),
                                                INT(JobRecord, attempt),
                                                TEXT(JobRecord, engine),
                                                enum_column("state", &JobRecord::state),
                                                TEXT(JobRecord, scheduler_id),
                                                scheduler_state_column(),
                                                TEXT(JobRecord, scheduler_reason),
                                                REAL(JobRecord, created),
                                                REAL(JobRecord, submitted),
                                                REAL(JobRecord, finished),
                                                TEXT(JobRecord, directory),
                                                REAL(JobRecord, e_b),
                                                TEXT(JobRecord, reason)};
  return c;
}

const std::vector<Column<DecisionRecord>>& decision_columns() {
  static const std::vector<Column<DecisionRecord>> c{INT(DecisionRecord, index),
                                                     REAL(DecisionRecord, time),
                                                     TEXT(DecisionRecord, reason),
                                                     TEXT(DecisionRecord, kernel),
                                                     TEXT(DecisionRecord, hyperparameters),
                                                     TEXT(DecisionRecord, transfer_used),
                                                     REAL(DecisionRecord, log_likelihood),
                                                     INT(DecisionRecord, fit_fell_back),
                                                     TEXT(DecisionRecord, rng_state),
                                                     TEXT(DecisionRecord, pool_fingerprint),
                                                     INT(DecisionRecord, below),
                                                     INT(DecisionRecord, above),
                                                     INT(DecisionRecord, undecided)};
  return c;
}

struct PickRow {
  std::int64_t decision = 0;
  std::int64_t candidate = 0;
  double acquisition = 0, mean = 0, variance = 0;
};
const std::vector<Column<PickRow>>& pick_columns() {
  static const std::vector<Column<PickRow>> c{INT(PickRow, decision), INT(PickRow, candidate),
                                              REAL(PickRow, acquisition), REAL(PickRow, mean),
                                              REAL(PickRow, variance)};
  return c;
}
#undef TEXT
#undef REAL
#undef INT

template <class Record>
void write_table(hdf5::Group& group, const std::vector<Record>& rows,
                 const std::vector<Column<Record>>& columns) {
  for (const auto& column : columns) {
    std::vector<std::string> s;
    std::vector<double> d;
    std::vector<std::int64_t> n;
    for (const auto& r : rows) column.get(r, s, d, n);
    switch (column.kind) {
      case hdf5::Kind::string:
        group.write_strings(column.name, s);
        break;
      case hdf5::Kind::float64:
        group.write_doubles(column.name, d);
        break;
      case hdf5::Kind::int64:
        group.write_int64s(column.name, n);
        break;
    }
  }
}

template <class Record>
std::vector<Record> read_table(const hdf5::Group& group,
                               const std::vector<Column<Record>>& columns) {
  std::vector<Record> rows;
  for (const auto& column : columns) {
    std::vector<std::string> s;
    std::vector<double> d;
    std::vector<std::int64_t> n;
    std::size_t size = 0;
    switch (column.kind) {
      case hdf5::Kind::string:
        s = group.read_strings(column.name);
        size = s.size();
        break;
      case hdf5::Kind::float64:
        d = group.read_doubles(column.name);
        size = d.size();
        break;
      case hdf5::Kind::int64:
        n = group.read_int64s(column.name);
        size = n.size();
        break;
    }
    if (&column == &columns.front()) rows.resize(size);
    if (size != rows.size())
      throw DamagedFileError(group.file_name() + ": " + group.path() + "/" + column.name + " has " +
                             std::to_string(size) + " rows, " + columns.front().name + " has " +
                             std::to_string(rows.size()));
    try {
      for (std::size_t i = 0; i < size; ++i) column.set(rows[i], s, d, n, i);
    } catch (const DamagedFileError& e) {
      throw DamagedFileError(group.file_name() + ": " + group.path() + "/" + e.what());
    }
  }
  return rows;
}

/// Keep the current file as <file>.prev (a hard link: no copy) before it is replaced.
void keep_previous(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) return;
  const std::filesystem::path prev = file.string() + ".prev";
  const std::filesystem::path tmp = file.string() + ".prev.tmp";
  std::filesystem::remove(tmp);
  std::filesystem::create_hard_link(file, tmp);
  std::filesystem::rename(tmp, prev);
}

CampaignRecord read_record(const std::filesystem::path& file) {
  const auto f = hdf5::File::open_read_only(file);
  const auto a = f.attributes();
  if (!a.exists("format") || a.read_string("format") != kFormat)
    throw InputError(file.string() + ": not an ionscreen campaign file (no attribute format = '" +
                     kFormat + "' at /)");
  if (const auto v = a.read_int64("schema_version"); v > kCampaignSchemaVersion || v < 1)
    throw InputError(file.string() + ": campaign schema version " + std::to_string(v) +
                     " is newer than this ionscreen reads (" +
                     std::to_string(kCampaignSchemaVersion) + "); use a newer ionscreen");
  CampaignRecord r;
  r.name = a.read_string("name");
  r.instance = a.read_string("instance");
  r.status = a.read_string("status");
  r.created = a.read_double("created");
  r.elapsed = a.read_double("elapsed");
  r.pool_fingerprint = a.read_string("pool_fingerprint");
  r.pool_size = a.read_int64("pool_size");
  r.threshold = a.read_double("threshold");
  r.threshold_how = a.read_string("threshold_how");
  r.config_ini = f.read_strings("config/ini").at(0);
  const auto t = f.attributes("transfer");
  r.transfer_source = t.read_string("source");
  r.transfer_source_name = t.read_string("source_name");
  r.transfer_source_fingerprint = t.read_string("source_fingerprint");
  r.transfer_source_observations = t.read_int64("source_observations");
  r.jobs = read_table(f.group("ledger"), job_columns());
  r.decisions = read_table(f.group("decisions"), decision_columns());
  for (const auto& p : read_table(f.group("decisions/picks"), pick_columns())) {
    if (p.decision < 0 || static_cast<std::size_t>(p.decision) >= r.decisions.size())
      throw DamagedFileError(file.string() + ": /decisions/picks names decision " +
                             std::to_string(p.decision) + ", which does not exist");
    r.decisions[static_cast<std::size_t>(p.decision)].picks.push_back(
        {p.candidate, p.acquisition, p.mean, p.variance});
  }
  r.optimizer_state = f.read_strings("optimizer/state").at(0);
  return r;
}

}  // namespace

void write_campaign_file(const CampaignRecord& record, const std::filesystem::path& file) {
  keep_previous(file);
  hdf5::write_file_atomically(file, [&](hdf5::File& f) {
    {
      auto a = f.attributes();
      a.set_string("format", kFormat);
      a.set_int64("schema_version", kCampaignSchemaVersion);
      a.set_string("name", record.name);
      a.set_string("instance", record.instance);
      a.set_string("status", record.status);
      a.set_double("created", record.created);
      a.set_double("elapsed", record.elapsed);
      a.set_string("pool_fingerprint", record.pool_fingerprint);
      a.set_int64("pool_size", record.pool_size);
      a.set_double("threshold", record.threshold);
      a.set_string("threshold_how", record.threshold_how);
    }
    f.create_group("config").write_strings("ini", {record.config_ini});
    {
      auto t = f.create_group("transfer");
      auto a = t.attributes();
      a.set_string("source", record.transfer_source);
      a.set_string("source_name", record.transfer_source_name);
      a.set_string("source_fingerprint", record.transfer_source_fingerprint);
      a.set_int64("source_observations", record.transfer_source_observations);
    }
    {
      auto ledger = f.create_group("ledger");
      write_table(ledger, record.jobs, job_columns());
    }
    {
      auto decisions = f.create_group("decisions");
      write_table(decisions, record.decisions, decision_columns());
      std::vector<PickRow> picks;
      for (const auto& d : record.decisions)
        for (const auto& p : d.picks)
          picks.push_back({d.index, p.candidate, p.acquisition, p.mean, p.variance});
      auto g = decisions.create_group("picks");
      write_table(g, picks, pick_columns());
    }
    f.create_group("optimizer").write_strings("state", {record.optimizer_state});
    const CampaignPaths paths(file.parent_path());
    f.create_external_link("candidates", paths.candidates.filename().string(), "/candidates");
  });
}

CampaignRecord read_campaign_file(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file))
    throw InputError(file.string() + ": no such campaign file (run 'ionscreen run' first)");
  try {
    return read_record(file);
  } catch (const hdf5::Error& e) {
    throw DamagedFileError(file.string() + ": damaged or not a campaign file: " + e.what());
  } catch (const std::out_of_range&) {
    throw DamagedFileError(file.string() +
                           ": damaged campaign file: an empty /config/ini or /optimizer/state");
  }
}

CampaignRead read_campaign_file_or_previous(const std::filesystem::path& file) {
  const std::filesystem::path prev = file.string() + ".prev";
  try {
    return {read_campaign_file(file), false, ""};
  } catch (const DamagedFileError& damaged) {
    if (!std::filesystem::exists(prev))
      throw DamagedFileError(std::string(damaged.what()) + "\nThere is no previous checkpoint (" +
                             prev.string() + ") to go back to.");
    try {
      return {read_campaign_file(prev), true, damaged.what()};
    } catch (const DamagedFileError& also) {
      throw DamagedFileError(std::string(damaged.what()) +
                             "\nThe previous checkpoint is damaged too: " + also.what());
    }
  }
}

}  // namespace ionscreen::pipeline
