#include "daemon/app/startup_check.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace newswire::app {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

const fs::path kShippedData = fs::path(NEWSWIRE_SOURCE_DIR) / "config";

// A scratch directory, removed at destruction.
class Scratch {
 public:
  Scratch() {
    std::string pattern = (fs::temp_directory_path() / "newswire-startup-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~Scratch() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  fs::path Write(const std::string& name, const std::string& content) const {
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << content;
    return file;
  }

 private:
  fs::path path_;
};

// `sections` (YAML lines for kafka:, classify:, ...) in front of a feed directory and a state
// directory under `scratch`, parsed as "test.yaml".
config::Config ConfigWith(const Scratch& scratch, const std::string& sections) {
  const std::string yaml =
      sections + fmt::format("sources:\n  directories:\n    - path: {}\ndaemon:\n  state_dir: {}\n",
                             (scratch.path() / "inbox").string(),
                             (scratch.path() / "state").string());
  auto loaded = config::ParseConfig(yaml, "test.yaml");
  if (!loaded) {
    ADD_FAILURE() << loaded.error().front().Describe() << "\n" << yaml;
    return {};
  }
  return *std::move(loaded);
}

std::vector<std::string> ProblemsOf(const config::Config& config) {
  auto prepared = PrepareStart(config);
  return prepared ? std::vector<std::string>{} : prepared.error();
}

TEST(StartupCheckTest, TheShippedDataAndWritableDirectoriesPass) {
  const Scratch scratch;
  auto prepared = PrepareStart(ConfigWith(scratch, "kafka:\n  brokers: embedded\n"));
  ASSERT_TRUE(prepared.has_value()) << ::testing::PrintToString(prepared.error());
  ASSERT_NE(prepared->classifier, nullptr);
  EXPECT_GT(prepared->classifier->taxonomy().size(), 1000u);
  // Nothing was created: check-config runs beside the daemon and changes nothing.
  EXPECT_FALSE(fs::exists(scratch.path() / "inbox"));
  EXPECT_FALSE(fs::exists(scratch.path() / "state"));
}

// A broken rules file and a broken gazetteer: both listed, each located in its file, so one
// check-config shows everything to fix.
TEST(StartupCheckTest, EveryProblemInTheClassifierDataIsListedWhereItIs) {
  const Scratch scratch;
  const fs::path data = scratch.path() / "data";
  fs::copy(kShippedData, data, fs::copy_options::recursive);
  scratch.Write("data/rules/topics/99-broken.yaml",
                "rules:\n  - id: broken\n    topic: medtop:99999999\n    any: [\"x\"]\n");
  scratch.Write("data/gazetteers/zz-broken.yaml", "entries:\n  - {id: x, type: alien}\n");
  const auto problems = ProblemsOf(ConfigWith(
      scratch, "kafka:\n  brokers: embedded\nclassify:\n  data_dir: " + data.string() + "\n"));
  EXPECT_THAT(problems, Contains(HasSubstr((data / "rules/topics/99-broken.yaml").string() + ":")));
  EXPECT_THAT(problems, Contains(HasSubstr((data / "gazetteers/zz-broken.yaml").string() + ":")));
}

TEST(StartupCheckTest, MissingDataDirectoryRoutesAndModelAreErrorsAtTheirKeys) {
  const Scratch scratch;
  const auto problems = ProblemsOf(ConfigWith(scratch,
                                              "kafka:\n"
                                              "  brokers: embedded\n"
                                              "classify:\n"
                                              "  data_dir: /nonexistent/newswire-data\n"
                                              "  routes_file: /nonexistent/routes.yaml\n"
                                              "  model_file: /nonexistent/topics.bin\n"));
  ASSERT_THAT(problems, SizeIs(3)) << ::testing::PrintToString(problems);
  EXPECT_THAT(problems[0],
              HasSubstr("test.yaml:4:13: classify.data_dir: /nonexistent/newswire-data "
                        "is not a directory"));
  EXPECT_THAT(problems[1], HasSubstr("test.yaml:5:16: classify.routes_file: cannot read "
                                     "/nonexistent/routes.yaml"));
  EXPECT_THAT(problems[2], HasSubstr("test.yaml:6:15: classify.model_file: cannot read "
                                     "/nonexistent/topics.bin"));
}

// librdkafka checks the properties as it would when making the clients: an unknown name, a bad
// value, and settings that only fail together (TLS with a CA file that is not there).
TEST(StartupCheckTest, LibrdkafkaSettingsAreCheckedWithoutAConnection) {
  const Scratch scratch;
  const std::string yaml = fmt::format(
      "kafka:\n"
      "  brokers: kafka-1.invalid:9092\n"
      "  properties:\n"
      "    no.such.property: x\n"
      "    linger.ms: soon\n"
      "sources:\n"
      "  kafka:\n"
      "    - topics: [news.raw]\n"
      "      properties:\n"
      "        security.protocol: ssl\n"
      "        ssl.ca.location: /nonexistent/ca.pem\n"
      "  directories:\n"
      "    - path: {}\n"
      "daemon:\n"
      "  state_dir: {}\n",
      (scratch.path() / "inbox").string(), (scratch.path() / "state").string());
  auto config = config::ParseConfig(yaml, "test.yaml");
  ASSERT_TRUE(config.has_value()) << config.error().front().Describe();
  const auto problems = ProblemsOf(*config);
  ASSERT_THAT(problems, SizeIs(3)) << ::testing::PrintToString(problems);
  // In the order they are written, as the loader's errors are.
  EXPECT_THAT(problems[0], HasSubstr("test.yaml:4:23: kafka.properties.no.such.property: "
                                     "librdkafka refuses no.such.property for the producer: No "
                                     "such configuration property"));
  EXPECT_THAT(problems[1], HasSubstr("test.yaml:5:16: kafka.properties.linger.ms: librdkafka "
                                     "refuses linger.ms for the producer"));
  EXPECT_THAT(problems[2], HasSubstr("test.yaml:10:9: sources.kafka[0].properties: librdkafka "
                                     "cannot make the consumer from these settings"));
  EXPECT_THAT(problems[2], HasSubstr("ssl.ca.location"));
}

// librdkafka quotes a refused value in its reason; a secret's never reaches the output.
TEST(StartupCheckTest, ARefusedSecretValueIsNotQuoted) {
  const Scratch scratch;
  const fs::path secret = scratch.Write("secret", "hunter2\n");
  const auto problems = ProblemsOf(
      ConfigWith(scratch, "kafka:\n  brokers: embedded\n  secret_files:\n    compression.type: " +
                              secret.string() + "\n"));
  ASSERT_THAT(problems, SizeIs(1)) << ::testing::PrintToString(problems);
  EXPECT_THAT(problems[0], HasSubstr("test.yaml:4:23: kafka.secret_files.compression.type: "
                                     "librdkafka refuses compression.type for the producer"));
  EXPECT_THAT(problems[0], HasSubstr("<redacted>"));
  EXPECT_THAT(problems[0], Not(HasSubstr("hunter2")));
}

TEST(StartupCheckTest, DirectoriesThatCannotBeCreatedAreErrorsAtTheirKeys) {
  const Scratch scratch;
  const fs::path file = scratch.Write("a-file", "not a directory\n");
  const std::string yaml = fmt::format(
      "kafka:\n"
      "  brokers: embedded\n"
      "  broker_file: {0}/broker\n"
      "sources:\n"
      "  directories:\n"
      "    - path: {1}\n"
      "      failed_dir: {0}/failed\n"
      "daemon:\n"
      "  state_dir: {0}/state\n",
      file.string(), (scratch.path() / "inbox").string());
  auto config = config::ParseConfig(yaml, "test.yaml");
  ASSERT_TRUE(config.has_value()) << config.error().front().Describe();
  const auto problems = ProblemsOf(*config);
  ASSERT_THAT(problems, SizeIs(3)) << ::testing::PrintToString(problems);
  const std::string not_a_directory = file.string() + " is not a directory";
  EXPECT_THAT(problems[0], HasSubstr("test.yaml:3:16: kafka.broker_file: cannot write"));
  EXPECT_THAT(problems[1],
              HasSubstr("test.yaml:7:19: sources.directories[0].failed_dir: cannot create"));
  EXPECT_THAT(problems[2], HasSubstr("test.yaml:9:14: daemon.state_dir: cannot create"));
  for (const std::string& problem : problems) EXPECT_THAT(problem, HasSubstr(not_a_directory));
}

}  // namespace
}  // namespace newswire::app
