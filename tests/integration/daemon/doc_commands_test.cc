// The command lines docs/cli.md and README.md show, run as written with the built binary as
// `newswire`, and the example event of docs/events.md against what `newswire process` prints.
//
// Every line of a shell code block (```sh, ```console `$ ` lines, and `newswire ...` lines of a
// plain block) is either run or skipped by a rule of kSkipRules that says why (a cluster, a
// running daemon, systemd, root). A line that is neither, because no rule covers its program or
// `newswire` command, fails the test: a new doc line is classified, never silently ignored.
// Each block runs in a fresh directory that links the source tree's top-level entries, so
// relative paths (config/demo.yaml, tests/data/articles) work and what a command writes
// (events.jsonl, var/) stays out of the tree; it also holds the inputs a doc only names
// (kSuppliedInputs). The exit code must be the documented one: what `$ echo $?` shows after the
// line, else 0.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/daemon/daemon_harness.h"

namespace newswire::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = NEWSWIRE_SOURCE_DIR;

// The documents whose command lines are run.
constexpr std::string_view kDocuments[] = {"README.md", "docs/cli.md"};

// Lines that cannot run here, and why: a line skips when it is `command` or starts with it and a
// blank. (Matched by hand: std::regex makes GCC 12 warn about its own internals at -O1.)
struct SkipRule {
  std::string_view command;
  std::string_view reason;
};
constexpr std::string_view kSynopsis = "a synopsis ([optional] parts), not a command line";
constexpr SkipRule kSkipRules[] = {
    {"newswire run",
     "the daemon: runs until stopped, against a cluster or with the demo's embedded broker in a "
     "session of its own"},
    {"newswire tail", "reads Kafka: needs a cluster, or the broker of a running demo daemon"},
    {"kill %1; newswire tail", "stops the session's daemon (job control), then reads Kafka"},
    {"cp tests/data/articles/*.txt var/inbox/",
     "feeds the feed directory of the daemon the same session started"},
    {"kcat", "reads the demo's Kafka broker"},
    {"systemctl", "needs systemd and an installed newswire.service"},
    {"deploy/demo.sh", "installs packages as root, builds, and runs the daemon"},
    {"deploy/install-deps.sh",
     "installs packages as root, then builds and runs every test (this one included)"},
    {"apt", "installs packages as root"},
    {"apt-get", "installs packages as root"},
    {"cpack", "builds a package"},
    {"cmake", "builds"},
};

// Programs run as they are, and the `newswire` commands that need no cluster.
const std::vector<std::string> kRunnablePrograms = {"newswire", "wc", "cat", "ls", "head"};
const std::vector<std::string> kRunnableNewswireCommands = {
    "process", "check-config", "config-reference", "version", "help",
    "--help",  "-h",           "evaluate",         "train"};

// Inputs the docs name but the source tree does not hold, made in each block's directory.
// labelled.tsv: articles of the six MasakhaNEWS classes (config/labels/masakhanews.yaml), written
// for this test. corpus/: the sample articles and one file that is not UTF-8, as docs/cli.md's
// progress example shows.
constexpr std::string_view kLabelledTsv =
    "category\theadline\ttext\n"
    "business\tShares fall as bank raises interest rates\tStock markets fell on Tuesday after "
    "the central bank raised interest rates again. Investors sold shares of banks and retailers.\n"
    "sports\tCity win the cup final on penalties\tThe football club won the cup final after a "
    "penalty shootout. The striker scored twice and the coach praised the fans in the stadium.\n"
    "health\tHospitals report more flu cases\tDoctors say hospitals are treating more patients "
    "with influenza this winter. The health ministry urged people to get vaccinated.\n"
    "politics\tParliament passes the election law\tLawmakers in parliament voted for the new "
    "election law on Monday. The opposition party said the government had ignored voters.\n"
    "technology\tNew chip doubles battery life of phones\tEngineers unveiled a processor that "
    "doubles the battery life of smartphones. The software company will bring it to computers.\n"
    "entertainment\tFilm festival opens with a new comedy\tThe film festival opened with the "
    "premiere of a comedy. Actors and the director walked the red carpet.\n";
const std::vector<std::string> kSuppliedInputs = {"labelled.tsv", "corpus/"};

void MakeSuppliedInputs(const fs::path& directory) {
  WriteFile(directory / "labelled.tsv", std::string(kLabelledTsv));
  fs::create_directories(directory / "corpus");
  fs::copy(kSourceDir / "tests/data/articles", directory / "corpus/2024-05-01",
           fs::copy_options::recursive);
  fs::create_directories(directory / "corpus/2024-05-02");
  WriteFile(directory / "corpus/2024-05-02/broken.txt",
            "Headline\n\xff"
            "ab");
}

// A directory to run a block's lines in: the source tree's top-level entries as links (but build/
// and the demo's var/, which commands write to), `newswire` on PATH, the supplied inputs.
class WorkDirectory {
 public:
  WorkDirectory() {
    for (const auto& entry : fs::directory_iterator(kSourceDir)) {
      const std::string name = entry.path().filename().string();
      if (name == "build" || name == "var" || name.starts_with(".")) continue;
      fs::create_symlink(entry.path(), temp_.path() / name);
    }
    fs::create_directories(bin());
    fs::create_symlink(NEWSWIRE_BINARY_PATH, bin() / "newswire");
    MakeSuppliedInputs(temp_.path());
  }
  const fs::path& path() const { return temp_.path(); }
  fs::path bin() const { return temp_.path() / ".doc-commands-bin"; }

 private:
  TempDir temp_;
};

struct ShellResult {
  int exit_code = -1;
  std::string output;  // stdout
  std::string errors;  // stderr
};

// `bash -o pipefail -c command` in `directory`, with `newswire` the built binary, no input, and
// at most 50 s.
ShellResult RunShell(const WorkDirectory& directory, const std::string& command) {
  const fs::path output_path = directory.bin() / "stdout";
  const fs::path errors_path = directory.bin() / "stderr";
  const pid_t pid = fork();
  if (pid == 0) {
    const int input = open("/dev/null", O_RDONLY);
    const int output = open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int errors = open(errors_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (input < 0 || output < 0 || errors < 0 || chdir(directory.path().c_str()) != 0) _exit(127);
    dup2(input, STDIN_FILENO);
    dup2(output, STDOUT_FILENO);
    dup2(errors, STDERR_FILENO);
    const char* inherited = std::getenv("PATH");
    const std::string path =
        directory.bin().string() + ":" + (inherited != nullptr ? inherited : "/usr/bin:/bin");
    setenv("PATH", path.c_str(), 1);
    execlp("timeout", "timeout", "--kill-after=5", "50", "bash", "-o", "pipefail", "-c",
           command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ShellResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.output = ReadFile(output_path);
  result.errors = ReadFile(errors_path);
  return result;
}

struct DocCommand {
  std::string where;  // file:line
  int block = 0;      // lines of one block share a directory, in order
  std::string command;
  int expected_exit_code = 0;
};

std::string Trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  const auto end = text.find_last_not_of(" \t");
  return std::string(text.substr(begin, end - begin + 1));
}

// Drops a shell comment: a `#` at the start or after a blank, outside quotes.
std::string WithoutComment(std::string_view line) {
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return Trim(line.substr(0, i));
    }
  }
  return Trim(line);
}

std::vector<DocCommand> CollectCommands(std::string_view document) {
  std::vector<DocCommand> commands;
  std::istringstream text(ReadFile(kSourceDir / document));
  std::string line;
  int number = 0;
  int block = 0;
  std::optional<std::string> language;  // set inside a code block
  bool after_echo_status = false;       // the previous console line was `$ echo $?`
  std::string continued;                // a sh line ending in a backslash, so far
  int continued_from = 0;
  const auto add = [&](int at, std::string command) {
    commands.push_back(
        {std::string(document) + ":" + std::to_string(at), block, std::move(command), 0});
  };
  while (std::getline(text, line)) {
    ++number;
    const std::string trimmed = Trim(line);
    if (trimmed.starts_with("```")) {
      if (language) {
        language.reset();
      } else {
        language = Trim(std::string_view(trimmed).substr(3));
        ++block;
      }
      after_echo_status = false;
      continue;
    }
    if (!language) continue;
    if (*language == "console") {
      if (trimmed.starts_with("$ ")) {
        const std::string command = Trim(std::string_view(trimmed).substr(2));
        after_echo_status = command == "echo $?";
        if (!after_echo_status) add(number, command);
      } else if (after_echo_status) {
        // The output of `echo $?`: the exit code of the command before it.
        EXPECT_FALSE(commands.empty()) << document << ":" << number;
        if (!commands.empty()) commands.back().expected_exit_code = std::stoi(trimmed);
        after_echo_status = false;
      }
    } else if (*language == "sh" || *language == "bash" || *language == "shell") {
      std::string command = WithoutComment(line);
      if (command.empty() && continued.empty()) continue;
      if (continued.empty()) continued_from = number;
      if (command.ends_with("\\")) {
        continued += command.substr(0, command.size() - 1) + " ";
        continue;
      }
      add(continued_from, continued + command);
      continued.clear();
    } else if ((language->empty() || *language == "text") && trimmed.starts_with("newswire ")) {
      add(number, trimmed);
    }
  }
  return commands;
}

std::vector<std::string> Words(const std::string& command) {
  std::istringstream stream(command);
  std::vector<std::string> words;
  for (std::string word; stream >> word;) words.push_back(word);
  return words;
}

std::optional<std::string_view> SkipReason(const std::string& command) {
  const std::vector<std::string> words = Words(command);
  if (words.size() > 2 && words[0] == "newswire" && words[2].starts_with("[")) return kSynopsis;
  for (const SkipRule& rule : kSkipRules) {
    if (command == rule.command ||
        (command.starts_with(rule.command) && command[rule.command.size()] == ' ')) {
      return rule.reason;
    }
  }
  return std::nullopt;
}

bool Runnable(const std::string& command) {
  const std::vector<std::string> words = Words(command);
  const std::string program = words.empty() ? "" : words[0];
  const std::string subcommand = words.size() > 1 ? words[1] : "";
  if (std::find(kRunnablePrograms.begin(), kRunnablePrograms.end(), program) ==
      kRunnablePrograms.end()) {
    return false;
  }
  // A shell operator after the program would hide a second command from this check.
  if (command.find_first_of(";&|`") != std::string::npos ||
      command.find("$(") != std::string::npos) {
    return false;
  }
  return program != "newswire" ||
         std::find(kRunnableNewswireCommands.begin(), kRunnableNewswireCommands.end(),
                   subcommand) != kRunnableNewswireCommands.end();
}

TEST(DocCommandsTest, EveryCommandLineRunsAsDocumentedOrIsSkippedWithAReason) {
  int ran = 0;
  std::map<std::string_view, int> skipped_by_reason;
  std::vector<std::string> unclassified;
  std::ostringstream report;
  for (std::string_view document : kDocuments) {
    const std::vector<DocCommand> commands = CollectCommands(document);
    EXPECT_FALSE(commands.empty()) << document << " shows no command line: is the parser broken?";
    std::optional<WorkDirectory> directory;
    int directory_block = -1;
    for (const DocCommand& command : commands) {
      if (const auto reason = SkipReason(command.command)) {
        report << "  skipped  " << command.where << "  " << command.command << "\n"
               << "           (" << *reason << ")\n";
        ++skipped_by_reason[*reason];
        continue;
      }
      if (!Runnable(command.command)) {
        unclassified.push_back(command.where + "  " + command.command);
        continue;
      }
      if (command.block != directory_block) {
        directory.emplace();
        directory_block = command.block;
      }
      const ShellResult result = RunShell(*directory, command.command);
      ++ran;
      std::string inputs;
      for (const std::string& input : kSuppliedInputs) {
        if (command.command.find(input) != std::string::npos) inputs += " " + input;
      }
      report << "  ran      " << command.where << "  " << command.command << "  -> exit "
             << result.exit_code << (inputs.empty() ? "" : "  (supplied:" + inputs + ")") << "\n";
      EXPECT_EQ(result.exit_code, command.expected_exit_code)
          << command.where << ": " << command.command << "\nstderr:\n"
          << result.errors.substr(0, 4000);
    }
  }
  std::cout << "doc command lines: " << ran << " ran, " <<
      [&] {
        int skipped = 0;
        for (const auto& [reason, count] : skipped_by_reason) skipped += count;
        return skipped;
      }() << " skipped, "
            << unclassified.size() << " unclassified\n"
            << report.str();
  EXPECT_GT(ran, 0);
  for (const std::string& line : unclassified) {
    ADD_FAILURE() << "a doc command line that is neither run nor skipped: " << line
                  << "\n(add its program or newswire command to kRunnablePrograms or "
                     "kRunnableNewswireCommands, or a rule with its reason to kSkipRules)";
  }
}

// The text of the code block that follows the first line starting with `marker` after `from`.
std::string BlockAfter(const std::string& document, const std::string& marker,
                       std::size_t from = 0) {
  const std::size_t marker_at = document.find(marker, from);
  EXPECT_NE(marker_at, std::string::npos) << marker;
  if (marker_at == std::string::npos) return "";
  const std::size_t fence = document.find("```", marker_at);
  const std::size_t begin = document.find('\n', fence) + 1;
  const std::size_t end = document.find("\n```", begin);
  return document.substr(begin, end - begin);
}

rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  EXPECT_FALSE(document.HasParseError()) << text.substr(0, 200);
  return document;
}

// RFC 3339 UTC with milliseconds: 2024-05-01T12:34:56.789Z.
bool IsEventTime(const std::string& text) {
  constexpr std::string_view kForm = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (text.size() != kForm.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = std::isdigit(static_cast<unsigned char>(text[i])) != 0;
    if (kForm[i] == 'd' ? !digit : text[i] != kForm[i]) return false;
  }
  return true;
}

// newswire://HOST/sources/inbox, whatever the host (daemon.source_uri's default names it).
bool IsInboxSource(std::string_view text) {
  constexpr std::string_view kScheme = "newswire://";
  constexpr std::string_view kPath = "/sources/inbox";
  if (!text.starts_with(kScheme) || !text.ends_with(kPath)) return false;
  const std::string_view host =
      text.substr(kScheme.size(), text.size() - kScheme.size() - kPath.size());
  return !host.empty() && host.find('/') == std::string_view::npos;
}

// docs/events.md shows what `newswire process` prints for sample 000, trimmed as its note says.
TEST(DocCommandsTest, TheEventsExampleIsWhatProcessPrints) {
  const std::string events_md = ReadFile(kSourceDir / "docs/events.md");
  const std::size_t example = events_md.find("\n## Example\n");
  ASSERT_NE(example, std::string::npos);
  const std::string command = BlockAfter(events_md, "```sh", example);
  ASSERT_TRUE(command.starts_with("newswire process ")) << command;
  const WorkDirectory directory;
  const ShellResult result = RunShell(directory, command);
  ASSERT_EQ(result.exit_code, 0) << command << "\n" << result.errors;
  const std::string line = result.output.substr(0, result.output.find('\n'));
  const rapidjson::Document printed = ParseJson(line);
  ASSERT_TRUE(printed.IsObject());
  const auto& headers = printed["headers"];
  const auto& value = printed["value"];
  const std::string regenerate = " (docs/events.md's example is out of date)";

  EXPECT_EQ(BlockAfter(events_md, "Key:", example), printed["key"].GetString()) << regenerate;

  // Headers in order; ce_time is when it ran and ce_source names the host it ran on.
  std::istringstream documented_headers(BlockAfter(events_md, "Headers:", example));
  std::map<std::string, std::string> documented;
  std::string header_line;
  auto header = headers.MemberBegin();
  while (std::getline(documented_headers, header_line)) {
    const std::size_t colon = header_line.find(": ");
    ASSERT_NE(colon, std::string::npos) << header_line;
    const std::string name = header_line.substr(0, colon);
    const std::string text = header_line.substr(colon + 2);
    documented[name] = text;
    ASSERT_NE(header, headers.MemberEnd()) << "docs/events.md shows more headers" << regenerate;
    EXPECT_EQ(name, header->name.GetString()) << regenerate;
    if (name == "ce_time") {
      EXPECT_TRUE(IsEventTime(text)) << text;
    } else if (name == "ce_source") {
      EXPECT_TRUE(IsInboxSource(text)) << text;
      EXPECT_TRUE(IsInboxSource(header->value.GetString())) << header->value.GetString();
    } else {
      EXPECT_EQ(text, header->value.GetString()) << name << regenerate;
    }
    ++header;
  }
  EXPECT_EQ(header, headers.MemberEnd()) << "docs/events.md leaves out headers" << regenerate;

  // The value: every field, in order, as printed; topics and entities cut as the note says.
  const rapidjson::Document shown = ParseJson(BlockAfter(events_md, "Value (indented", example));
  ASSERT_TRUE(shown.IsObject());
  // "**Trimmed:** `topics` shows the first 2 of its 9 tags and `entities` the first 5 of its 12;"
  const std::size_t note = events_md.find("**Trimmed:**", example);
  ASSERT_NE(note, std::string::npos) << "the note on what the example leaves out";
  std::array<unsigned, 4> counts{};
  ASSERT_EQ(std::sscanf(events_md.c_str() + note,
                        "**Trimmed:** `topics` shows the first %u of its %u tags and `entities` "
                        "the first %u of its %u",
                        &counts[0], &counts[1], &counts[2], &counts[3]),
            4)
      << events_md.substr(note, 120);
  EXPECT_EQ(counts[0], shown["topics"].Size());
  EXPECT_EQ(counts[1], value["topics"].Size()) << regenerate;
  EXPECT_EQ(counts[2], shown["entities"].Size());
  EXPECT_EQ(counts[3], value["entities"].Size()) << regenerate;
  auto field = shown.MemberBegin();
  for (auto member = value.MemberBegin(); member != value.MemberEnd(); ++member, ++field) {
    const std::string name = member->name.GetString();
    ASSERT_NE(field, shown.MemberEnd()) << "docs/events.md leaves out " << name << regenerate;
    ASSERT_EQ(name, field->name.GetString()) << regenerate;
    if (name == "topics" || name == "entities") {
      ASSERT_LE(field->value.Size(), member->value.Size()) << name;
      for (rapidjson::SizeType i = 0; i < field->value.Size(); ++i) {
        EXPECT_TRUE(field->value[i] == member->value[i]) << name << "[" << i << "]" << regenerate;
      }
    } else {
      EXPECT_TRUE(field->value == member->value) << name << regenerate;
    }
  }
  EXPECT_EQ(field, shown.MemberEnd()) << "docs/events.md shows a field the encoder does not write";

  // The JSON line, cut after the id, with the documented time and source.
  std::string expected_line = line.substr(0, line.find(",\"format\"")) + ", ...}}";
  for (const char* name : {"ce_time", "ce_source"}) {
    const std::string printed_value = std::string("\"") + headers[name].GetString() + "\"";
    expected_line.replace(expected_line.find(printed_value), printed_value.size(),
                          "\"" + documented[name] + "\"");
  }
  EXPECT_EQ(BlockAfter(events_md, "`newswire process` prints each event as one JSON line", example),
            expected_line);
  if (HasFailure()) {
    std::cout << "regenerate the example in docs/events.md (see its note) from what `" << command
              << "` printed:\n"
              << line << "\n";
  }
}

}  // namespace
}  // namespace newswire::testing
