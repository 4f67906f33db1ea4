#include "pipeline/studies/benchmark.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <sstream>

#include "gp/optimizer.hpp"
#include "gp/text.hpp"
#include "pipeline/base/atomic_file.hpp"
#include "pipeline/base/error.hpp"
#include "pipeline/base/strings.hpp"
#include "pipeline/campaign/campaign.hpp"
#include "pipeline/mpi/trial_gather.hpp"

namespace ionscreen::pipeline {
namespace {

constexpr double kZ = 1.959963984540054;  // 97.5% normal quantile

bool one_of(const std::string& x, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return x == n; });
}

std::string kernel_spec(const Strategy& s, const Features& f) {
  return s.kernel == StrategyKernel::ard ? "se" : f.auto_kernel;
}

/// The rows of `carrier` ("": every row).
CsvTable rows_of(const CsvTable& table, const BenchmarkConfig& c, const std::string& carrier) {
  return carrier.empty() ? table : table.where(c.carrier_column, carrier);
}

/// "table (carrier=Na)" or "table" for all rows.
std::string rows_name(const BenchmarkConfig& c, const std::string& carrier) {
  return c.table.string() + (carrier.empty() ? "" : " (" + c.carrier_column + "=" + carrier + ")");
}

/// Wilson score interval for x successes of n.
std::pair<double, double> wilson(double x, double n) {
  const double p = x / n, z2 = kZ * kZ;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = kZ / (1 + z2 / n) * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

double median(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

Strategy parse_strategy(const std::string& text) {
  Strategy s;
  s.name = text;
  if (text == "random") {
    s.random = true;
    return s;
  }
  const auto parts = split(text, '-');
  const auto bad = [&](const std::string& why) {
    return InputError("strategy '" + text + "': " + why +
                      " (expected random or bo-<ard|additive>-<none|hp|posterior|multitask|auto>-"
                      "<ei|pi|lcb|thompson|straddle|lse>-<q>, e.g. bo-additive-posterior-ei-1)");
  };
  if (parts.size() != 5 || parts[0] != "bo") throw bad("not five '-'-separated parts");
  const auto kernel = from_name<StrategyKernel>(parts[1]);
  if (!kernel) throw bad("unknown kernel '" + parts[1] + "'");
  s.kernel = *kernel;
  if (!one_of(parts[2], {"none", "hp", "posterior", "multitask", "auto"}))
    throw bad("unknown transfer '" + parts[2] + "'");
  s.transfer = gp::parse_transfer_mode(parts[2]);
  if (!one_of(parts[3], {"ei", "pi", "lcb", "thompson", "straddle", "lse"}))
    throw bad("unknown acquisition '" + parts[3] + "'");
  s.acquisition = gp::parse_acquisition(parts[3]);
  try {
    std::size_t used = 0;
    s.q = std::stoi(parts[4], &used);
    if (used != parts[4].size() || s.q < 1) throw std::invalid_argument("q");
  } catch (const std::exception&) {
    throw bad("q '" + parts[4] + "' is not an integer >= 1");
  }
  return s;
}

BenchmarkData load_benchmark_data(const BenchmarkConfig& c) {
  const CsvTable table = read_csv_table(c.table);
  CsvTable target = rows_of(table, c, c.carrier);
  const Eigen::Index col = target.column(c.target);
  if (c.target.find('.') != std::string::npos)
    throw InputError(c.table.string() + ": target '" + c.target +
                     "' is named like a descriptor (<group>.<name>); the search must not see it");
  BenchmarkData l;
  l.pool = pool_from_table(target, rows_name(c, c.carrier));
  l.pool.carrier = c.carrier;
  l.values = target.values.col(col);
  auto barriers = std::make_shared<Barriers>();
  for (std::size_t i = 0; i < target.keys.size(); ++i)
    (*barriers)[target.keys[i]] = l.values[static_cast<Eigen::Index>(i)];
  l.barriers = std::move(barriers);
  double best = std::numeric_limits<double>::infinity();
  for (Eigen::Index i = 0; i < l.values.size(); ++i)
    if (l.values[i] < best) best = l.values[i], l.optimum = i;
  if (!std::isfinite(best))
    throw InputError(c.table.string() + ": '" + c.target + "' has no finite value");

  const Threshold t = c.threshold.empty() ? Threshold{} : parse_threshold(c.threshold);
  l.threshold = resolve(t, std::vector<double>(l.values.begin(), l.values.end()));
  l.threshold_how = t.kind == Threshold::Kind::absolute
                        ? "absolute"
                        : fmt::format("{:.2f}% quantile of {} over the {}rows", 100 * t.value,
                                      c.target, c.carrier.empty() ? "" : c.carrier + " ");
  for (const double v : l.values) l.below += v < l.threshold;

  if (!c.source_carrier.empty()) {
    CsvTable source = rows_of(table, c, c.source_carrier);
    l.source_pool = pool_from_table(source, rows_name(c, c.source_carrier));
    l.source_values = source.values.col(source.column(c.target));
  }
  return l;
}

std::optional<gp::SourceTask> source_task(const BenchmarkData& l, const Strategy& s,
                                          std::uint64_t seed) {
  if (s.random || s.transfer == gp::TransferMode::none) return std::nullopt;
  if (!l.source_pool)
    throw InputError("strategy " + s.name + " transfers from a source, and none is given");
  const Features target = features(l.pool);
  const Eigen::MatrixXd X = columns(*l.source_pool, target.names);
  std::vector<Eigen::Index> rows;
  for (Eigen::Index i = 0; i < l.source_values.size(); ++i)
    if (std::isfinite(l.source_values[i])) rows.push_back(i);
  gp::SourceTask task;
  task.X = X(rows, Eigen::all);
  task.y = l.source_values(rows);
  task.kernel_spec = kernel_spec(s, target);
  // The hyperparameters a finished source campaign hands over: its fit to all its results.
  gp::OptimizerConfig oc;
  oc.kernel = task.kernel_spec;
  oc.initial_design = 2;
  oc.seed = seed;
  gp::Optimizer fit(oc, task.X, target.groups);
  for (Eigen::Index i = 0; i < task.y.size(); ++i) fit.observe(i, task.y[i]);
  task.hyperparameters = fit.propose(1).hyperparameters;
  return task;
}

std::uint64_t trial_seed(std::uint64_t seed, int trial) {
  // splitmix64 of the pair
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(trial) + 1;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return (z ^ (z >> 31)) >> 1;  // below 2^63: any INI or text form keeps it
}

std::vector<std::int64_t> run_trial(const BenchmarkData& l, const Strategy& s,
                                    const std::optional<gp::SourceTask>& source,
                                    const BenchmarkConfig& c, int trial) {
  CampaignConfig cc;
  cc.name = "virtual";
  cc.directory = "virtual";  // never created: nothing is written
  cc.carrier = c.carrier;
  cc.seed = trial_seed(c.seed, trial);
  cc.kernel = kernel_spec(s, features(l.pool));
  cc.mode = s.threshold_mode() ? SearchMode::threshold : SearchMode::optimum;
  cc.threshold = {Threshold::Kind::absolute, l.threshold};  // nothing to resolve
  cc.acquisition = s.acquisition;
  cc.batch = s.q;
  cc.initial = s.random ? static_cast<int>(l.pool.size()) : c.initial;
  cc.transfer = s.random ? gp::TransferMode::none : s.transfer;
  if (!s.random && !s.threshold_mode()) cc.target = l.values[l.optimum];  // stop at the optimum
  cc.engine.kind = EngineKind::table;
  cc.max_in_flight = s.q;
  cc.retries = 0;
  cc.poll_seconds = 0;
  TableOracle oracle(l.barriers);
  NoStore store;
  SystemClock clock;
  std::optional<TransferSource> from;
  if (!s.random && source) from = TransferSource{*source, "", "", "", 0};
  Campaign campaign(cc, l.pool, CampaignIo{oracle, oracle, store, clock}, std::nullopt,
                    std::move(from));
  campaign.run();
  std::vector<std::int64_t> order;
  for (const auto& job : campaign.record().jobs)
    if (!job.in_flight()) order.push_back(job.candidate);
  return order;
}

std::vector<std::vector<std::int64_t>> run_trials(const BenchmarkData& l, const Strategy& s,
                                                  const BenchmarkConfig& c, int rank, int ranks) {
  const auto source = source_task(l, s, c.seed);
  std::vector<std::vector<std::int64_t>> out(static_cast<std::size_t>(c.trials));
  std::exception_ptr error;
#pragma omp parallel for schedule(dynamic, 1)
  for (int t = 0; t < c.trials; ++t) {
    if (!runs_trial(t, rank, ranks)) continue;
    try {
      out[static_cast<std::size_t>(t)] = run_trial(l, s, source, c, t);
    } catch (...) {
#pragma omp critical
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  return gather_trials(std::move(out), rank, ranks);
}

Curves curves(const BenchmarkData& l, const std::vector<std::vector<std::int64_t>>& trials) {
  const auto N = static_cast<std::size_t>(l.pool.size());
  const auto n = static_cast<double>(trials.size());
  std::vector<double> found_sum(N, 0.0), found_sq(N, 0.0), hits(N, 0.0);
  Curves c;
  for (const auto& order : trials) {
    int to_optimum = static_cast<int>(N) + 1, found = 0;
    for (std::size_t k = 0; k < N; ++k) {
      if (k < order.size()) {
        const auto id = static_cast<Eigen::Index>(order[k]);
        found += l.values[id] < l.threshold;
        if (id == l.optimum) to_optimum = static_cast<int>(k) + 1;
      }
      hits[k] += to_optimum <= static_cast<int>(k) + 1;
      found_sum[k] += found;
      found_sq[k] += double(found) * found;
    }
    c.to_optimum.push_back(to_optimum);
  }
  for (std::size_t k = 0; k < N; ++k) {
    const auto [lo, hi] = wilson(hits[k], n);
    c.p.push_back(hits[k] / n);
    c.p_lo.push_back(lo);
    c.p_hi.push_back(hi);
    const double mean = found_sum[k] / n;
    const double var = n > 1 ? std::max(0.0, (found_sq[k] - n * mean * mean) / (n - 1)) : 0.0;
    const double half = kZ * std::sqrt(var / n);
    c.found.push_back(mean);
    c.found_lo.push_back(std::max(0.0, mean - half));
    c.found_hi.push_back(std::min(double(l.below), mean + half));
  }
  return c;
}

void write_curves(const std::filesystem::path& file, const BenchmarkData& l, const Curves& c) {
  std::ostringstream out;
  const double N = static_cast<double>(l.pool.size()), B = std::max(1, l.below);
  out << "k,fraction_of_space,p_optimum,p_optimum_lo,p_optimum_hi,found_mean,found_lo,found_hi,"
         "found_fraction,found_fraction_lo,found_fraction_hi\n";
  for (std::size_t k = 0; k < c.p.size(); ++k)
    out << fmt::format("{},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f},{:.6f}\n",
                       k + 1, double(k + 1) / N, c.p[k], c.p_lo[k], c.p_hi[k], c.found[k],
                       c.found_lo[k], c.found_hi[k], c.found[k] / B, c.found_lo[k] / B,
                       c.found_hi[k] / B);
  write_atomically(file, out.str());
}

SummaryRow summarise(const Strategy& s, const BenchmarkData& l, const Curves& c, double fraction,
                     double seconds) {
  SummaryRow r;
  r.strategy = s.name;
  r.trials = static_cast<int>(c.to_optimum.size());
  r.k = std::max(1, static_cast<int>(std::lround(fraction * double(l.pool.size()))));
  const auto k = static_cast<std::size_t>(r.k - 1);
  const double B = std::max(1, l.below);
  r.p = c.p[k], r.p_lo = c.p_lo[k], r.p_hi = c.p_hi[k];
  r.found_fraction = c.found[k] / B, r.found_lo = c.found_lo[k] / B, r.found_hi = c.found_hi[k] / B;
  r.median_to_optimum = median(c.to_optimum);
  r.mean_to_optimum = 0;
  for (const int e : c.to_optimum) r.mean_to_optimum += e;
  r.mean_to_optimum /= std::max(1, r.trials);
  r.seconds = seconds;
  return r;
}

void write_summary(const std::filesystem::path& file, const std::vector<SummaryRow>& rows) {
  std::ostringstream out;
  out << "strategy,trials,k,p_optimum,p_optimum_lo,p_optimum_hi,found_fraction,found_fraction_lo,"
         "found_fraction_hi,median_to_optimum,mean_to_optimum\n";
  for (const auto& r : rows)
    out << fmt::format("{},{},{},{:.4f},{:.4f},{:.4f},{:.4f},{:.4f},{:.4f},{:.1f},{:.2f}\n",
                       r.strategy, r.trials, r.k, r.p, r.p_lo, r.p_hi, r.found_fraction, r.found_lo,
                       r.found_hi, r.median_to_optimum, r.mean_to_optimum);
  write_atomically(file, out.str());
}

std::string summary_table(const BenchmarkData& l, const std::vector<SummaryRow>& rows,
                          double fraction) {
  const auto N = static_cast<int>(l.pool.size());
  const auto random = std::find_if(rows.begin(), rows.end(),
                                   [](const SummaryRow& r) { return r.strategy == "random"; });
  std::string out = fmt::format(
      "at {:.0f}% of the space (k = {} of {} evaluations); sub-threshold: {} candidates with E_b < "
      "{:.4f} eV ({})\n",
      100 * fraction, rows.empty() ? 0 : rows.front().k, N, l.below, l.threshold, l.threshold_how);
  out +=
      fmt::format("{:<30} {:>6} {:>19} {:>19} {:>9} {:>11} {:>8}\n", "strategy", "trials",
                  "P(optimum) [95%]", "sub-thr found [95%]", "x random", "median->opt", "seconds");
  for (const auto& r : rows) {
    const std::string ratio = random != rows.end() && random->found_fraction > 0
                                  ? fmt::format("{:.2f}", r.found_fraction / random->found_fraction)
                                  : "-";
    const std::string median = r.median_to_optimum > N ? fmt::format(">{}", N)
                                                       : fmt::format("{:.1f}", r.median_to_optimum);
    const Strategy s = parse_strategy(r.strategy);
    // Optimum-mode trials stop at the optimum: their sub-threshold counts stop growing there.
    const std::string found =
        !s.random && !s.threshold_mode()
            ? "(stops at optimum)"
            : fmt::format("{:.2f} [{:.2f},{:.2f}]", r.found_fraction, r.found_lo, r.found_hi);
    out += fmt::format("{:<30} {:>6} {:>5.2f} [{:.2f},{:.2f}] {:>19} {:>9} {:>11} {:>8.1f}\n",
                       r.strategy, r.trials, r.p, r.p_lo, r.p_hi, found,
                       found[0] == '(' ? "-" : ratio, median, r.seconds);
  }
  return out;
}

}  // namespace ionscreen::pipeline
