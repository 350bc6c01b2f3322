// The progress of `newswire process` over many inputs, with fixed times: what a terminal and a
// log file get, and how often.
#include "daemon/app/progress_reporter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>

namespace newswire::app {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const ProgressReporter::TimePoint kStart{seconds(1000)};

// Takes what was written since the last call.
std::string Take(std::ostringstream& out) {
  std::string text = out.str();
  out.str("");
  return text;
}

TEST(ProgressReporterTest, TerminalDrawsTheBarAtTheFirstFileWithRateAndEta) {
  std::ostringstream out;
  ProgressReporter progress(out, /*terminal=*/true, 40, kStart);
  progress.FileDone(false, 1, kStart + milliseconds(500));
  // 1 file in 0.5 s: 2 files/s, 39 left: 19.5 s, rounded up.
  EXPECT_EQ(Take(out), "\r[....................] 1/40 files  2.0 files/s  ETA 0:20\x1b[K");
}

TEST(ProgressReporterTest, TerminalBarFillsInProportionAndShowsFailures) {
  std::ostringstream out;
  ProgressReporter progress(out, /*terminal=*/true, 40, kStart);
  for (int file = 0; file < 9; ++file) progress.FileDone(file < 3, 1, kStart);
  Take(out);
  // The tenth of 40 files after 1 s: a quarter of the 20 characters.
  progress.FileDone(false, 1, kStart + seconds(1));
  EXPECT_EQ(Take(out),
            "\r[#####...............] 10/40 files  10 files/s  ETA 0:03  3 failed\x1b[K");
}

TEST(ProgressReporterTest, TerminalRedrawsAtMostEvery100Ms) {
  std::ostringstream out;
  ProgressReporter progress(out, /*terminal=*/true, 1000, kStart);
  progress.FileDone(false, 1, kStart + milliseconds(10));
  EXPECT_NE(Take(out), "");
  progress.FileDone(false, 1, kStart + milliseconds(50));
  progress.FileDone(false, 1, kStart + milliseconds(109));
  EXPECT_EQ(Take(out), "");
  progress.FileDone(false, 1, kStart + milliseconds(110));
  EXPECT_EQ(Take(out), "\r[....................] 4/1000 files  36 files/s  ETA 0:28\x1b[K");
}

TEST(ProgressReporterTest, EtaIsUnknownBeforeTimePasses) {
  std::ostringstream out;
  ProgressReporter progress(out, /*terminal=*/true, 2, kStart);
  progress.FileDone(false, 1, kStart);
  EXPECT_EQ(Take(out), "\r[##########..........] 1/2 files  0.0 files/s  ETA -:--\x1b[K");
}

TEST(ProgressReporterTest, InterruptClearsTheTerminalLineAndTheNextFileRedrawsIt) {
  std::ostringstream out;
  ProgressReporter progress(out, /*terminal=*/true, 10, kStart);
  progress.Interrupt();  // nothing drawn yet: nothing to clear
  EXPECT_EQ(Take(out), "");
  progress.FileDone(false, 1, kStart + seconds(1));
  Take(out);
  progress.Interrupt();
  EXPECT_EQ(Take(out), "\r\x1b[K");
  // Within 100 ms of the last drawing, but the line is gone: it comes back.
  progress.FileDone(false, 1, kStart + seconds(1) + milliseconds(1));
  EXPECT_NE(Take(out).find("2/10 files"), std::string::npos);
}

TEST(ProgressReporterTest, TerminalFinishesWithTheFullBarANewlineAndTheSummary) {
  std::ostringstream out;
  ProgressReporter progress(out, /*terminal=*/true, 4, kStart);
  for (int file = 0; file < 4; ++file) progress.FileDone(file == 0, 2, kStart + seconds(1));
  Take(out);
  progress.Finish(kStart + seconds(2));
  EXPECT_EQ(Take(out),
            "\r[####################] 4/4 files  2.0 files/s  ETA 0:00  1 failed\x1b[K\n"
            "process: 4 files in 2.0 s (2.0 files/s), 8 articles, 1 failed\n");
}

TEST(ProgressReporterTest, PlainWritesALineEvery5SecondsAtMost) {
  std::ostringstream out;
  ProgressReporter progress(out, /*terminal=*/false, 5000, kStart);
  for (int file = 0; file < 1999; ++file) {
    progress.FileDone(file < 3, 1, kStart + milliseconds(2 * file));
  }
  EXPECT_EQ(Take(out), "");  // under 5 s: a short run writes no progress at all
  progress.FileDone(false, 1, kStart + seconds(5));
  // 2000 files in 5 s: 400 files/s, 3000 left: 7.5 s, rounded up.
  EXPECT_EQ(Take(out), "process: 2000/5000 files, 400 files/s, ETA 8 s, 3 failed\n");
  progress.FileDone(false, 1, kStart + seconds(9));
  EXPECT_EQ(Take(out), "");
  progress.FileDone(false, 1, kStart + seconds(10));
  EXPECT_EQ(Take(out), "process: 2002/5000 files, 200 files/s, ETA 15 s, 3 failed\n");
}

TEST(ProgressReporterTest, PlainFinishesWithTheSummaryOnly) {
  std::ostringstream out;
  ProgressReporter progress(out, /*terminal=*/false, 5000, kStart);
  for (int file = 0; file < 5000; ++file) progress.FileDone(file < 3, file < 20 ? 0 : 1, kStart);
  progress.Finish(kStart + milliseconds(12100));
  EXPECT_EQ(Take(out), "process: 5000 files in 12.1 s (413 files/s), 4980 articles, 3 failed\n");
}

TEST(ProgressReporterTest, ClockFormatHasHoursOnlyWhenNeeded) {
  EXPECT_EQ(ProgressReporter::FormatClock(seconds(0)), "0:00");
  EXPECT_EQ(ProgressReporter::FormatClock(seconds(9)), "0:09");
  EXPECT_EQ(ProgressReporter::FormatClock(seconds(725)), "12:05");
  EXPECT_EQ(ProgressReporter::FormatClock(seconds(3723)), "1:02:03");
}

}  // namespace
}  // namespace newswire::app
