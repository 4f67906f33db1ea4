#pragma once
/// A seeded random stream whose whole state is a string, so an optimiser can be saved and resumed
/// with identical draws. std::normal_distribution caches a second draw between calls, which a saved
/// engine state would not capture, so the draws here are made from the raw engine only.
#include <cstdint>
#include <random>
#include <string>

namespace ionscreen::gp {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) : engine_(seed) {}

  /// Uniform on [0, 1) with 53 random bits.
  double uniform();
  /// Standard normal (Box-Muller; no cached second value).
  double normal();
  /// Uniform integer in [0, n).
  std::size_t below(std::size_t n);

  /// The engine state as text; restore() of it continues the stream exactly.
  std::string state() const;
  void restore(const std::string& state);

 private:
  std::mt19937_64 engine_;
};

}  // namespace ionscreen::gp
