#include "pipeline/mpi/mpi_session.hpp"

#include <mpi.h>

#include <cstdlib>

namespace ionscreen::pipeline {
namespace {

/// Did an MPI launcher (Open MPI's mpirun, or a PMI/PMIx one such as srun) start us?
bool launched_by_mpi() {
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
    if (std::getenv(variable)) return true;
  return false;
}

}  // namespace

MpiSession::MpiSession(int& argc, char**& argv, bool wanted) {
  if (!wanted || !launched_by_mpi()) return;
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  initialised_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() {
  if (initialised_) MPI_Finalize();
}

std::shared_ptr<MpiPoolScoring> MpiSession::pool_scoring() const {
  if (size_ < 2) return nullptr;
  return std::make_shared<MpiPoolScoring>();
}

}  // namespace ionscreen::pipeline
