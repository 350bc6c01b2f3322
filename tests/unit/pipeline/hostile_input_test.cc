// The hostile corpus (tests/data/hostile, listed with its expected outcomes in expected.tsv)
// through the whole pipeline with the shipped classifier: each file is refused with the stage and
// code it must get, or becomes an event that carries nothing of what was refused. The daemon's
// side (dead letters, failed/, files that only a file system can make) is in
// tests/integration/daemon/hostile_input_test.cc.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/pipeline/pipeline.h"
#include "daemon/pipeline/unicode_text.h"
#include "tests/support/hostile_corpus.h"
#include "tests/support/shipped_classifier.h"
#include "tests/unit/pipeline/test_helpers.h"

namespace newswire::pipeline {
namespace {

namespace fs = std::filesystem;

using test_support::HostileCorpusDirectory;
using test_support::LoadHostileExpectations;

std::string Outcome(const Error& error) {
  return std::string(StageName(error.stage)) + "/" + std::string(ErrorCodeName(error.code));
}

TEST(HostileInputTest, EveryFileInTheCorpusHasAnExpectedOutcome) {
  const auto expectations = LoadHostileExpectations();
  std::set<std::string> files;
  for (const auto& entry : fs::directory_iterator(HostileCorpusDirectory())) {
    const std::string name = entry.path().filename().string();
    if (name != "README.md" && name != "expected.tsv") files.insert(name);
  }
  std::set<std::string> listed;
  for (const auto& [name, expectation] : expectations) listed.insert(name);
  EXPECT_EQ(files, listed);
  EXPECT_GE(files.size(), 20U);
}

TEST(HostileInputTest, EachFileIsRefusedAsExpectedOrBecomesACleanEvent) {
  auto classifier = test_support::BuildShippedClassifier();
  ASSERT_TRUE(classifier) << classifier.error().Describe();
  PipelineOptions options;
  options.classifier = *classifier;
  const Pipeline pipeline(options);
  for (const auto& [name, expectation] : LoadHostileExpectations()) {
    SCOPED_TRACE(name);
    const std::string bytes = test_support::ReadHostileFile(name);
    auto processed = pipeline.Process(test_helpers::FileItem(bytes, "/var/inbox/" + name),
                                      std::chrono::system_clock::now());
    // A whole-item refusal, or the error of its one article.
    std::optional<Error> error;
    if (!processed) {
      error = processed.error();
    } else {
      ASSERT_EQ(processed->size(), 1U);
      if (!processed->front()) error = processed->front().error();
    }
    if (expectation.outcome != "event") {
      ASSERT_TRUE(error.has_value()) << "published, expected " << expectation.outcome;
      EXPECT_EQ(Outcome(*error), expectation.outcome) << error->Describe();
      EXPECT_NE(error->message.find(expectation.text), std::string::npos) << error->Describe();
      continue;
    }
    ASSERT_FALSE(error.has_value()) << error->Describe();
    const OutboundEvent& event = *processed->front();
    EXPECT_NE(event.value.find(expectation.text), std::string::npos) << event.value;
    EXPECT_FALSE(FindInvalidUtf8(event.value).has_value());
    EXPECT_EQ(event.value.find("\\u0000"), std::string::npos);
    EXPECT_EQ(event.value.find("root:"), std::string::npos);
  }
}

// Many articles in one item: refused before any is normalized, so memory stays bounded by the
// item's size rather than by the events it would make.
TEST(HostileInputTest, AFeedOfAHundredThousandItemsIsRefusedWhole) {
  std::string feed = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Many</title>";
  for (int index = 0; index < 100000; ++index) {
    feed += "<item><title>Item " + std::to_string(index) + "</title><description>Body " +
            std::to_string(index) + "</description></item>";
  }
  feed += "</channel></rss>";
  const Pipeline pipeline(PipelineOptions{});
  auto processed = pipeline.Process(test_helpers::FileItem(feed), std::chrono::system_clock::now());
  ASSERT_FALSE(processed.has_value());
  EXPECT_EQ(Outcome(processed.error()), "decode/too_large");
  EXPECT_NE(processed.error().message.find("holds 100000 articles"), std::string::npos)
      << processed.error().Describe();
}

}  // namespace
}  // namespace newswire::pipeline
