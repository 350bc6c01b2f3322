#include "daemon/app/progress_reporter.h"

#include <fmt/format.h>

#include <cmath>
#include <optional>

namespace newswire::app {
namespace {

// Clears from the cursor to the end of the line, so a shorter redraw leaves nothing behind.
constexpr std::string_view kClearToEndOfLine = "\x1b[K";

// "412" from 10 files/s up, "2.5" below, where the decimal still says something.
std::string FormatRate(double files_per_second) {
  return files_per_second >= 10 ? fmt::format("{:.0f}", files_per_second)
                                : fmt::format("{:.1f}", files_per_second);
}

}  // namespace

ProgressReporter::ProgressReporter(std::ostream& out, bool terminal, std::size_t total_files,
                                   TimePoint start)
    : out_(out),
      terminal_(terminal),
      total_files_(total_files),
      start_(start),
      // A terminal shows the bar from the first file on; a log gets its first line only once the
      // run has lasted long enough to need one.
      next_draw_(terminal ? start : start + kPlainIntervalMs) {}

void ProgressReporter::FileDone(bool failed, std::size_t articles, TimePoint now) {
  ++done_files_;
  if (failed) ++failed_files_;
  articles_ += articles;
  if (now >= next_draw_) {
    Draw(now);
    next_draw_ = now + (terminal_ ? kTerminalIntervalMs : kPlainIntervalMs);
  }
}

void ProgressReporter::Interrupt() {
  if (!terminal_ || !line_drawn_) return;
  out_ << "\r" << kClearToEndOfLine << std::flush;
  line_drawn_ = false;
  // Put the bar back with the next file rather than leave the screen without it.
  next_draw_ = start_;
}

void ProgressReporter::Finish(TimePoint now) {
  if (terminal_) {
    Draw(now);
    out_ << "\n";
    line_drawn_ = false;
  }
  const double elapsed_seconds = std::chrono::duration<double>(now - start_).count();
  out_ << fmt::format("process: {} files in {:.1f} s ({} files/s), {} articles, {} failed\n",
                      done_files_, elapsed_seconds, FormatRate(FilesPerSecond(now)), articles_,
                      failed_files_)
       << std::flush;
}

std::string ProgressReporter::FormatClock(std::chrono::seconds duration) {
  const auto total_seconds = duration.count();
  const auto hours = total_seconds / 3600;
  const auto minutes = total_seconds / 60 % 60;
  const auto seconds = total_seconds % 60;
  if (hours > 0) return fmt::format("{}:{:02}:{:02}", hours, minutes, seconds);
  return fmt::format("{}:{:02}", minutes, seconds);
}

double ProgressReporter::FilesPerSecond(TimePoint now) const {
  const double elapsed_seconds = std::chrono::duration<double>(now - start_).count();
  return elapsed_seconds > 0 ? static_cast<double>(done_files_) / elapsed_seconds : 0;
}

void ProgressReporter::Draw(TimePoint now) {
  const double rate = FilesPerSecond(now);
  // Unknown until a file finished after some time passed.
  std::optional<std::chrono::seconds> eta;
  if (rate > 0) {
    const auto remaining_files = static_cast<double>(total_files_ - done_files_);
    eta = std::chrono::seconds(static_cast<std::int64_t>(std::ceil(remaining_files / rate)));
  }
  if (terminal_) {
    const std::size_t filled =
        total_files_ > 0 ? done_files_ * kBarCharacters / total_files_ : kBarCharacters;
    std::string line =
        fmt::format("\r[{}{}] {}/{} files  {} files/s  ETA {}", std::string(filled, '#'),
                    std::string(kBarCharacters - filled, '.'), done_files_, total_files_,
                    FormatRate(rate), eta ? FormatClock(*eta) : std::string("-:--"));
    if (failed_files_ > 0) line += fmt::format("  {} failed", failed_files_);
    out_ << line << kClearToEndOfLine << std::flush;
    line_drawn_ = true;
    return;
  }
  std::string line = fmt::format("process: {}/{} files, {} files/s, ETA {}", done_files_,
                                 total_files_, FormatRate(rate),
                                 eta ? fmt::format("{} s", eta->count()) : std::string("unknown"));
  if (failed_files_ > 0) line += fmt::format(", {} failed", failed_files_);
  out_ << line << "\n" << std::flush;
}

}  // namespace newswire::app
