#include "pipeline/mpi/mpi_pool_scoring.hpp"

#include <mpi.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "gp/error.hpp"

namespace ionscreen::pipeline {
namespace {

enum Command : std::int64_t { kPool = 1, kScore = 2, kStop = 3 };
enum Tag : int { kFeaturesTag = 1, kBasisTag = 2, kReplyTag = 3 };

/// Elements per MPI message: counts are ints, so a longer array goes in pieces.
constexpr Eigen::Index kChunk = Eigen::Index(1) << 28;

/// CPU time of this process, all threads.
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

[[noreturn]] void abort_all(MPI_Comm comm, int rank, const std::string& why) {
  std::fprintf(stderr, "ionscreen: MPI pool scoring, rank %d: %s; aborting every rank\n", rank,
               why.c_str());
  std::fflush(stderr);
  MPI_Abort(comm, 1);
  std::abort();
}

template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};

/// Flat messages. Each message's fields are listed once, in a function template over the archive
/// (Packer writes them, Unpacker reads them back in the same order): numbers, enums, strings,
/// vectors, Eigen matrices and vectors.
class Packer {
 public:
  template <typename... T>
  void operator()(const T&... values) {
    (put(values), ...);
  }
  std::vector<char> bytes;

 private:
  template <typename T>
  void put(const T& value) {
    if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
      raw(&value, sizeof value);
    } else if constexpr (std::is_same_v<T, std::string>) {
      put(static_cast<std::int64_t>(value.size()));
      raw(value.data(), value.size());
    } else if constexpr (is_vector<T>::value) {
      put(static_cast<std::int64_t>(value.size()));
      if constexpr (std::is_trivially_copyable_v<typename T::value_type>)
        raw(value.data(), value.size() * sizeof(typename T::value_type));
      else
        for (const auto& element : value) put(element);
    } else {
      static_assert(std::is_same_v<T, Eigen::MatrixXd> || std::is_same_v<T, Eigen::VectorXd>);
      put(static_cast<std::int64_t>(value.rows()));
      put(static_cast<std::int64_t>(value.cols()));
      raw(value.data(), static_cast<std::size_t>(value.size()) * sizeof(double));
    }
  }
  void raw(const void* data, std::size_t n) {
    const char* c = static_cast<const char*>(data);
    bytes.insert(bytes.end(), c, c + n);
  }
};

class Unpacker {
 public:
  explicit Unpacker(const std::vector<char>& bytes)
      : at_(bytes.data()), end_(bytes.data() + bytes.size()) {}
  template <typename... T>
  void operator()(T&... values) {
    (get(values), ...);
  }
  void finish() const {
    if (at_ != end_) throw std::runtime_error("garbled message: bytes left over");
  }

 private:
  template <typename T>
  void get(T& value) {
    if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
      raw(&value, sizeof value);
    } else if constexpr (std::is_same_v<T, std::string>) {
      value.assign(count(1), '\0');
      raw(value.data(), value.size());
    } else if constexpr (is_vector<T>::value) {
      using Element = typename T::value_type;
      constexpr bool flat = std::is_trivially_copyable_v<Element>;
      value.resize(count(flat ? sizeof(Element) : 1));
      if constexpr (flat)
        raw(value.data(), value.size() * sizeof(Element));
      else
        for (auto& element : value) get(element);
    } else {
      static_assert(std::is_same_v<T, Eigen::MatrixXd> || std::is_same_v<T, Eigen::VectorXd>);
      std::int64_t rows = 0, cols = 0;
      (*this)(rows, cols);
      if (rows < 0 || cols < 0 || (T::ColsAtCompileTime == 1 && cols != 1))
        throw std::runtime_error("garbled message: bad matrix size");
      value.resize(rows, cols);
      raw(value.data(), static_cast<std::size_t>(value.size()) * sizeof(double));
    }
  }
  /// An array length, checked against what is left (`element`: its least size in bytes).
  std::size_t count(std::size_t element) {
    std::int64_t n = 0;
    get(n);
    if (n < 0 || static_cast<std::size_t>(n) * element > static_cast<std::size_t>(end_ - at_))
      throw std::runtime_error("garbled message: bad array length");
    return static_cast<std::size_t>(n);
  }
  void raw(void* out, std::size_t n) {
    if (n > static_cast<std::size_t>(end_ - at_))
      throw std::runtime_error("garbled message: truncated");
    if (n > 0) std::memcpy(out, at_, n);
    at_ += n;
  }
  const char* at_;
  const char* end_;
};

template <typename T>
MPI_Datatype mpi_type() {
  if constexpr (std::is_same_v<T, double>)
    return MPI_DOUBLE;
  else
    return MPI_BYTE;
}

template <typename T>
void send_array(const T* data, Eigen::Index n, int to, int tag, MPI_Comm comm) {
  for (Eigen::Index at = 0; at < n; at += kChunk)
    MPI_Send(data + at, static_cast<int>(std::min(kChunk, n - at)), mpi_type<T>(), to, tag, comm);
}

template <typename T>
void receive_array(T* data, Eigen::Index n, int from, int tag, MPI_Comm comm) {
  for (Eigen::Index at = 0; at < n; at += kChunk)
    MPI_Recv(data + at, static_cast<int>(std::min(kChunk, n - at)), mpi_type<T>(), from, tag, comm,
             MPI_STATUS_IGNORE);
}

void send_bytes(const std::vector<char>& bytes, int to, int tag, MPI_Comm comm) {
  const auto n = static_cast<std::int64_t>(bytes.size());
  MPI_Send(&n, 1, MPI_INT64_T, to, tag, comm);
  send_array(bytes.data(), n, to, tag, comm);
}

std::vector<char> receive_bytes(int from, int tag, MPI_Comm comm) {
  std::int64_t n = 0;
  MPI_Recv(&n, 1, MPI_INT64_T, from, tag, comm, MPI_STATUS_IGNORE);
  std::vector<char> bytes(static_cast<std::size_t>(n));
  receive_array(bytes.data(), n, from, tag, comm);
  return bytes;
}

/// Rank 0 sends a command and its message to every rank.
void send_command(Command command, std::vector<char> message, MPI_Comm comm) {
  std::array<std::int64_t, 2> header{command, static_cast<std::int64_t>(message.size())};
  MPI_Request request;
  MPI_Ibcast(header.data(), 2, MPI_INT64_T, 0, comm, &request);
  MPI_Wait(&request, MPI_STATUS_IGNORE);
  for (Eigen::Index at = 0; at < header[1]; at += kChunk)
    MPI_Bcast(message.data() + at, static_cast<int>(std::min(kChunk, header[1] - at)), MPI_BYTE, 0,
              comm);
}

/// A worker waits for the next command, sleeping between polls so that an idle worker leaves its
/// core to rank 0 (the GP fit between two proposals can take minutes).
Command receive_command(std::vector<char>& message, MPI_Comm comm) {
  std::array<std::int64_t, 2> header{0, 0};
  MPI_Request request;
  MPI_Ibcast(header.data(), 2, MPI_INT64_T, 0, comm, &request);
  auto pause = std::chrono::microseconds(20);
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) break;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(2000));
  }
  message.assign(static_cast<std::size_t>(header[1]), '\0');
  for (Eigen::Index at = 0; at < header[1]; at += kChunk)
    MPI_Bcast(message.data() + at, static_cast<int>(std::min(kChunk, header[1] - at)), MPI_BYTE, 0,
              comm);
  return static_cast<Command>(header[0]);
}

// The messages. `Archive` is Packer or Unpacker; the other arguments are const when packing.

/// kPool: which pool, its size, and what the workers parse kernel specs with.
template <typename Archive, typename Id, typename Size, typename Groups>
void pool_fields(Archive& ar, Id& id, Size& rows, Size& cols, Size& basis_cols, Groups& groups) {
  ar(id, rows, cols, basis_cols);
  ar(groups.num_features, groups.default_columns, groups.names, groups.columns);
}

/// kScore, first part: the pool scored and the kernel (a worker rebuilds it before the rest).
template <typename Archive, typename Id, typename Spec, typename Theta>
void kernel_fields(Archive& ar, Id& pool_id, Spec& spec, Theta& theta) {
  ar(pool_id, spec, theta);
}

/// kScore, second part: the rest of the predictor and the task.
template <typename Archive, typename Predictor, typename Flag, typename Task>
void task_fields(Archive& ar, Predictor& p, Flag& use_basis, Task& task) {
  ar(p.X, p.alpha, p.beta, p.y_mean, p.y_scale, p.factor, p.inverse, use_basis);
  auto& a = task.acquisition;
  ar(a.kind, a.xi, a.kappa, a.threshold, a.delta);
  ar(task.best, task.shortlist, task.ineligible, task.observed, task.pending, task.threshold);
}

/// A rank's answer: the CPU time it took, and its shard's shortlist or why it has none (`error`
/// not empty).
template <typename Archive, typename Seconds, typename Error, typename Shortlist>
void reply_fields(Archive& ar, Seconds& cpu, Error& error, Shortlist& s) {
  ar(cpu, error);
  if (!error.empty()) return;
  ar(s.best, s.pending, s.counts.below, s.counts.above, s.counts.undecided, s.labels);
}

}  // namespace

struct MpiPoolScoring::Communicator {
  MPI_Comm handle = MPI_COMM_NULL;
};

MpiPoolScoring::MpiPoolScoring() : comm_(std::make_unique<Communicator>()) {
  MPI_Comm_dup(MPI_COMM_WORLD, &comm_->handle);
  MPI_Comm_rank(comm_->handle, &rank_);
  MPI_Comm_size(comm_->handle, &size_);
}

MpiPoolScoring::~MpiPoolScoring() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  if (rank_ == 0) {
    try {
      stop();
    } catch (...) {  // a destructor must not throw; MPI errors abort anyway
    }
  }
  MPI_Comm_free(&comm_->handle);
}

void MpiPoolScoring::stop() {
  if (rank_ != 0) throw std::logic_error("MpiPoolScoring::stop() is for rank 0");
  if (stopped_) return;
  send_command(kStop, {}, comm_->handle);
  stopped_ = true;
}

void MpiPoolScoring::distribute_pool(const gp::ScoringPool& pool) {
  const Eigen::Index N = pool.features.rows(), d = pool.features.cols(), p = pool.basis.cols();
  Packer out;
  pool_fields(out, pool.id, N, d, p, pool.groups);
  send_command(kPool, std::move(out.bytes), comm_->handle);
  // Column segments of a column-major matrix are contiguous: each goes as it is.
  for (int r = 1; r < size_; ++r) {
    const gp::RowRange rows = gp::shard_rows(N, size_, r);
    for (Eigen::Index j = 0; j < d; ++j)
      send_array(pool.features.col(j).data() + rows.begin, rows.size(), r, kFeaturesTag,
                 comm_->handle);
    for (Eigen::Index j = 0; j < p; ++j)
      send_array(pool.basis.col(j).data() + rows.begin, rows.size(), r, kBasisTag, comm_->handle);
  }
  distributed_ = pool.id;
}

void MpiPoolScoring::receive_pool(const std::vector<char>& message) {
  Unpacker in(message);
  Shard s;
  Eigen::Index d = 0, p = 0;
  pool_fields(in, s.id, s.pool_size, d, p, s.groups);
  in.finish();
  s.rows = gp::shard_rows(s.pool_size, size_, rank_);
  shard_ = Shard();  // free the last pool before taking the next
  s.features.resize(s.rows.size(), d);
  s.basis.resize(s.rows.size(), p);
  for (Eigen::Index j = 0; j < d; ++j)
    receive_array(s.features.col(j).data(), s.rows.size(), 0, kFeaturesTag, comm_->handle);
  for (Eigen::Index j = 0; j < p; ++j)
    receive_array(s.basis.col(j).data(), s.rows.size(), 0, kBasisTag, comm_->handle);
  shard_ = std::move(s);
}

std::vector<char> MpiPoolScoring::score_shard(const std::vector<char>& message) const {
  const double start = cpu_seconds();
  try {
    Unpacker in(message);
    std::uint64_t pool_id = 0;
    std::string spec;
    Eigen::VectorXd theta;
    kernel_fields(in, pool_id, spec, theta);
    if (pool_id != shard_.id)
      throw std::runtime_error("holds pool " + std::to_string(shard_.id) + ", asked to score " +
                               std::to_string(pool_id));
    gp::Predictor predictor{gp::parse_kernel(spec, shard_.groups), {}, {}, {}, 0.0, 1.0, {}, false};
    predictor.kernel.set_theta(theta);
    bool use_basis = false;
    gp::ScoringTask task;
    task_fields(in, predictor, use_basis, task);
    in.finish();
    const Eigen::MatrixXd none;
    const gp::Shortlist s =
        gp::score_rows(predictor, shard_.features, use_basis ? shard_.basis : none,
                       shard_.rows.begin, shard_.pool_size, task);
    Packer out;
    const double cpu = cpu_seconds() - start;
    const std::string no_error;
    reply_fields(out, cpu, no_error, s);
    return std::move(out.bytes);
  } catch (const std::exception& e) {
    Packer out;
    const double cpu = cpu_seconds() - start;
    const std::string error = e.what()[0] ? e.what() : "unknown error";
    const gp::Shortlist nothing;
    reply_fields(out, cpu, error, nothing);
    return std::move(out.bytes);
  }
}

void MpiPoolScoring::serve() {
  if (rank_ == 0) throw std::logic_error("MpiPoolScoring::serve() is for ranks other than 0");
  std::vector<char> message;
  for (;;) {
    const Command command = receive_command(message, comm_->handle);
    switch (command) {
      case kStop:
        return;
      case kPool:
        try {
          receive_pool(message);
        } catch (const std::exception& e) {
          abort_all(comm_->handle, rank_,
                    std::string("cannot take its shard of the pool: ") + e.what());
        }
        break;
      case kScore:
        send_bytes(score_shard(message), 0, kReplyTag, comm_->handle);
        break;
      default:
        abort_all(comm_->handle, rank_, "unknown command " + std::to_string(command));
    }
  }
}

gp::Shortlist MpiPoolScoring::score(const gp::ScoringRequest& request) {
  if (rank_ != 0) throw std::logic_error("MpiPoolScoring::score() is for rank 0");
  if (stopped_) throw std::logic_error("MpiPoolScoring::score() after stop()");
  const auto started = std::chrono::steady_clock::now();
  gp::validate(request);
  const gp::ScoringPool& pool = request.pool;
  const Eigen::Index N = pool.features.rows();
  if (pool.basis.cols() > 0 && pool.basis.rows() != N)
    throw gp::InvalidInput("pool scoring: the mean basis has " + std::to_string(pool.basis.rows()) +
                           " rows for a pool of " + std::to_string(N));
  const gp::Predictor predictor = gp::make_predictor(request.fit, N);
  Packer message;
  const std::string spec = predictor.kernel.spec();
  const Eigen::VectorXd theta = predictor.kernel.theta();
  kernel_fields(message, pool.id, spec, theta);
  task_fields(message, predictor, request.use_basis, request.task);

  // From here on every rank takes part until the replies are in: an exception in between would
  // leave the workers out of step, so only a scoring failure (reported) may happen.
  std::vector<gp::Shortlist> parts;
  std::vector<double> cpu(static_cast<std::size_t>(size_), 0.0);
  std::string errors;
  try {
    if (distributed_ != pool.id) distribute_pool(pool);
    send_command(kScore, std::move(message.bytes), comm_->handle);
    const gp::RowRange own = gp::shard_rows(N, size_, 0);
    const double start = cpu_seconds();
    try {
      using Rows = Eigen::Ref<const Eigen::MatrixXd>;
      const Eigen::MatrixXd none;
      const Rows basis =
          request.use_basis ? Rows(pool.basis.middleRows(own.begin, own.size())) : Rows(none);
      parts.push_back(gp::score_rows(predictor, pool.features.middleRows(own.begin, own.size()),
                                     basis, own.begin, N, request.task));
    } catch (const std::exception& e) {
      errors += std::string(errors.empty() ? "" : "; on ") + "rank 0: " + e.what();
    }
    cpu[0] = cpu_seconds() - start;
    for (int r = 1; r < size_; ++r) {
      const std::vector<char> reply = receive_bytes(r, kReplyTag, comm_->handle);
      std::string error;
      try {
        Unpacker in(reply);
        gp::Shortlist part;
        reply_fields(in, cpu[static_cast<std::size_t>(r)], error, part);
        in.finish();
        if (error.empty()) parts.push_back(std::move(part));
      } catch (const std::exception& e) {
        error = e.what();
      }
      if (!error.empty())
        errors +=
            std::string(errors.empty() ? "" : "; on ") + "rank " + std::to_string(r) + ": " + error;
    }
  } catch (const std::exception& e) {
    abort_all(comm_->handle, rank_, std::string("lost step with the workers: ") + e.what());
  }
  if (!errors.empty()) throw MpiScoringError("pool scoring failed on " + errors);
  gp::Shortlist merged = gp::merge_shortlists(std::move(parts), request.task.shortlist);
  times_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  times_.shard_cpu = std::move(cpu);
  return merged;
}

}  // namespace ionscreen::pipeline
