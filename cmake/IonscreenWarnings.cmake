# ionscreen_warnings: compile options every ionscreen target links to.
add_library(ionscreen_warnings INTERFACE)
add_library(ionscreen::warnings ALIAS ionscreen_warnings)
target_compile_options(ionscreen_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual)
if(IONSCREEN_WERROR)
  target_compile_options(ionscreen_warnings INTERFACE -Werror)
endif()
if(IONSCREEN_NATIVE)
  # GCC 12's AVX-512 intrinsic headers trip -Wmaybe-uninitialized when Eigen inlines them
  # (GCC bug 105593), so that one warning is off where -march=native can select AVX-512.
  target_compile_options(ionscreen_warnings INTERFACE -march=native -Wno-maybe-uninitialized)
endif()
if(IONSCREEN_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "IONSCREEN_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++")
  endif()
  set(IONSCREEN_SANITIZE ON)
  # Coverage for libFuzzer in every ionscreen library; the targets link -fsanitize=fuzzer.
  target_compile_options(ionscreen_warnings INTERFACE -fsanitize=fuzzer-no-link)
endif()
if(IONSCREEN_SANITIZE)
  target_compile_options(ionscreen_warnings INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(ionscreen_warnings INTERFACE -fsanitize=address,undefined)
endif()
