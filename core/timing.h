// Wall time of work, the one way every layer measures it: a stopwatch on the steady clock (never the calendar
// clock, which jumps) and a record of named, timed passes that the plan pipeline and the demo's stages report.
// Timings are for people reading reports; no result depends on them.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace thinkplan {

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  void Restart() { start_ = std::chrono::steady_clock::now(); }
  double Seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  double Milliseconds() const { return 1e3 * Seconds(); }

 private:
  std::chrono::steady_clock::time_point start_;
};

// One named step and the wall time it took.
struct TimedPass {
  std::string name;
  double seconds = 0;
  double ms() const { return 1e3 * seconds; }
};

// Runs named passes and appends each one's wall time to a record the caller keeps (a pass that throws is not
// recorded: it did not finish).
class TimedPasses {
 public:
  explicit TimedPasses(std::vector<TimedPass>* record) : record_(record) {}
  template <typename Body>
  void Run(std::string name, Body&& body) {
    const Stopwatch stopwatch;
    std::forward<Body>(body)();
    record_->push_back({std::move(name), stopwatch.Seconds()});
  }

 private:
  std::vector<TimedPass>* record_;
};

}  // namespace thinkplan
