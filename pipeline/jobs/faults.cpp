#include "pipeline/jobs/faults.hpp"

#include <charconv>
#include <set>
#include <sstream>
#include <utility>

#include "pipeline/base/error.hpp"

namespace ionscreen::pipeline {
namespace {

constexpr const char* kAccepted =
    "kind=rate entries separated by commas, kinds fail, hang, "
    "garbage, slow, each rate a number in [0, 1], summing to at most 1";

/// splitmix64's finaliser: every input bit affects every output bit.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

[[noreturn]] void bad_faults(const std::string& spec, const std::string& origin,
                             const std::string& why) {
  throw InputError(origin + ": faults '" + spec + "': " + why + "; accepted: " + kAccepted);
}

}  // namespace

const char* to_string(Fault fault) {
  switch (fault) {
    case Fault::fail:
      return "fail";
    case Fault::hang:
      return "hang";
    case Fault::garbage:
      return "garbage";
    case Fault::slow:
      return "slow";
    case Fault::none:
      break;
  }
  return "none";
}

FaultRates parse_faults(const std::string& spec, const std::string& origin) {
  FaultRates rates;
  std::set<std::string> seen;
  std::stringstream in(spec);
  std::string entry;
  while (std::getline(in, entry, ',')) {
    const auto equals = entry.find('=');
    if (equals == std::string::npos)
      bad_faults(spec, origin, "entry '" + entry + "' is not kind=rate");
    const std::string kind = entry.substr(0, equals);
    const std::string number = entry.substr(equals + 1);
    double rate = -1.0;
    const char* end = number.data() + number.size();
    const auto parsed = std::from_chars(number.data(), end, rate);
    if (parsed.ec != std::errc() || parsed.ptr != end)
      bad_faults(spec, origin, "entry '" + entry + "': '" + number + "' is not a number");
    if (!(rate >= 0.0 && rate <= 1.0))
      bad_faults(spec, origin, "entry '" + entry + "': the rate is outside [0, 1]");
    if (!seen.insert(kind).second)
      bad_faults(spec, origin, "entry '" + entry + "' repeats the kind '" + kind + "'");
    if (kind == "fail")
      rates.fail = rate;
    else if (kind == "hang")
      rates.hang = rate;
    else if (kind == "garbage")
      rates.garbage = rate;
    else if (kind == "slow")
      rates.slow = rate;
    else
      bad_faults(spec, origin, "entry '" + entry + "' names an unknown kind '" + kind + "'");
  }
  const double total = rates.fail + rates.hang + rates.garbage + rates.slow;
  if (total > 1.0 + 1e-12)
    bad_faults(spec, origin, "the rates sum to " + std::to_string(total) + ", more than 1");
  return rates;
}

double fault_draw(std::uint64_t seed, const std::string& job_id) {
  std::uint64_t h = mix(seed);
  for (const char c : job_id) h = mix(h ^ static_cast<unsigned char>(c));
  h = mix(h ^ job_id.size());
  return static_cast<double>(h >> 11) * 0x1.0p-53;  // the top 53 bits: exact in a double
}

Fault choose_fault(const FaultRates& rates, double draw) {
  double edge = 0.0;
  for (const auto& [rate, fault] :
       {std::pair{rates.fail, Fault::fail}, std::pair{rates.hang, Fault::hang},
        std::pair{rates.garbage, Fault::garbage}, std::pair{rates.slow, Fault::slow}}) {
    edge += rate;
    if (draw < edge) return fault;
  }
  return Fault::none;
}

int garbage_variant(const FaultRates& rates, double draw) {
  if (rates.garbage <= 0.0) return 0;
  const double within = (draw - rates.fail - rates.hang) / rates.garbage;  // [0, 1)
  const int variant = static_cast<int>(within * 3.0);
  return variant < 0 ? 0 : variant > 2 ? 2 : variant;
}

}  // namespace ionscreen::pipeline
