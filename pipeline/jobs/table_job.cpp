#include "pipeline/jobs/table_job.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "pipeline/base/csv_table.hpp"
#include "pipeline/base/error.hpp"
#include "pipeline/jobs/faults.hpp"

namespace ionscreen::pipeline {
namespace {

/// The row of `key`: in the first column, or in a text column where it must be unique.
std::size_t row_of(const CsvTable& t, const std::filesystem::path& table,
                   const std::string& key_column, const std::string& key) {
  const std::string where = table.string() + ": ";
  if (key_column == t.key_name) {
    for (std::size_t i = 0; i < t.keys.size(); ++i)
      if (t.keys[i] == key) return i;
    throw InputError(where + "no row has " + key_column + " = '" + key + "'");
  }
  std::size_t c = 0;
  try {
    c = t.text_column(key_column);
  } catch (const InputError& e) {
    throw InputError(where + "key column '" + key_column + "' not found (the first column is '" +
                     t.key_name + "'; " + e.what() + ")");
  }
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < t.keys.size(); ++i)
    if (t.text[c][i] == key) rows.push_back(i);
  if (rows.empty()) throw InputError(where + "no row has " + key_column + " = '" + key + "'");
  if (rows.size() > 1)
    throw InputError(where + std::to_string(rows.size()) + " rows have " + key_column + " = '" +
                     key + "'; the key must name one row");
  return rows.front();
}

/// Unusable result.json text for the fault `garbage`: cut-off JSON, E_b "nan", E_b with a unit.
std::string garbage(nlohmann::json result, int variant) {
  if (variant == 0) {
    const std::string text = result.dump(2);
    return text.substr(0, text.size() / 2);
  }
  result["E_b"] = variant == 1 ? std::string("nan") : result["E_b"].dump() + " eV";
  return result.dump(2) + "\n";
}

}  // namespace

double look_up_barrier(const std::filesystem::path& table, const std::string& key_column,
                       const std::string& key, const std::string& column) {
  const CsvTable t = read_csv_table(table);
  const std::size_t row = row_of(t, table, key_column, key);
  const std::string where =
      table.string() + ": " + key_column + " = '" + key + "', column '" + column + "': ";
  const auto& text = t.text_columns;
  if (std::find(text.begin(), text.end(), column) != text.end())
    throw InputError(where + "value '" + t.text[t.text_column(column)][row] + "' is not a number");
  Eigen::Index c = 0;
  try {
    c = t.column(column);
  } catch (const InputError& e) {
    throw InputError(table.string() + ": looking up " + key_column + " = '" + key +
                     "': " + e.what());
  }
  const double value = t.values(static_cast<Eigen::Index>(row), c);
  if (std::isinf(value) && value > 0)
    throw InputError(where +
                     "value inf: no percolating path (in a BVSE landscape inf means no "
                     "percolation below 10 eV)");
  if (!std::isfinite(value))
    throw InputError(where + "value " + std::to_string(value) + " is not finite");
  return value;
}

std::optional<std::string> table_job_result(const JobFile& job) {
  const auto started = std::chrono::steady_clock::now();
  job.require_only({"protocol", "engine", "job_id", "candidate", "table", "key_column", "column",
                    "faults", "seed"});
  const std::string job_id = job.text("job_id");
  const FaultRates rates =
      parse_faults(job.text("faults", ""), job.path().string() + ": key 'faults'");
  const double draw = fault_draw(job.unsigned_integer("seed", 1), job_id);
  const Fault fault = choose_fault(rates, draw);
  if (fault == Fault::hang) std::this_thread::sleep_for(std::chrono::hours(1));
  if (fault == Fault::fail || fault == Fault::hang) return std::nullopt;
  if (fault == Fault::slow) std::this_thread::sleep_for(std::chrono::milliseconds(500));

  const std::filesystem::path table = job.text("table");
  if (!table.is_absolute())
    throw InputError(job.path().string() + ": key 'table': '" + table.string() +
                     "' must be an absolute path");
  const double e_b =
      look_up_barrier(table, job.text("key_column"), job.text("candidate"), job.text("column"));
  const nlohmann::json result = {
      {"protocol", kJobProtocolVersion},
      {"engine", "table"},
      {"job_id", job_id},
      {"E_b", e_b},
      {"seconds",
       std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}};
  if (fault == Fault::garbage) return garbage(result, garbage_variant(rates, draw));
  return result.dump(2) + "\n";
}

}  // namespace ionscreen::pipeline
