#include "gp/random.hpp"

#include <cmath>
#include <numbers>
#include <sstream>

#include "gp/error.hpp"

namespace ionscreen::gp {

double Rng::uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

std::size_t Rng::below(std::size_t n) {
  if (n == 0) throw InvalidInput("Rng::below(0): empty range");
  // Rejection sampling keeps the draw unbiased for any n.
  const std::uint64_t limit = engine_.max() - engine_.max() % n;
  std::uint64_t r;
  do {
    r = engine_();
  } while (r >= limit);
  return static_cast<std::size_t>(r % n);
}

std::string Rng::state() const {
  std::ostringstream out;
  out << engine_;
  return out.str();
}

void Rng::restore(const std::string& state) {
  std::istringstream in(state);
  std::mt19937_64 engine;
  in >> engine;
  if (in.fail()) throw InvalidInput("random state: not a saved mt19937_64 state");
  engine_ = engine;
}

}  // namespace ionscreen::gp
