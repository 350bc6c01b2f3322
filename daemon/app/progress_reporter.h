#pragma once

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>

namespace newswire::app {

// The progress of `newswire process` over many inputs, written to `out` (stderr). On a terminal
// it redraws one line in place ("[#####.....] 1234/5000 files  412 files/s  ETA 0:09  3 failed")
// at most every 100 ms; otherwise it writes a plain line at most every 5 s, so that a log file
// gets a few lines and not thousands. Finish() writes the summary line. Pure: the caller passes
// the time of every call, so tests use fixed times. Owned and called by one thread.
class ProgressReporter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  static constexpr std::chrono::milliseconds kTerminalIntervalMs{100};
  static constexpr std::chrono::milliseconds kPlainIntervalMs{5000};
  static constexpr std::size_t kBarCharacters = 20;

  ProgressReporter(std::ostream& out, bool terminal, std::size_t total_files, TimePoint start);

  // One input finished, with `articles` events made from it; `failed` when any part of it was
  // rejected. Draws when the last drawing is old enough.
  void FileDone(bool failed, std::size_t articles, TimePoint now);

  // Erases the progress line on a terminal, so that a message written next starts at column 0;
  // the next drawing puts the line back.
  void Interrupt();

  // Draws the last state and writes the summary line
  // ("process: 5000 files in 12.1 s (412 files/s), 4980 articles, 3 failed").
  void Finish(TimePoint now);

  // "0:09", "12:05", "1:02:03".
  static std::string FormatClock(std::chrono::seconds duration);

 private:
  void Draw(TimePoint now);
  // Files per second since the start; 0 before any time has passed.
  double FilesPerSecond(TimePoint now) const;

  std::ostream& out_;
  bool terminal_;
  std::size_t total_files_;
  TimePoint start_;
  TimePoint next_draw_;
  bool line_drawn_ = false;  // a terminal line is on screen
  std::size_t done_files_ = 0;
  std::size_t failed_files_ = 0;
  std::size_t articles_ = 0;
};

}  // namespace newswire::app
