#include "pipeline/progress.h"

#include <unistd.h>

#include <ostream>

#include <fmt/format.h>

namespace thinkplan::pipeline {

Progress::Progress(std::ostream& err, std::string label, std::size_t total, bool enabled)
    : err_(err), label_(std::move(label)), total_(total), enabled_(enabled) {}

Progress::~Progress() { Finish(); }

bool Progress::StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

void Progress::Update(std::size_t done) {
  if (!enabled_) return;
  // Redraw at most ten times a second: a progress line must not slow the work it reports on.
  if (drawn_ && since_draw_.Seconds() < 0.1) return;
  since_draw_.Restart();
  const double seconds = elapsed_.Seconds();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  std::string line = fmt::format("\r{}: {}", label_, done);
  if (total_ > 0) {
    const double fraction = static_cast<double>(done) / static_cast<double>(total_);
    constexpr int kBar = 30;
    const int filled = static_cast<int>(fraction * kBar);
    line += fmt::format("/{} [{}{}] {:3.0f}%", total_, std::string(filled, '#'), std::string(kBar - filled, ' '),
                        100 * fraction);
  }
  line += fmt::format("  {:.0f}/s ", rate);
  err_ << line << std::flush;
  drawn_ = true;
}

void Progress::Finish() {
  if (enabled_ && drawn_) err_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

}  // namespace thinkplan::pipeline
