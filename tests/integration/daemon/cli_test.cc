// The command line of the real binary: help, version, check-config, process (files, stdin and
// directories, with progress), and the systemd unit.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/daemon/daemon_harness.h"

namespace newswire::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = NEWSWIRE_SOURCE_DIR;

TEST(CliTest, HelpExplainsEveryCommand) {
  auto result = RunNewswire({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* command :
       {"run", "check-config", "process", "tail", "version", "config-reference"}) {
    EXPECT_NE(result.output.find(std::string("newswire ") + command), std::string::npos) << command;
  }
  EXPECT_NE(result.output.find("78"), std::string::npos);  // exit codes are explained
}

TEST(CliTest, UnknownCommandIsAUsageError) {
  auto result = RunNewswire({"frobnicate"});
  EXPECT_EQ(result.exit_code, 64);
  EXPECT_NE(result.output.find("unknown command 'frobnicate'"), std::string::npos);
}

TEST(CliTest, VersionNamesTheLibraries) {
  auto result = RunNewswire({"version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.output.find("newswire 0."), std::string::npos);
  EXPECT_NE(result.output.find("librdkafka"), std::string::npos);
}

TEST(CliTest, InvalidConfigExits78ListingEveryErrorWithLineAndColumn) {
  TempDir temp;
  fs::path config = temp.path() / "bad.yaml";
  WriteFile(config,
            "kafka:\n"
            "  brokers: embedded\n"
            "  compresion: zstd\n"
            "  message_timeout_ms: soon\n"
            "sources:\n"
            "  directories:\n"
            "    - path: /tmp/newswire-inbox\n"
            "log:\n"
            "  level: loud\n");
  for (const char* command : {"run", "check-config"}) {
    auto result = RunNewswire({command, "-c", config.string()});
    EXPECT_EQ(result.exit_code, 78) << command << "\n" << result.output;
    EXPECT_NE(result.output.find(config.string() + ":3:3:"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("compression"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find(config.string() + ":4:23:"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find(config.string() + ":9:10:"), std::string::npos) << result.output;
  }
}

TEST(CliTest, MissingConfigExits78) {
  auto result = RunNewswire({"check-config", "-c", "/nonexistent/newswire.yaml"});
  EXPECT_EQ(result.exit_code, 78);
  EXPECT_NE(result.output.find("/nonexistent/newswire.yaml"), std::string::npos);
}

TEST(CliTest, CheckConfigPrintsTheEffectiveConfig) {
  auto result = RunNewswire({"check-config", "-c", (kSourceDir / "config/demo.yaml").string()});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("news.articles.tagged"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("message_timeout_ms"), std::string::npos) << result.output;
}

TEST(CliTest, ProcessPrintsOneJsonLinePerArticle) {
  fs::path sample = kSourceDir / "tests/data/articles/000_9293d10b977f5a8b.txt";
  auto result = RunNewswire({"process", sample.string()});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  rapidjson::Document line;
  line.Parse(result.output.data(), result.output.size());
  ASSERT_FALSE(line.HasParseError()) << result.output;
  ASSERT_TRUE(line.HasMember("key"));
  ASSERT_TRUE(line["value"].IsObject());
  EXPECT_EQ(std::string(line["value"]["title"].GetString()),
            "Russia's Diminishing Support for Venezuela Amid Ukraine Conflict");
  EXPECT_EQ(std::string(line["value"]["id"].GetString()), line["key"].GetString());
  EXPECT_EQ(std::string(line["headers"]["ce_id"].GetString()),
            line["value"]["fingerprints"]["revision"].GetString());
}

// Train and evaluate end to end on a small labelled set written by the test (the MasakhaNEWS
// figures are the eval-labelled ctests, which need ../shared/data): the model is written,
// starts from the given word vectors, and classifies its own training articles.
TEST(CliTest, TrainWritesAModelThatEvaluateMeasures) {
  TempDir directory;
  const std::vector<std::pair<std::string, std::vector<std::string>>> classes = {
      {"sport", {"football", "striker", "league", "goal", "coach", "stadium"}},
      {"business", {"shares", "market", "inflation", "profit", "investors", "bank"}},
  };
  std::string tsv = "category\theadline\ttext\n";
  for (int round = 0; round < 20; ++round) {
    for (const auto& [name, words] : classes) {
      std::string text;
      for (std::size_t index = 0; index < 8; ++index) {
        text += words[(static_cast<std::size_t>(round) + index) % words.size()] + " and the ";
      }
      tsv += name + "\t" + words[static_cast<std::size_t>(round) % words.size()] + " news\t" +
             text + "\n";
    }
  }
  const fs::path input = directory.path() / "labelled.tsv";
  WriteFile(input, tsv);
  const fs::path labels = directory.path() / "labels.yaml";
  WriteFile(labels, "labels:\n  sport: medtop:15000000\n  business: medtop:04000000\n");
  const fs::path vectors = directory.path() / "vectors.vec";
  WriteFile(vectors, "2 4\nfootball 0.5 -0.5 0.25 0\nmarket -0.5 0.5 0 0.25\n");
  const fs::path model = directory.path() / "model.bin";

  auto trained =
      RunNewswire({"train", "--input", input.string(), "--labels", labels.string(), "--output",
                   model.string(), "--epochs", "20", "--pretrained-vectors", vectors.string()});
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  EXPECT_NE(trained.output.find("40 examples"), std::string::npos) << trained.output;
  EXPECT_NE(trained.output.find("started from the word vectors in " + vectors.string()),
            std::string::npos)
      << trained.output;
  ASSERT_TRUE(fs::exists(model));

  auto evaluated =
      RunNewswire({"evaluate", "--input", input.string(), "--labels", labels.string(), "--model",
                   model.string(), "--classifier", "model", "--min-macro-f1", "0.95"});
  EXPECT_EQ(evaluated.exit_code, 0) << evaluated.output;
  EXPECT_NE(evaluated.output.find("macro-F1 1.0000"), std::string::npos) << evaluated.output;

  auto bad_vectors =
      RunNewswire({"train", "--input", input.string(), "--labels", labels.string(), "--output",
                   model.string(), "--pretrained-vectors", input.string()});
  EXPECT_EQ(bad_vectors.exit_code, 70) << bad_vectors.output;
  EXPECT_NE(bad_vectors.output.find("is not a fastText .vec file"), std::string::npos)
      << bad_vectors.output;
}

// What a user sees for each sample: the cleaned article with its metadata, one line each.
TEST(CliTest, ProcessShowsTheCleanArticleOfEverySample) {
  std::size_t samples = 0;
  for (const auto& entry : fs::directory_iterator(kSourceDir / "tests/data/articles")) {
    SCOPED_TRACE(entry.path().filename().string());
    ++samples;
    auto result = RunNewswire({"process", entry.path().string()});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1);
    rapidjson::Document line;
    line.Parse(result.output.data(), result.output.size());
    ASSERT_FALSE(line.HasParseError()) << result.output;
    const rapidjson::Value& value = line["value"];
    EXPECT_EQ(std::string(value["format"].GetString()), "text");
    EXPECT_EQ(std::string(value["language"].GetString()), "en");
    EXPECT_GT(value["stats"]["words"].GetUint64(), 200U);
    const std::string body = value["body"].GetString();
    for (const char* furniture : {"@context", "Leave a Comment", "Full Transcript"}) {
      EXPECT_EQ(body.find(furniture), std::string::npos) << furniture;
    }
    if (entry.path().filename().string().starts_with("004")) {
      EXPECT_EQ(std::string(value["published_time"].GetString()), "2024-02-29T10:06:26Z");
      EXPECT_EQ(std::string(value["publisher"].GetString()), "Archyworldys");
      EXPECT_EQ(std::string(value["authors"][0]["name"].GetString()), "Archyworldys Staff");
    }
  }
  EXPECT_EQ(samples, 5U);
}

TEST(CliTest, ProcessReadsStandardInputAndRejectsBadInputWith65) {
  auto good = RunNewswire({"process"}, "Headline from stdin\nBody.\n");
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_NE(good.output.find("Headline from stdin"), std::string::npos);
  auto bad = RunNewswire({"process", "-"}, "Headline\n\xff\xfe\n");
  EXPECT_EQ(bad.exit_code, 65) << bad.output;
  EXPECT_NE(bad.output.find("decode/invalid_utf8"), std::string::npos) << bad.output;
}

// A feed-like tree: what `process DIR` must read, and what it must leave alone as the directory
// source does (dotfiles and hidden directories, names being written, symlinks).
fs::path WriteTree(const fs::path& root) {
  const fs::path tree = root / "feed";
  fs::create_directories(tree / "b-sub" / "deeper");
  fs::create_directories(tree / ".hidden-dir");
  WriteFile(tree / "c.txt", "Headline C\nBody of C.\n");
  WriteFile(tree / "a.txt", "Headline A\nBody of A.\n");
  WriteFile(tree / "b-sub" / "deeper" / "b.txt", "Headline B\nBody of B.\n");
  WriteFile(tree / ".dotfile.txt", "Hidden headline\nBody.\n");
  WriteFile(tree / "d.txt.part", "Partial headline\nBody.\n");
  WriteFile(tree / "e.tmp", "Temporary headline\nBody.\n");
  WriteFile(tree / ".hidden-dir" / "f.txt", "Hidden dir headline\nBody.\n");
  fs::create_symlink(tree / "a.txt", tree / "link.txt");
  return tree;
}

std::vector<std::string> JsonLines(const std::string& output) {
  std::vector<std::string> lines;
  std::istringstream stream(output);
  for (std::string line; std::getline(stream, line);) {
    if (line.starts_with("{")) lines.push_back(line);
  }
  return lines;
}

std::string TitleOf(const std::string& json_line) {
  rapidjson::Document line;
  line.Parse(json_line.data(), json_line.size());
  if (line.HasParseError()) return "(not JSON) " + json_line;
  return line["value"]["title"].GetString();
}

TEST(CliTest, ProcessReadsADirectoryRecursivelyInPathOrderSkippingIgnoredNames) {
  TempDir temp;
  const fs::path tree = WriteTree(temp.path());
  auto result = RunNewswire({"process", tree.string()});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto lines = JsonLines(result.output);
  ASSERT_EQ(lines.size(), 3U) << result.output;
  // Sorted by path: feed/a.txt, feed/b-sub/deeper/b.txt, feed/c.txt.
  EXPECT_EQ(TitleOf(lines[0]), "Headline A");
  EXPECT_EQ(TitleOf(lines[1]), "Headline B");
  EXPECT_EQ(TitleOf(lines[2]), "Headline C");
  // Not a terminal: no bar, and a run this short gets only the summary.
  EXPECT_EQ(result.output.find('\r'), std::string::npos);
  EXPECT_NE(result.output.find("\nprocess: 3 files in "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(" files/s), 3 articles, 0 failed\n"), std::string::npos)
      << result.output;
}

TEST(CliTest, ProcessQuietLeavesOnlyTheEvents) {
  TempDir temp;
  const fs::path tree = WriteTree(temp.path());
  auto result = RunNewswire({"process", "--quiet", tree.string(), (tree / "c.txt").string()});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(JsonLines(result.output).size(), 4U) << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 4) << result.output;
}

TEST(CliTest, ProcessCountsRejectedFilesOfADirectoryAndExits65) {
  TempDir temp;
  const fs::path tree = temp.path() / "feed";
  fs::create_directories(tree);
  WriteFile(tree / "1-good.txt", "Good headline\nBody.\n");
  WriteFile(tree / "2-bad.txt", "Headline\n\xff\xfe\n");
  WriteFile(tree / "3-good.txt", "Another good headline\nBody.\n");
  auto result = RunNewswire({"process", tree.string()});
  EXPECT_EQ(result.exit_code, 65) << result.output;
  EXPECT_EQ(JsonLines(result.output).size(), 2U) << result.output;
  EXPECT_NE(result.output.find((tree / "2-bad.txt").string() + ": decode/invalid_utf8"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("process: 3 files in "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(" files/s), 2 articles, 1 failed\n"), std::string::npos)
      << result.output;
}

// A config with a feed directory and a Kafka source that read differently from the defaults.
fs::path SourcesConfig(const fs::path& root) {
  const fs::path config = root / "newswire.yaml";
  WriteFile(config,
            "kafka:\n"
            "  brokers: embedded\n"
            "sources:\n"
            "  directories:\n"
            "    - path: " +
                (root / "inbox").string() +
                "\n"
                "      name: partner\n"
                "      include: [\"*.json\"]\n"
                "      max_file_bytes: 1KiB\n"
                "      json_fields: {title: [headline2], body: [content2]}\n"
                "    - path: " +
                (root / "edge").string() +
                "\n"
                "      name: edge\n"
                "      pipeline: forward\n"
                "  kafka:\n"
                "    - topics: [news.raw.html]\n"
                "      name: pages\n"
                "      format: html\n");
  return config;
}

// --source shows what the daemon would publish for that source: its JSON fields, its include
// globs on a directory's files, its size limit (refused unread, as the source refuses it), and
// its name in the event.
TEST(CliTest, ProcessWithASourceAppliesThatFeedDirectorysSettings) {
  TempDir temp;
  const fs::path config = SourcesConfig(temp.path());
  const fs::path files = temp.path() / "files";
  fs::create_directories(files);
  WriteFile(files / "a.json",
            R"({"headline2": "Partner headline", "content2": "Partner body text."})");
  WriteFile(files / "b.txt", "Not included\nBody.\n");
  const std::string too_big =
      R"({"headline2": "Too big", "content2": ")" + std::string(2000, 'x') + "\"}";
  WriteFile(files / "c.json", too_big);
  const CommandResult result =
      RunNewswire({"process", "-c", config.string(), "--source", "partner", files.string()});
  EXPECT_EQ(result.exit_code, 65) << result.output;
  const auto lines = JsonLines(result.output);
  ASSERT_EQ(lines.size(), 1U) << result.output;
  EXPECT_EQ(TitleOf(lines[0]), "Partner headline");
  rapidjson::Document event;
  event.Parse(lines[0].data(), lines[0].size());
  EXPECT_EQ(std::string(event["value"]["source"]["name"].GetString()), "partner");
  EXPECT_NE(result.output.find((files / "c.json").string() + ": source/too_large: is " +
                               std::to_string(too_big.size()) +
                               " bytes, over max_file_bytes (1024); not read"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find("Not included"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("no --source"), std::string::npos) << result.output;

  // Without --source: the defaults, said so; the JSON file's custom fields are not found.
  const CommandResult defaults =
      RunNewswire({"process", "-c", config.string(), (files / "a.json").string()});
  EXPECT_NE(defaults.output.find("process: no --source, so the defaults of a source"),
            std::string::npos)
      << defaults.output;
  EXPECT_NE(defaults.output.find("(--source NAME applies one of " + config.string() +
                                 ": partner, edge, pages)"),
            std::string::npos)
      << defaults.output;
}

TEST(CliTest, ProcessWithAKafkaSourceUsesItsFormatAndAForwardSourceForwards) {
  TempDir temp;
  const fs::path config = SourcesConfig(temp.path());
  // HTML without a doctype or <html>, which the sniffer would not take for a page.
  const fs::path page = temp.path() / "page.txt";
  WriteFile(page,
            "<h1>Page headline</h1><p>The first paragraph of the page body, long enough "
            "to be kept as the article text by the extractor.</p>");
  const CommandResult html =
      RunNewswire({"process", "-c", config.string(), "--source", "pages", page.string()});
  ASSERT_EQ(html.exit_code, 0) << html.output;
  const auto lines = JsonLines(html.output);
  ASSERT_EQ(lines.size(), 1U) << html.output;
  EXPECT_EQ(TitleOf(lines[0]), "Page headline");

  const CommandResult forwarded =
      RunNewswire({"process", "-c", config.string(), "--source", "edge", page.string()});
  ASSERT_EQ(forwarded.exit_code, 0) << forwarded.output;
  EXPECT_NE(forwarded.output.find(R"("channel":"forward")"), std::string::npos) << forwarded.output;
  EXPECT_NE(forwarded.output.find("news.articles.raw"), std::string::npos) << forwarded.output;

  const CommandResult unknown =
      RunNewswire({"process", "-c", config.string(), "--source", "nope", page.string()});
  EXPECT_EQ(unknown.exit_code, 64) << unknown.output;
  EXPECT_NE(unknown.output.find("has no source named 'nope'; its sources: partner, edge, pages"),
            std::string::npos)
      << unknown.output;
  EXPECT_EQ(RunNewswire({"process", "--source", "pages", page.string()}).exit_code, 64);
}

TEST(CliTest, ProcessOfAnEmptyDirectorySaysSo) {
  TempDir temp;
  auto result = RunNewswire({"process", temp.path().string()});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, temp.path().string() + ": no files to process\n");
}

// On a terminal, stderr gets a bar redrawn with '\r' and the summary, stdout still the events.
TEST(CliTest, ProcessDrawsAProgressBarWhenStderrIsATerminal) {
  TempDir temp;
  const fs::path tree = WriteTree(temp.path());
  const fs::path events = temp.path() / "events.jsonl";
  const int terminal = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(terminal, 0);
  ASSERT_EQ(grantpt(terminal), 0);
  ASSERT_EQ(unlockpt(terminal), 0);
  const std::string terminal_name = ptsname(terminal);
  const pid_t pid = fork();
  if (pid == 0) {
    const int input = open("/dev/null", O_RDONLY);
    const int output = open(events.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int error = open(terminal_name.c_str(), O_WRONLY | O_NOCTTY);
    dup2(input, STDIN_FILENO);
    dup2(output, STDOUT_FILENO);
    dup2(error, STDERR_FILENO);
    std::string binary = NEWSWIRE_BINARY_PATH;
    std::vector<std::string> arguments = {"process", tree.string()};
    std::vector<char*> argv = {binary.data(), arguments[0].data(), arguments[1].data(), nullptr};
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  // Read while it runs: a terminal holds only so much unread output.
  std::string screen;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd readable{terminal, POLLIN, 0};
    if (poll(&readable, 1, 100) > 0 && (readable.revents & POLLIN) != 0) {
      char buffer[4096];
      const ssize_t got = read(terminal, buffer, sizeof(buffer));
      if (got > 0) screen.append(buffer, static_cast<std::size_t>(got));
      continue;
    }
    if (waitpid(pid, &status, WNOHANG) == pid) break;
  }
  close(terminal);
  ASSERT_TRUE(WIFEXITED(status)) << screen;
  EXPECT_EQ(WEXITSTATUS(status), 0) << screen;
  EXPECT_EQ(JsonLines(ReadFile(events)).size(), 3U);
  // The terminal turns "\n" into "\r\n" on output.
  EXPECT_NE(screen.find("\r[####################] 3/3 files  "), std::string::npos) << screen;
  EXPECT_NE(screen.find("\r\nprocess: 3 files in "), std::string::npos) << screen;
  EXPECT_NE(screen.find("\r[#"), std::string::npos) << screen;
}

TEST(CliTest, SystemdUnitVerifiesCleanly) {
  if (std::system("command -v systemd-analyze >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "systemd-analyze is not installed";
  }
  TempDir temp;
  // The unit names /usr/bin/newswire; verify it against the binary just built.
  std::string unit = ReadFile(kSourceDir / "deploy/newswire.service");
  for (std::size_t at = unit.find("/usr/bin/newswire"); at != std::string::npos;
       at = unit.find("/usr/bin/newswire", at)) {
    unit.replace(at, 17, NEWSWIRE_BINARY_PATH);
    at += std::string(NEWSWIRE_BINARY_PATH).size();
  }
  fs::path unit_path = temp.path() / "newswire.service";
  WriteFile(unit_path, unit);
  std::string command = "systemd-analyze verify " + unit_path.string() + " 2>&1";
  std::FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  int status = pclose(pipe);
  // systemd-analyze exits 0 on unknown keys and only warns: any output is a failure.
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "");
  EXPECT_NE(unit.find("Type=notify"), std::string::npos);
  EXPECT_NE(unit.find("DynamicUser=yes"), std::string::npos);
  EXPECT_NE(unit.find("ProtectSystem=strict"), std::string::npos);
  EXPECT_NE(unit.find("WatchdogSec="), std::string::npos);
}

}  // namespace
}  // namespace newswire::testing
