#pragma once
/// MPI for a program that may or may not have been started by mpirun: MPI is initialised only
/// when it is wanted and a launcher started this process (its environment says so), so a plain
/// `ionscreen run` needs no MPI runtime at all.
#include <memory>

#include "pipeline/mpi/mpi_pool_scoring.hpp"

namespace ionscreen::pipeline {

class MpiSession {
 public:
  MpiSession(int& argc, char**& argv, bool wanted);
  ~MpiSession();  ///< MPI_Finalize, if initialised here
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  /// Collective over every rank when size() > 1: the scorer that shares the pool scoring (rank 0
  /// gives it to the campaign, the others serve() it). nullptr for a single process.
  std::shared_ptr<MpiPoolScoring> pool_scoring() const;

 private:
  bool initialised_ = false;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace ionscreen::pipeline
