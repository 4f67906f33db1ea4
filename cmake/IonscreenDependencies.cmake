# Every dependency comes from a Debian package; nothing is downloaded at build time.
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(OpenMP REQUIRED)
find_package(fmt REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(nlohmann_json 3.10 REQUIRED)  # job-protocol files (job.json, result.json)
find_package(HDF5 REQUIRED COMPONENTS C)
find_package(MPI REQUIRED COMPONENTS CXX)

# spglib 2.0.2 (libsymspg-dev) ships only spglib.pc, no CMake config.
find_package(PkgConfig REQUIRED)
pkg_check_modules(SPGLIB REQUIRED IMPORTED_TARGET spglib)
add_library(spglib::spglib ALIAS PkgConfig::SPGLIB)

# LBFGS++ (liblbfgspp-dev) is header-only and ships no CMake config.
find_path(LBFGSPP_INCLUDE_DIR LBFGSB.h REQUIRED)
add_library(ionscreen_lbfgspp INTERFACE)
target_include_directories(ionscreen_lbfgspp SYSTEM INTERFACE ${LBFGSPP_INCLUDE_DIR})
target_link_libraries(ionscreen_lbfgspp INTERFACE Eigen3::Eigen)
add_library(LBFGSpp::LBFGSpp ALIAS ionscreen_lbfgspp)

if(IONSCREEN_TESTS)
  find_package(Catch2 2 REQUIRED)
endif()
