#include "daemon/pipeline/classify/taxonomy.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <tuple>
#include <utility>

namespace newswire::pipeline {
namespace {

constexpr std::string_view kCodePrefix = "medtop:";
constexpr std::size_t kCodeDigits = 8;
constexpr std::string_view kRetiredMarker = "retired";
// Editors on Windows may put one in front of a UTF-8 file; it is not part of the first line.
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

enum Column : std::size_t {
  kCodeColumn,
  kParentColumn,
  kRetiredColumn,
  kLabelColumn,
  kWikidataColumn,
  kColumnCount,
};

bool IsDigit(char character) { return character >= '0' && character <= '9'; }

// The eight digits of a code read as a number; nullopt unless `digits` is exactly eight digits.
std::optional<std::uint32_t> DigitsNumber(std::string_view digits) {
  if (digits.size() != kCodeDigits) return std::nullopt;
  std::uint32_t number = 0;
  for (const char digit : digits) {
    if (!IsDigit(digit)) return std::nullopt;
    number = number * 10 + static_cast<std::uint32_t>(digit - '0');
  }
  return number;
}

// The file always spells a code out in full, so the bare form Find accepts is an error here.
bool IsFullCode(std::string_view code) {
  return code.starts_with(kCodePrefix) && DigitsNumber(code.substr(kCodePrefix.size()));
}

bool IsWikidataId(std::string_view id) {
  return id.size() >= 2 && id[0] == 'Q' && id[1] != '0' &&
         std::all_of(id.begin() + 1, id.end(), IsDigit);
}

bool IsBlank(std::string_view text) { return text.find_first_not_of(" \t") == text.npos; }

struct Problem {
  std::size_t line = 0;
  std::size_t column = 0;
  std::string message;
};

// Where a row came from, for the checks that can only run once every line has been read.
struct RowPlace {
  std::size_t line = 0;
  // Column of a well-formed, non-empty parent; 0 when there is nothing left to check.
  std::size_t parent_column = 0;
};

// The columns of one line and the 1-based byte column where each starts.
struct SplitLine {
  std::vector<std::string_view> columns;
  std::vector<std::size_t> starts;
};

SplitLine SplitAtTabs(std::string_view line) {
  SplitLine split;
  std::size_t start = 0;
  while (true) {
    const std::size_t tab = line.find('\t', start);
    split.columns.push_back(line.substr(start, tab == line.npos ? line.npos : tab - start));
    split.starts.push_back(start + 1);
    if (tab == line.npos) return split;
    start = tab + 1;
  }
}

std::string Describe(const std::vector<Problem>& problems, std::string_view file_name) {
  std::string text;
  for (const Problem& problem : problems) {
    if (!text.empty()) text += '\n';
    text += fmt::format("{}:{}:{}: {}", file_name, problem.line, problem.column, problem.message);
  }
  return text;
}

}  // namespace

Result<Taxonomy> Taxonomy::Parse(std::string_view tsv, std::string_view file_name) {
  Taxonomy taxonomy;
  std::vector<Problem> problems;
  // places[i] says where taxonomy.topics_[i] was defined.
  std::vector<RowPlace> places;

  if (tsv.starts_with(kByteOrderMark)) tsv.remove_prefix(kByteOrderMark.size());
  std::size_t line_number = 0;
  while (!tsv.empty()) {
    const std::size_t newline = tsv.find('\n');
    std::string_view line = tsv.substr(0, newline);
    tsv.remove_prefix(newline == tsv.npos ? tsv.size() : newline + 1);
    ++line_number;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (IsBlank(line) || line.starts_with('#')) continue;

    const SplitLine split = SplitAtTabs(line);
    const auto report = [&](std::size_t column, std::string message) {
      problems.push_back(Problem{line_number, column, std::move(message)});
    };
    const std::string_view code = split.columns[kCodeColumn];
    const bool code_is_valid = IsFullCode(code);
    if (!code_is_valid) {
      report(1, fmt::format(R"(code "{}" is not "medtop:" followed by 8 digits)", code));
    }

    MediaTopic topic;
    RowPlace place{line_number, 0};
    if (split.columns.size() != kColumnCount) {
      // Too many: point at the first extra column. Too few: point just past the line's end,
      // where the next column was expected.
      const std::size_t column =
          split.columns.size() > kColumnCount ? split.starts[kColumnCount] : line.size() + 1;
      report(column, fmt::format("expected {} tab-separated columns (code, parent, retired, label, "
                                 "wikidata), found {}",
                                 static_cast<std::size_t>(kColumnCount), split.columns.size()));
    } else {
      const std::string_view parent = split.columns[kParentColumn];
      // An empty parent marks a top-level topic.
      if (!parent.empty() && !IsFullCode(parent)) {
        report(split.starts[kParentColumn],
               fmt::format(R"(parent "{}" is not "medtop:" followed by 8 digits)", parent));
      } else if (!parent.empty()) {
        topic.parent = std::string(parent);
        place.parent_column = split.starts[kParentColumn];
      }

      const std::string_view retired = split.columns[kRetiredColumn];
      if (!retired.empty() && retired != kRetiredMarker) {
        report(split.starts[kRetiredColumn],
               fmt::format(R"(retired column is "{}"; it must be "{}" or empty)", retired,
                           kRetiredMarker));
      }
      topic.retired = retired == kRetiredMarker;

      const std::string_view label = split.columns[kLabelColumn];
      if (IsBlank(label)) report(split.starts[kLabelColumn], "empty label");
      topic.label = std::string(label);

      const std::string_view wikidata = split.columns[kWikidataColumn];
      if (!wikidata.empty() && !IsWikidataId(wikidata)) {
        report(split.starts[kWikidataColumn],
               fmt::format(R"(wikidata "{}" is not a Wikidata id (Q followed by digits) or empty)",
                           wikidata));
      }
      topic.wikidata = std::string(wikidata);
    }

    // A row with a valid code is kept even when other columns are bad, so that its children do
    // not each get a second error saying their parent is missing.
    if (!code_is_valid) continue;
    const std::uint32_t number = *DigitsNumber(code.substr(kCodePrefix.size()));
    const auto [existing, inserted] =
        taxonomy.index_by_number_.try_emplace(number, taxonomy.topics_.size());
    if (!inserted) {
      report(1, fmt::format("duplicate code {}; it is first defined on line {}", code,
                            places[existing->second].line));
      continue;
    }
    topic.code = std::string(code);
    taxonomy.topics_.push_back(std::move(topic));
    places.push_back(place);
  }

  const std::size_t topic_count = taxonomy.topics_.size();
  taxonomy.parent_index_.assign(topic_count, kNoIndex);
  for (std::size_t index = 0; index < topic_count; ++index) {
    if (places[index].parent_column == 0) continue;
    const std::string& parent = taxonomy.topics_[index].parent;
    const std::size_t parent_index = taxonomy.IndexOf(parent);
    if (parent_index == kNoIndex) {
      problems.push_back(Problem{places[index].line, places[index].parent_column,
                                 fmt::format("parent {} is not in the file", parent)});
    } else {
      taxonomy.parent_index_[index] = parent_index;
    }
  }

  // Ancestors and TopLevel walk up the parents, so a cycle would make them loop forever. Each
  // walk stops at a topic seen before; if that topic is on the current walk, the walk found a
  // cycle, which is reported once, at the member defined first in the file.
  enum class Visit : unsigned char { kNew, kOnWalk, kDone };
  std::vector<Visit> visits(topic_count, Visit::kNew);
  std::vector<std::size_t> walk;
  for (std::size_t start = 0; start < topic_count; ++start) {
    walk.clear();
    std::size_t at = start;
    while (at != kNoIndex && visits[at] == Visit::kNew) {
      visits[at] = Visit::kOnWalk;
      walk.push_back(at);
      at = taxonomy.parent_index_[at];
    }
    if (at != kNoIndex && visits[at] == Visit::kOnWalk) {
      std::vector<std::size_t> cycle(std::find(walk.begin(), walk.end(), at), walk.end());
      std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
      std::string chain;
      for (const std::size_t member : cycle) chain += taxonomy.topics_[member].code + " -> ";
      chain += taxonomy.topics_[cycle.front()].code;
      const RowPlace& first = places[cycle.front()];
      problems.push_back(Problem{first.line, first.parent_column,
                                 fmt::format("parents form a cycle: {} (each followed by its "
                                             "parent)",
                                             chain)});
    }
    for (const std::size_t member : walk) visits[member] = Visit::kDone;
  }

  if (!problems.empty()) {
    std::stable_sort(problems.begin(), problems.end(),
                     [](const Problem& left, const Problem& right) {
                       return std::tie(left.line, left.column) < std::tie(right.line, right.column);
                     });
    return MakeError(Stage::kConfig, ErrorCode::kInvalidArgument, Describe(problems, file_name));
  }
  return taxonomy;
}

std::size_t Taxonomy::IndexOf(std::string_view code) const {
  if (code.starts_with(kCodePrefix)) code.remove_prefix(kCodePrefix.size());
  const std::optional<std::uint32_t> number = DigitsNumber(code);
  if (!number) return kNoIndex;
  const auto found = index_by_number_.find(*number);
  return found == index_by_number_.end() ? kNoIndex : found->second;
}

const MediaTopic* Taxonomy::Find(std::string_view code) const {
  const std::size_t index = IndexOf(code);
  return index == kNoIndex ? nullptr : &topics_[index];
}

std::vector<std::string> Taxonomy::Ancestors(std::string_view code) const {
  std::vector<std::string> ancestors;
  const std::size_t index = IndexOf(code);
  if (index == kNoIndex) return ancestors;
  for (std::size_t at = parent_index_[index]; at != kNoIndex; at = parent_index_[at]) {
    ancestors.push_back(topics_[at].code);
  }
  return ancestors;
}

std::string Taxonomy::TopLevel(std::string_view code) const {
  std::size_t at = IndexOf(code);
  if (at == kNoIndex) return "";
  while (parent_index_[at] != kNoIndex) at = parent_index_[at];
  return topics_[at].code;
}

}  // namespace newswire::pipeline
