// A one-line progress indicator on stderr for long work, shown only on a terminal and never with --quiet.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>

#include "core/timing.h"

namespace thinkplan::pipeline {

class Progress {
 public:
  // `total` 0 means unknown: only the count and rate are shown.
  Progress(std::ostream& err, std::string label, std::size_t total, bool enabled);
  ~Progress();
  void Update(std::size_t done);
  void Finish();

  // True when stderr is a terminal.
  static bool StderrIsTerminal();

 private:
  std::ostream& err_;
  std::string label_;
  std::size_t total_;
  bool enabled_;
  bool drawn_ = false;
  Stopwatch elapsed_;
  Stopwatch since_draw_;
};

}  // namespace thinkplan::pipeline
