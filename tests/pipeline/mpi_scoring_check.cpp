// The MPI pool scoring against the pool scored in one process. Runs seeded optimisations over a
// synthetic pool (5000 x 8, an additive landscape, 5 blocks of gp::kScoringBlock rows) with the
// pool scored either by gp::LocalPoolScoring (the reference, without MPI) or by
// pipeline::MpiPoolScoring across the ranks of mpirun, and writes every proposal (indices,
// acquisition, mean, variance, threshold counts, a hash of the labels) with %.17g. With
// --compare, rank 0 compares its output with the reference: the text must be identical, except
// that numbers may differ by 1e-12 relative (the difference is reported; none is expected).
//
//   mpi_scoring_check --out reference.txt
//   mpirun -n 3 mpi_scoring_check --mpi --out n3.txt --compare reference.txt
//
// Runs: ei, lse (threshold search), thompson (the random stream stays on rank 0), posterior
// transfer (a mean basis over the pool) and multitask transfer with lcb; q = 3 (2 for
// multitask), 6 model-based proposals each after the initial design, every other round leaving a
// pick pending into the next and some calculations failing. With more than one rank, a scoring
// failure on the workers must then be reported on rank 0 and leave every rank serving (see
// check_collective_failure). Exit code 0 if all is well, 1 otherwise.
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gp/optimizer.hpp"
#include "pipeline/mpi/mpi_pool_scoring.hpp"
#include "tests/gp/test_helpers.hpp"

namespace gp = ionscreen::gp;

namespace {

using gp::testing::additive_landscape;
using gp::testing::uniform_points;

std::string format(const char* fmt, auto... args) {
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, fmt, args...);
  return buffer;
}

struct Run {
  const char* name;
  gp::AcquisitionKind kind;
  gp::TransferMode transfer;
  int q;
};

/// Every proposal of the seeded runs, as text.
std::string run_all(const std::shared_ptr<gp::PoolScoring>& scoring) {
  const Eigen::MatrixXd pool = uniform_points(5000, 8, 2024);
  const Eigen::VectorXd truth = additive_landscape(pool);
  gp::ColumnGroups groups = gp::ColumnGroups::all(8);
  groups.add("A", {0, 1});
  groups.add("B", {2, 3});
  groups.add("C", {4, 5});
  groups.add("D", {6, 7});
  const Eigen::MatrixXd source_X = uniform_points(120, 8, 2025);
  const Eigen::VectorXd source_y = 0.9 * additive_landscape(source_X).array() + 0.2;
  const Run runs[] = {{"ei", gp::AcquisitionKind::ei, gp::TransferMode::none, 3},
                      {"lse", gp::AcquisitionKind::lse, gp::TransferMode::none, 3},
                      {"thompson", gp::AcquisitionKind::thompson, gp::TransferMode::none, 3},
                      {"posterior", gp::AcquisitionKind::ei, gp::TransferMode::posterior, 3},
                      {"multitask", gp::AcquisitionKind::lcb, gp::TransferMode::multitask, 2}};
  std::string out;
  for (const Run& run : runs) {
    gp::OptimizerConfig c;
    c.kernel = "sum(se[A], se[B], se[C], se[D])";
    c.acquisition.kind = run.kind;
    c.acquisition.threshold = 1.5;
    c.fit.restarts = 2;
    c.shortlist = 300;
    c.seed = 31;
    c.transfer.mode = run.transfer;
    std::optional<gp::SourceTask> source;
    if (run.transfer != gp::TransferMode::none)
      source = gp::SourceTask{source_X, source_y, c.kernel, {}};
    gp::Optimizer opt(c, pool, groups, source);
    opt.set_pool_scoring(scoring);
    out += format("run %s\n", run.name);
    gp::testing::drive(opt, truth, run.q, 6, 17, [&](int round, const gp::Proposal& p) {
      out += format(" proposal %d %s transfer=%s ll=%.17g\n", round, p.reason.c_str(),
                    p.transfer_used.c_str(), p.log_likelihood);
      if (p.threshold)
        out += format("  threshold below=%ld above=%ld undecided=%ld\n",
                      static_cast<long>(p.threshold->below), static_cast<long>(p.threshold->above),
                      static_cast<long>(p.threshold->undecided));
      if (!opt.labels().empty()) {
        std::uint64_t h = 1469598103934665603ULL;  // FNV-1a over the labels
        for (const gp::Label l : opt.labels()) {
          h ^= static_cast<std::uint8_t>(l);
          h *= 1099511628211ULL;
        }
        out += format("  labels %zu hash=%016llx\n", opt.labels().size(),
                      static_cast<unsigned long long>(h));
      }
      for (const gp::Pick& k : p.picks)
        out += format("  pick %ld acquisition=%.17g mean=%.17g variance=%.17g\n",
                      static_cast<long>(k.index), k.acquisition, k.mean, k.variance);
    });
  }
  return out;
}

/// With more than one rank: a request the workers cannot serve (their kernel cannot be rebuilt
/// from the spec, as the pool's column groups lack the ones it names) must fail on rank 0 with
/// MpiScoringError while every rank keeps serving, and the next request must succeed. 0 if so.
int check_collective_failure(ionscreen::pipeline::MpiPoolScoring& scoring) {
  const Eigen::MatrixXd pool = uniform_points(3000, 8, 7);
  gp::ColumnGroups named = gp::ColumnGroups::all(8), unnamed = named;
  named.add("A", {0, 1, 2, 3});
  named.add("B", {4, 5, 6, 7});
  const gp::Fit fit = gp::condition(gp::Model(gp::parse_kernel("sum(se[A], se[B])", named)),
                                    pool.topRows(10), additive_landscape(pool.topRows(10)));
  const Eigen::MatrixXd none;
  gp::ScoringTask task;
  task.best = additive_landscape(pool.topRows(10)).minCoeff();
  const std::uint64_t id = std::uint64_t(1) << 60;  // no optimiser has it
  try {
    scoring.score({gp::ScoringPool{id, pool, none, unnamed}, fit, false, task});
    std::fprintf(stderr, "collective failure: a request the workers cannot serve succeeded\n");
    return 1;
  } catch (const ionscreen::pipeline::MpiScoringError& e) {
    std::printf("collective failure reported: %s\n", e.what());
  }
  const gp::ScoringPool good{id + 1, pool, none, named};
  const gp::Shortlist got = scoring.score({good, fit, false, task});
  const gp::Shortlist want = gp::LocalPoolScoring().score({good, fit, false, task});
  bool same = got.best.size() == want.best.size();
  for (std::size_t k = 0; same && k < got.best.size(); ++k)
    same = got.best[k].index == want.best[k].index && got.best[k].key == want.best[k].key;
  std::printf("collective failure: the next request %s\n", same ? "succeeded" : "DIFFERS");
  return same ? 0 : 1;
}

std::vector<std::string> split(const std::string& text, char by) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, by))
    if (!(by == ' ' && part.empty())) parts.push_back(part);
  return parts;
}

/// The number in a token such as "mean=1.5" (or the token itself), if it is one.
std::optional<double> number_in(const std::string& token) {
  const std::string text =
      token.substr(token.find('=') == std::string::npos ? 0 : token.find('=') + 1);
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

/// 0 if `output` equals `reference` (numbers to 1e-12 relative), else 1; says what differs.
int compare(const std::string& output, const std::string& reference, const std::string& name) {
  const auto got = split(output, '\n'), want = split(reference, '\n');
  double largest = 0.0;
  int mismatches = 0;
  for (std::size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
    const std::string a = i < got.size() ? got[i] : "(missing)",
                      b = i < want.size() ? want[i] : "(missing)";
    if (a == b) continue;
    const auto ta = split(a, ' '), tb = split(b, ' ');
    bool same = ta.size() == tb.size();
    for (std::size_t k = 0; same && k < ta.size(); ++k) {
      if (ta[k] == tb[k]) continue;
      const auto x = number_in(ta[k]), y = number_in(tb[k]);
      if (!x || !y || ta[k].substr(0, ta[k].find('=')) != tb[k].substr(0, tb[k].find('='))) {
        same = false;
        break;
      }
      const double rel = std::abs(*x - *y) / std::max({std::abs(*x), std::abs(*y), 1e-300});
      largest = std::max(largest, rel);
      same = rel <= 1e-12;
    }
    if (!same && ++mismatches <= 5)
      std::fprintf(stderr, "%s line %zu differs from the reference:\n  got:  %s\n  want: %s\n",
                   name.c_str(), i + 1, a.c_str(), b.c_str());
  }
  if (mismatches > 0) {
    std::fprintf(stderr, "%s: %d lines differ from the reference\n", name.c_str(), mismatches);
    return 1;
  }
  std::printf("%s: equal to the reference (%zu lines): %s\n", name.c_str(), got.size(),
              largest == 0.0 ? "bitwise identical"
                             : format("numbers within %.3g relative", largest).c_str());
  return 0;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

int usage() {
  std::fprintf(stderr, "usage: mpi_scoring_check --out FILE [--mpi] [--compare REFERENCE]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_path, reference_path;
  bool mpi = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--mpi")
      mpi = true;
    else if (a == "--out" && i + 1 < argc)
      out_path = argv[++i];
    else if (a == "--compare" && i + 1 < argc)
      reference_path = argv[++i];
    else
      return usage();
  }
  if (out_path.empty()) return usage();

  if (!mpi) {  // the reference: no MPI at all
    try {
      const std::string text = run_all(std::make_shared<gp::LocalPoolScoring>());
      write_file(out_path, text);
      return reference_path.empty() ? 0 : compare(text, read_file(reference_path), out_path);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "mpi_scoring_check: %s\n", e.what());
      return 1;
    }
  }

  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  int status = 0, rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  try {
    auto scoring = std::make_shared<ionscreen::pipeline::MpiPoolScoring>();
    if (rank == 0) {
      const std::string text = run_all(scoring);
      write_file(out_path, text);
      std::printf("mpi_scoring_check: %d ranks, output in %s\n", size, out_path.c_str());
      if (!reference_path.empty()) status = compare(text, read_file(reference_path), out_path);
      if (size > 1) status |= check_collective_failure(*scoring);
      scoring->stop();
    } else {
      scoring->serve();
    }
  } catch (const std::exception& e) {  // rank 0's scorer has stopped the workers on the way out
    std::fprintf(stderr, "mpi_scoring_check: rank %d: %s\n", rank, e.what());
    status = 1;
  }
  MPI_Finalize();
  return status;
}
