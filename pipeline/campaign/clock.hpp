#pragma once
/// Time as a campaign sees it: the wall clock (Unix seconds) and waiting between polls. It is
/// passed in, so that unit tests drive the wall-clock stop rule and the scheduler back-off
/// without waiting.
#include <chrono>
#include <thread>

namespace ionscreen::pipeline {

class Clock {
 public:
  virtual ~Clock() = default;
  /// Unix seconds.
  virtual double now() const = 0;
  /// Wait `seconds` (> 0).
  virtual void sleep(double seconds) = 0;
};

/// The system's clock.
class SystemClock final : public Clock {
 public:
  double now() const override {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  void sleep(double seconds) override {
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  }
};

}  // namespace ionscreen::pipeline
