#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

// The hostile corpus, tests/data/hostile, and the outcome each file must get
// (tests/data/hostile/expected.tsv). Header-only: used by the pipeline's unit test and the
// daemon's integration test. NEWSWIRE_SOURCE_DIR is a compile definition of every test target.
namespace newswire::test_support {

struct HostileExpectation {
  std::string outcome;  // "stage/code" of the refusal, or "event"
  std::string text;     // in the error message, or in the event's value
};

inline std::filesystem::path HostileCorpusDirectory() {
  return std::filesystem::path(NEWSWIRE_SOURCE_DIR) / "tests/data/hostile";
}

// File name -> expectation. Throws (a test set-up failure) on a malformed line.
inline std::map<std::string, HostileExpectation> LoadHostileExpectations() {
  std::ifstream file(HostileCorpusDirectory() / "expected.tsv");
  std::map<std::string, HostileExpectation> expectations;
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty() || line.starts_with('#')) continue;
    const std::size_t first_tab = line.find('\t');
    const std::size_t second_tab =
        first_tab == std::string::npos ? first_tab : line.find('\t', first_tab + 1);
    if (second_tab == std::string::npos) {
      throw std::runtime_error("tests/data/hostile/expected.tsv: not three columns: " + line);
    }
    expectations[line.substr(0, first_tab)] = {
        line.substr(first_tab + 1, second_tab - first_tab - 1), line.substr(second_tab + 1)};
  }
  if (expectations.empty()) throw std::runtime_error("tests/data/hostile/expected.tsv: empty");
  return expectations;
}

inline std::string ReadHostileFile(const std::string& name) {
  std::ifstream file(HostileCorpusDirectory() / name, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  return std::move(contents).str();
}

}  // namespace newswire::test_support
