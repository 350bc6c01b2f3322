#include "daemon/config/config.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>
#include <variant>

#include "daemon/config/byte_size.h"
#include "daemon/config/option_table.h"
#include "daemon/core/ascii.h"

namespace newswire::config {
namespace {

int ReadFile(const std::string& path, std::string& contents);  // defined below

// Typos further than this from every known key are more likely a different key than a misspelling.
constexpr int kMaxSuggestionDistance = 2;

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring characters each cost one, so "compresison" is one edit from "compression".
int EditDistance(std::string_view from, std::string_view to) {
  const std::size_t rows = from.size() + 1;
  const std::size_t columns = to.size() + 1;
  std::vector<int> distance(rows * columns, 0);
  auto at = [&](std::size_t row, std::size_t column) -> int& {
    return distance[row * columns + column];
  };
  for (std::size_t row = 0; row < rows; ++row) at(row, 0) = static_cast<int>(row);
  for (std::size_t column = 0; column < columns; ++column) at(0, column) = static_cast<int>(column);
  for (std::size_t row = 1; row < rows; ++row) {
    for (std::size_t column = 1; column < columns; ++column) {
      const int substitution = from[row - 1] == to[column - 1] ? 0 : 1;
      at(row, column) = std::min({at(row - 1, column) + 1, at(row, column - 1) + 1,
                                  at(row - 1, column - 1) + substitution});
      if (row > 1 && column > 1 && from[row - 1] == to[column - 2] &&
          from[row - 2] == to[column - 1]) {
        at(row, column) = std::min(at(row, column), at(row - 2, column - 2) + 1);
      }
    }
  }
  return at(rows - 1, columns - 1);
}

std::string Join(std::span<const std::string_view> words, std::string_view separator,
                 std::string_view quote = "") {
  std::string joined;
  for (std::string_view word : words) {
    if (!joined.empty()) joined += separator;
    joined += fmt::format("{}{}{}", quote, word, quote);
  }
  return joined;
}

// The name of a table key component as it appears in YAML: "directories[]" is "directories".
std::string_view YamlName(std::string_view component) {
  if (component.ends_with("[]")) component.remove_suffix(2);
  return component;
}

// A plain scalar is one written without quotes; only those can be numbers or booleans in YAML.
bool IsPlainScalar(const YAML::Node& node) { return node.IsScalar() && node.Tag() == "?"; }

std::string DescribeNode(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      if (IsPlainScalar(node)) return fmt::format("'{}'", node.Scalar());
      return fmt::format("the quoted string \"{}\"", node.Scalar());
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::string ExpectedText(const Option& option) {
  switch (option.type) {
    case OptionType::kString:
      return "a string";
    case OptionType::kPath:
      return "a path";
    case OptionType::kInteger:
      return "an integer";
    case OptionType::kDuration:
      return "an integer number of milliseconds";
    case OptionType::kByteSize:
      return "a size in bytes such as 1048576 or 16MiB";
    case OptionType::kBool:
      return "a boolean (true or false)";
    case OptionType::kEnum:
      return fmt::format("one of {}", Join(option.allowed_values, ", "));
    case OptionType::kStringList:
      return "a list of strings";
    case OptionType::kStringMap:
      return "a map of names to scalar values";
  }
  return "a value";
}

std::string FormatBound(const Option& option, std::int64_t bound) {
  return option.type == OptionType::kByteSize ? FormatByteSize(bound) : std::to_string(bound);
}

// Null values (a key with nothing after it) are marked where the next token starts, often on the
// following line, so errors about them point at their key instead.
YAML::Mark ValueMark(const YAML::Node& key, const YAML::Node& value) {
  return value.IsNull() || value.Mark().is_null() ? key.Mark() : value.Mark();
}

std::string ResolvePath(const std::string& text) {
  if (text.empty()) return text;
  std::error_code error;
  std::filesystem::path path = std::filesystem::absolute(text, error);
  // absolute() only fails when the working directory has gone; keep what the user wrote.
  if (error) path = text;
  path = path.lexically_normal();
  // "inbox/" and "inbox" are the same directory; without this the default name would be "".
  if (!path.has_filename() && path.has_relative_path()) path = path.parent_path();
  return path.string();
}

// "sources.kafka[2]".
std::string EntryKey(const EntryList& list, std::size_t entry) {
  return fmt::format("{}[{}]", list.key, entry);
}

// "sources.kafka[2].topics" for the option "sources.kafka[].topics".
std::string EntryOptionKey(const EntryList& list, std::size_t entry, std::string_view leaf) {
  return fmt::format("{}.{}", EntryKey(list, entry), leaf);
}

// The option's key inside one entry of its list: "sources.kafka[2].json_fields.title".
std::string EntryOptionKey(const EntryList& list, std::size_t entry, const Option& option) {
  return EntryOptionKey(list, entry,
                        option.key.substr(list.key.size() + std::string_view("[].").size()));
}

const EntryList& DirectoryList() { return *FindEntryList(kDirectoryListKey); }
const EntryList& KafkaSourceList() { return *FindEntryList(kKafkaSourceListKey); }

// A value as an error message quotes it.
std::string Quoted(const FieldRef& field) {
  if (const auto* text = std::get_if<std::string*>(&field)) return fmt::format("'{}'", **text);
  if (const auto* items = std::get_if<std::vector<std::string>*>(&field)) {
    return fmt::format("['{}']", fmt::join(**items, "', '"));
  }
  return "its value";
}

class Loader {
 public:
  explicit Loader(std::string file_name) : file_name_(std::move(file_name)) {
    config_.file = file_name_;
  }

  ConfigResult Load(std::string_view text);

 private:
  // `entry` is the index of the list entry `map` belongs to; 0 outside lists.
  void ReadMap(const YAML::Node& map, const std::string& pattern, const std::string& prefix,
               std::size_t entry);
  void ReadList(const EntryList& list, const YAML::Node& node, const YAML::Mark& mark,
                const std::string& key);
  void Store(const Option& option, const YAML::Node& value, const YAML::Mark& mark,
             const std::string& key, std::size_t entry);
  bool StoreValue(const Option& option, const YAML::Node& value, const YAML::Mark& mark,
                  const std::string& key, std::size_t entry);
  bool StoreNumber(const Option& option, const FieldRef& field, std::int64_t number,
                   const std::string& written, const YAML::Mark& mark, const std::string& key);
  template <typename Value>
  bool Assign(const Option& option, const FieldRef& field, Value value);
  // The defaults of the options of one entry of `list`, or of the sections when it is null.
  void ApplyDefaults(const EntryList* list, std::size_t entry);
  void ApplyComputedDefaults();
  // Options of a section that have no default and were not written (kafka.brokers).
  void CheckRequiredSectionKeys(const YAML::Mark& document);
  void ValidateSources();
  void ValidateDirectories();
  void ValidateKafkaSources();
  void ValidateFitsInFlight(const std::string& key, std::int64_t bytes, std::string_view item);
  void ValidateAcrossKeys();
  void ReadSecretFiles(const std::string& key, std::map<std::string, std::string>& files,
                       std::map<std::string, std::string>& properties);
  void ReadAllSecretFiles();
  void ValidateExactlyOnce();
  void ValidateDeliveryGuarantee();

  void AddError(const YAML::Mark& mark, std::string message);
  // Locates an error by the nearest key that was written in the file: the key itself, else the
  // entry or section holding it, else the whole file.
  void AddErrorAt(const std::string& key, std::string message);
  // That nearest mark; null when nothing on the way was written.
  YAML::Mark NearestMark(const std::string& key) const;
  bool IsSet(const std::string& key) const { return marks_.contains(key); }
  bool IsValid(const std::string& key) const { return !invalid_keys_.contains(key); }
  // Entries that are not maps are reported once and skipped by later steps.
  bool IsMapEntry(const EntryList& list, std::size_t entry) const;
  ConfigResult Finish();

  std::string file_name_;
  Config config_;
  std::vector<ConfigError> errors_;
  // Where each key written in the file is, by concrete key ("sources.directories[1].path").
  std::map<std::string, YAML::Mark> marks_;
  // Keys whose value was rejected; checks across keys skip them rather than pile on.
  std::set<std::string> invalid_keys_;
  // Which entries of each list (by list key) are maps.
  std::map<std::string_view, std::vector<bool>> entry_is_map_;
};

// yaml-cpp 0.7's LoadAll never returns on some invalid input (a ',' at the top level): the
// parser reports empty documents forever without consuming a token, and LoadAll keeps every one,
// until memory runs out (jbeder/yaml-cpp#1040; fixed upstream after 0.7, which Debian 12 ships).
// This pass walks the same documents with a handler that keeps nothing and stops when there are
// more documents than the text could hold (each needs at least one byte of its own): where it
// stopped, or nothing when the parse ends, in which case LoadAll ends too.
class DocumentCounter final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { last_start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  YAML::Mark last_start = YAML::Mark::null_mark();
};

std::optional<YAML::Mark> FindStuckParse(std::string_view text) {
  std::istringstream stream{std::string(text)};
  YAML::Parser parser(stream);
  DocumentCounter counter;
  for (std::size_t documents = 0; parser.HandleNextDocument(counter); ++documents) {
    if (documents > text.size() + 1) return counter.last_start;
  }
  return std::nullopt;
}

ConfigResult Loader::Load(std::string_view text) {
  std::vector<YAML::Node> documents;
  try {
    if (const auto stuck = FindStuckParse(text)) {
      AddError(*stuck,
               "invalid YAML: a token the parser cannot place (a stray ',' at the top "
               "level, for one)");
      return Finish();
    }
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& error) {
    AddError(error.mark, fmt::format("invalid YAML: {}", error.msg));
    return Finish();
  }
  const auto first = std::find_if(documents.begin(), documents.end(),
                                  [](const YAML::Node& document) { return !document.IsNull(); });
  if (first == documents.end()) {
    AddError(YAML::Mark::null_mark(), fmt::format("the config is empty; at least one of {} or {} "
                                                  "is needed",
                                                  kDirectoryListKey, kKafkaSourceListKey));
    return Finish();
  }
  for (auto extra = std::next(first); extra != documents.end(); ++extra) {
    if (!extra->IsNull()) {
      AddError(extra->Mark(), "a second YAML document; the config must be a single document");
    }
  }
  const YAML::Node& root = *first;
  if (!root.IsMap()) {
    AddError(root.Mark(), fmt::format("expected a map of sections ({}) at the top level, found {}",
                                      Join(ChildKeys(""), ", "), DescribeNode(root)));
    return Finish();
  }
  try {
    ApplyDefaults(nullptr, 0);
    ReadMap(root, "", "", 0);
    CheckRequiredSectionKeys(root.Mark());
    ApplyComputedDefaults();
    ValidateSources();
    ValidateDirectories();
    ValidateKafkaSources();
    ValidateAcrossKeys();
    ReadAllSecretFiles();
  } catch (const YAML::Exception& error) {
    // yaml-cpp only throws here on a bug in the option table (a default that is not valid
    // YAML); report it like any other problem rather than crash at start-up.
    AddError(error.mark, fmt::format("internal error while reading the config: {}", error.msg));
  }
  return Finish();
}

void Loader::ReadMap(const YAML::Node& map, const std::string& pattern, const std::string& prefix,
                     std::size_t entry) {
  const std::vector<std::string_view> children = ChildKeys(pattern);
  std::map<std::string, YAML::Mark> seen;
  for (const auto& pair : map) {
    const YAML::Node& key_node = pair.first;
    const YAML::Node& value = pair.second;
    if (!key_node.IsScalar()) {
      AddError(key_node.Mark(),
               fmt::format("{}: keys must be names, found {}",
                           prefix.empty() ? "top level" : prefix, DescribeNode(key_node)));
      continue;
    }
    const std::string& name = key_node.Scalar();
    const std::string key = prefix.empty() ? name : fmt::format("{}.{}", prefix, name);
    if (auto [previous, inserted] = seen.emplace(name, key_node.Mark()); !inserted) {
      AddError(key_node.Mark(), fmt::format("{}: duplicate key; it is already set at line {}", key,
                                            previous->second.line + 1));
      continue;
    }
    const auto child = std::find_if(children.begin(), children.end(), [&](std::string_view child) {
      return YamlName(child) == name;
    });
    if (child == children.end()) {
      std::string_view suggestion;
      int best_distance = kMaxSuggestionDistance + 1;
      for (std::string_view candidate : children) {
        const int distance = EditDistance(name, YamlName(candidate));
        if (distance < best_distance) {
          best_distance = distance;
          suggestion = YamlName(candidate);
        }
      }
      if (!suggestion.empty()) {
        AddError(key_node.Mark(),
                 fmt::format("{}: unknown key (did you mean '{}'?)", key, suggestion));
      } else {
        std::vector<std::string_view> names;
        names.reserve(children.size());
        for (std::string_view candidate : children) names.push_back(YamlName(candidate));
        AddError(key_node.Mark(),
                 fmt::format("{}: unknown key; expected one of {}", key, Join(names, ", ")));
      }
      continue;
    }

    const std::string pattern_key = pattern + std::string(*child);
    const YAML::Mark mark = ValueMark(key_node, value);
    marks_[key] = mark;
    if (const Option* option = FindOption(pattern_key)) {
      Store(*option, value, mark, key, entry);
    } else if (const EntryList* list = FindEntryList(pattern + std::string(YamlName(*child)))) {
      ReadList(*list, value, mark, key);
    } else if (value.IsNull()) {
      // A section whose keys are all commented out keeps its defaults.
    } else if (!value.IsMap()) {
      AddError(mark, fmt::format("{}: expected a map, found {}", key, DescribeNode(value)));
      invalid_keys_.insert(key);
    } else {
      ReadMap(value, pattern_key + ".", key, entry);
    }
  }
}

void Loader::ReadList(const EntryList& list, const YAML::Node& node, const YAML::Mark& mark,
                      const std::string& key) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    AddError(mark,
             fmt::format("{}: expected {}, found {}", key, list.entries_text, DescribeNode(node)));
    invalid_keys_.insert(key);
    return;
  }
  list.resize(config_, node.size());
  std::vector<bool>& is_map = entry_is_map_[list.key];
  is_map.assign(node.size(), false);
  const std::string prefix = fmt::format("{}[].", list.key);
  for (std::size_t index = 0; index < node.size(); ++index) {
    const YAML::Node entry = node[index];
    const std::string entry_key = EntryKey(list, index);
    const YAML::Mark entry_mark = entry.IsNull() || entry.Mark().is_null() ? mark : entry.Mark();
    marks_[entry_key] = entry_mark;
    *list.location(config_, index) =
        fmt::format("{}:{}:{}", file_name_, entry_mark.line + 1, entry_mark.column + 1);
    ApplyDefaults(&list, index);
    if (!entry.IsMap()) {
      AddError(entry_mark, fmt::format("{}: expected {}, found {}", entry_key, list.entry_text,
                                       DescribeNode(entry)));
      continue;
    }
    is_map[index] = true;
    ReadMap(entry, prefix, entry_key, index);
    for (const Option& option : Options()) {
      if (ListOf(option) != &list || option.default_rule != DefaultRule::kRequired) continue;
      const std::string option_key = EntryOptionKey(list, index, option);
      if (!IsSet(option_key)) {
        AddError(entry_mark, fmt::format("{}: required key is missing", option_key));
        invalid_keys_.insert(option_key);
      }
    }
  }
}

void Loader::Store(const Option& option, const YAML::Node& value, const YAML::Mark& mark,
                   const std::string& key, std::size_t entry) {
  if (!StoreValue(option, value, mark, key, entry)) {
    invalid_keys_.insert(key);
  }
}

bool Loader::StoreValue(const Option& option, const YAML::Node& value, const YAML::Mark& mark,
                        const std::string& key, std::size_t entry) {
  const FieldRef field = option.field(config_, entry);
  auto wrong_type = [&] {
    AddError(mark, fmt::format("{}: expected {}, found {}", key, ExpectedText(option),
                               DescribeNode(value)));
    return false;
  };
  auto check = [&](const YAML::Mark& where, const std::string& where_key, std::string_view text) {
    if (option.check == nullptr) return true;
    const std::string problem = option.check(text);
    if (!problem.empty()) AddError(where, fmt::format("{}: {}", where_key, problem));
    return problem.empty();
  };

  switch (option.type) {
    case OptionType::kString:
    case OptionType::kPath: {
      if (!value.IsScalar()) return wrong_type();
      if (!check(mark, key, value.Scalar())) return false;
      return Assign(
          option, field,
          option.type == OptionType::kPath ? ResolvePath(value.Scalar()) : value.Scalar());
    }
    case OptionType::kEnum: {
      if (!value.IsScalar()) return wrong_type();
      const auto allowed =
          std::find(option.allowed_values.begin(), option.allowed_values.end(), value.Scalar());
      if (allowed == option.allowed_values.end()) {
        AddError(mark, fmt::format("{}: '{}' is not allowed; expected one of {}", key,
                                   value.Scalar(), Join(option.allowed_values, ", ")));
        return false;
      }
      if (std::holds_alternative<DirectorySourceConfig::OnSuccess*>(field)) {
        return Assign(option, field,
                      static_cast<DirectorySourceConfig::OnSuccess>(
                          std::distance(option.allowed_values.begin(), allowed)));
      }
      return Assign(option, field, value.Scalar());
    }
    case OptionType::kInteger:
    case OptionType::kDuration: {
      if (!IsPlainScalar(value)) return wrong_type();
      const std::string& text = value.Scalar();
      std::int64_t number = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
      if (error == std::errc::result_out_of_range) {
        AddError(mark, fmt::format("{}: {} is out of bounds; must be between {} and {}", key, text,
                                   FormatBound(option, option.min_value),
                                   FormatBound(option, option.max_value)));
        return false;
      }
      if (error != std::errc() || end != text.data() + text.size()) return wrong_type();
      return StoreNumber(option, field, number, text, mark, key);
    }
    case OptionType::kByteSize: {
      if (!value.IsScalar()) return wrong_type();
      const auto bytes = ParseByteSize(value.Scalar());
      if (!bytes) {
        AddError(mark, fmt::format("{}: {}", key, bytes.error()));
        return false;
      }
      return StoreNumber(option, field, *bytes, value.Scalar(), mark, key);
    }
    case OptionType::kBool: {
      bool flag = false;
      if (!IsPlainScalar(value) || !YAML::convert<bool>::decode(value, flag)) return wrong_type();
      return Assign(option, field, flag);
    }
    case OptionType::kStringList: {
      std::vector<std::string> items;
      if (!value.IsNull()) {
        if (!value.IsSequence()) return wrong_type();
        bool all_valid = true;
        for (std::size_t index = 0; index < value.size(); ++index) {
          const YAML::Node item = value[index];
          const std::string item_key = fmt::format("{}[{}]", key, index);
          const YAML::Mark item_mark = item.Mark().is_null() ? mark : item.Mark();
          // Checks across keys point at the item; defaults (a null mark) were not written.
          if (!mark.is_null()) marks_[item_key] = item_mark;
          if (!item.IsScalar()) {
            AddError(item_mark,
                     fmt::format("{}: expected a string, found {}", item_key, DescribeNode(item)));
            all_valid = false;
          } else if (!check(item_mark, item_key, item.Scalar())) {
            all_valid = false;
          } else {
            items.push_back(item.Scalar());
          }
        }
        if (!all_valid) return false;
      }
      if (static_cast<std::int64_t>(items.size()) < option.min_value) {
        AddError(mark, fmt::format("{}: must have at least {} {}", key, option.min_value,
                                   option.min_value == 1 ? "entry" : "entries"));
        return false;
      }
      return Assign(option, field, std::move(items));
    }
    case OptionType::kStringMap: {
      std::map<std::string, std::string> entries;
      if (!value.IsNull()) {
        if (!value.IsMap()) return wrong_type();
        bool all_valid = true;
        for (const auto& pair : value) {
          if (!pair.first.IsScalar()) {
            AddError(pair.first.Mark(), fmt::format("{}: keys must be names, found {}", key,
                                                    DescribeNode(pair.first)));
            all_valid = false;
            continue;
          }
          const std::string entry_key = fmt::format("{}.{}", key, pair.first.Scalar());
          if (!pair.second.IsScalar()) {
            AddError(ValueMark(pair.first, pair.second),
                     fmt::format("{}: expected a scalar value, found {}", entry_key,
                                 DescribeNode(pair.second)));
            all_valid = false;
          } else if (!entries.emplace(pair.first.Scalar(), pair.second.Scalar()).second) {
            AddError(pair.first.Mark(), fmt::format("{}: duplicate key", entry_key));
            all_valid = false;
          } else {
            // Where a later check of this entry's value points (ValidateDeliveryGuarantee).
            marks_[entry_key] = ValueMark(pair.first, pair.second);
          }
        }
        if (!all_valid) return false;
      }
      return Assign(option, field, std::move(entries));
    }
  }
  return false;
}

bool Loader::StoreNumber(const Option& option, const FieldRef& field, std::int64_t number,
                         const std::string& written, const YAML::Mark& mark,
                         const std::string& key) {
  if (number < option.min_value || number > option.max_value) {
    AddError(mark, fmt::format("{}: {} is out of bounds; must be between {} and {}", key, written,
                               FormatBound(option, option.min_value),
                               FormatBound(option, option.max_value)));
    return false;
  }
  return Assign(option, field, number);
}

template <typename Value>
bool Loader::Assign(const Option& option, const FieldRef& field, Value value) {
  Value* const* target = std::get_if<Value*>(&field);
  if (target == nullptr) {
    AddError(YAML::Mark::null_mark(),
             fmt::format("{}: internal error: the option table stores it in a field of another "
                         "type",
                         option.key));
    return false;
  }
  **target = std::move(value);
  return true;
}

void Loader::ApplyDefaults(const EntryList* list, std::size_t entry) {
  for (const Option& option : Options()) {
    if (ListOf(option) != list) continue;
    if (option.default_rule != DefaultRule::kValue) continue;
    // Defaults are read exactly like user values, so the table cannot hold one the loader would
    // reject without the unit tests noticing.
    const YAML::Node value = YAML::Load(std::string(option.default_value));
    Store(option, value, YAML::Mark::null_mark(), std::string(option.key), entry);
  }
}

void Loader::ApplyComputedDefaults() {
  for (const Option& option : Options()) {
    if (option.default_rule != DefaultRule::kComputed || ListOf(option) != nullptr) continue;
    if (!IsSet(std::string(option.key))) {
      Assign(option, option.field(config_, 0), option.compute_default(config_, 0));
    }
  }
  for (const EntryList& list : EntryLists()) {
    std::vector<const Option*> required;
    std::vector<const Option*> computed;
    for (const Option& option : Options()) {
      if (ListOf(option) != &list) continue;
      if (option.default_rule == DefaultRule::kRequired) required.push_back(&option);
      if (option.default_rule == DefaultRule::kComputed) computed.push_back(&option);
    }
    for (std::size_t index = 0; index < list.size(config_); ++index) {
      if (!IsMapEntry(list, index)) continue;
      // Every computed default of an entry derives from its required keys; without them there
      // is nothing to derive from, and what is wrong with them is already reported.
      const bool required_valid = std::all_of(required.begin(), required.end(), [&](auto* option) {
        return IsValid(EntryOptionKey(list, index, *option));
      });
      for (const Option* option : computed) {
        const std::string key = EntryOptionKey(list, index, *option);
        if (IsSet(key)) continue;
        if (!required_valid) {
          invalid_keys_.insert(key);
          continue;
        }
        std::string value = option->compute_default(config_, index);
        const std::string problem = option->check ? option->check(value) : "";
        if (!problem.empty()) {
          if (required.empty()) {
            AddErrorAt(key, fmt::format("{}: the default '{}' {}; set it explicitly", key, value,
                                        problem));
          } else {
            const Option& origin = *required.front();
            AddErrorAt(EntryOptionKey(list, index, origin),
                       fmt::format("{}: the default taken from {} {} {}; set it explicitly", key,
                                   origin.key.substr(origin.key.rfind('.') + 1),
                                   Quoted(origin.field(config_, index)), problem));
          }
          invalid_keys_.insert(key);
          continue;
        }
        Assign(*option, option->field(config_, index), std::move(value));
      }
    }
  }
}

void Loader::CheckRequiredSectionKeys(const YAML::Mark& document) {
  for (const Option& option : Options()) {
    if (ListOf(option) != nullptr || option.default_rule != DefaultRule::kRequired) continue;
    const std::string key(option.key);
    if (IsSet(key)) continue;
    invalid_keys_.insert(key);
    // At its section when that was written, else at the start of the document: the key belongs
    // there. A section that is not a map is reported as such, not as missing its keys too.
    const std::string section = key.substr(0, key.find('.'));
    if (!IsValid(section)) continue;
    const auto written = marks_.find(section);
    AddError(written != marks_.end() ? written->second : document,
             fmt::format("{}: required key is missing: {}", key, option.description));
  }
}

bool Loader::IsMapEntry(const EntryList& list, std::size_t entry) const {
  const auto found = entry_is_map_.find(list.key);
  return found != entry_is_map_.end() && entry < found->second.size() && found->second[entry];
}

void Loader::ValidateSources() {
  const std::string directories_key(kDirectoryListKey);
  const std::string kafka_key(kKafkaSourceListKey);
  if (config_.directories.empty() && config_.kafka_sources.empty() && IsValid(directories_key) &&
      IsValid(kafka_key)) {
    // Point at the list that was written, if one was.
    AddErrorAt(IsSet(kafka_key) && !IsSet(directories_key) ? kafka_key : directories_key,
               fmt::format("sources: at least one of {} or {} is needed", kDirectoryListKey,
                           kKafkaSourceListKey));
  }

  // Names tell sources apart in logs, metrics and event origins, whatever their kind. The entry
  // further down the file is the one reported.
  struct Named {
    YAML::Mark mark;
    std::string entry_key;
    std::string name_key;
    const Option* name_option;
    std::string name;
  };
  std::vector<Named> named;
  for (const EntryList& list : EntryLists()) {
    const Option* name_option = FindOption(fmt::format("{}[].name", list.key));
    for (std::size_t index = 0; index < list.size(config_); ++index) {
      const std::string name_key = EntryOptionKey(list, index, "name");
      if (!IsMapEntry(list, index) || !IsValid(name_key)) continue;
      named.push_back({.mark = NearestMark(EntryKey(list, index)),
                       .entry_key = EntryKey(list, index),
                       .name_key = name_key,
                       .name_option = name_option,
                       .name = *std::get<std::string*>(name_option->field(config_, index))});
    }
  }
  std::stable_sort(named.begin(), named.end(), [](const Named& left, const Named& right) {
    return std::pair(left.mark.line, left.mark.column) <
           std::pair(right.mark.line, right.mark.column);
  });
  std::map<std::string_view, const Named*> first_by_name;
  for (const Named& entry : named) {
    auto [first, inserted] = first_by_name.emplace(entry.name, &entry);
    if (inserted) continue;
    const YAML::Mark first_mark = NearestMark(first->second->name_key);
    AddErrorAt(entry.name_key,
               fmt::format("{}: '{}' is already the name of {} at {}:{}:{}; names must be unique "
                           "among {} and {} (the default is the {})",
                           entry.name_key, entry.name, first->second->entry_key, file_name_,
                           first_mark.line + 1, first_mark.column + 1, kDirectoryListKey,
                           kKafkaSourceListKey, entry.name_option->default_value));
  }
}

void Loader::ValidateFitsInFlight(const std::string& key, std::int64_t bytes,
                                  std::string_view item) {
  const std::string in_flight_key = "limits.max_in_flight_bytes";
  if (!IsValid(key) || !IsValid(in_flight_key) || bytes <= config_.limits.max_in_flight_bytes) {
    return;
  }
  // Point at whichever of the two the user actually wrote.
  const std::string& where = IsSet(key) || !IsSet(in_flight_key) ? key : in_flight_key;
  AddErrorAt(where, fmt::format("{}: {} is more than {} ({}), so a {} that large could never be "
                                "taken",
                                key, FormatByteSize(bytes), in_flight_key,
                                FormatByteSize(config_.limits.max_in_flight_bytes), item));
}

void Loader::ValidateDirectories() {
  const EntryList& list = DirectoryList();
  std::map<std::string, std::size_t> paths;
  // Every processing/done/failed directory, with the key that set it: two sources sharing one
  // would take each other's files (a claimed file looks like a crash leftover to the other).
  std::map<std::string, std::string> work_directories;
  for (std::size_t index = 0; index < config_.directories.size(); ++index) {
    if (!IsMapEntry(list, index)) continue;
    const DirectorySourceConfig& directory = config_.directories[index];
    const auto key = [&](std::string_view leaf) { return EntryOptionKey(list, index, leaf); };

    bool path_is_repeated = false;  // reported once here, not again for its work directories
    if (IsValid(key("path"))) {
      if (auto [first, inserted] = paths.emplace(directory.path, index); !inserted) {
        path_is_repeated = true;
        AddErrorAt(key("path"), fmt::format("{}: '{}' is already watched by {}", key("path"),
                                            directory.path, EntryKey(list, first->second)));
      }
    }

    ValidateFitsInFlight(key("max_file_bytes"), directory.max_file_bytes, "file");

    if (!IsValid(key("path"))) continue;
    const std::array<std::pair<std::string_view, const std::string*>, 3> work_dirs = {{
        {"processing_dir", &directory.processing_dir},
        {"done_dir", &directory.done_dir},
        {"failed_dir", &directory.failed_dir},
    }};
    for (std::size_t current = 0; current < work_dirs.size(); ++current) {
      const auto& [leaf, value] = work_dirs[current];
      if (!IsValid(key(leaf))) continue;
      if (*value == directory.path) {
        AddErrorAt(key(leaf), fmt::format("{}: must differ from the feed path '{}'", key(leaf),
                                          directory.path));
        continue;
      }
      for (std::size_t earlier = 0; earlier < current; ++earlier) {
        const auto& [earlier_leaf, earlier_value] = work_dirs[earlier];
        if (IsValid(key(earlier_leaf)) && *earlier_value == *value) {
          AddErrorAt(key(leaf), fmt::format("{}: must differ from {} ('{}')", key(leaf),
                                            earlier_leaf, *value));
        }
      }
      if (path_is_repeated) continue;
      auto [first, inserted] = work_directories.emplace(*value, key(leaf));
      if (!inserted && !first->second.starts_with(EntryKey(list, index) + ".")) {
        AddErrorAt(key(leaf), fmt::format("{}: '{}' is already {}; each feed directory needs "
                                          "its own",
                                          key(leaf), *value, first->second));
      }
    }
  }
  // A feed directory that is another one's work directory would take its files.
  for (const auto& [path, index] : paths) {
    if (auto found = work_directories.find(path); found != work_directories.end()) {
      const std::string path_key = EntryOptionKey(list, index, "path");
      AddErrorAt(path_key, fmt::format("{}: '{}' is already {}", path_key, path, found->second));
    }
  }
}

void Loader::ValidateKafkaSources() {
  const EntryList& list = KafkaSourceList();
  for (std::size_t index = 0; index < config_.kafka_sources.size(); ++index) {
    if (!IsMapEntry(list, index)) continue;
    const KafkaSourceConfig& source = config_.kafka_sources[index];
    const auto key = [&](std::string_view leaf) { return EntryOptionKey(list, index, leaf); };

    ValidateFitsInFlight(key("max_record_bytes"), source.max_record_bytes, "record");

    if (IsValid(key("brokers")) && IsValid("kafka.brokers") && source.brokers == "embedded" &&
        config_.kafka.brokers != "embedded") {
      AddErrorAt(key("brokers"),
                 fmt::format("{}: 'embedded' needs kafka.brokers: embedded (there is no embedded "
                             "broker otherwise)",
                             key("brokers")));
    }

    // Consuming what newswire produces would feed every event (or every failure) back in,
    // without end. Only literal names are compared; a regex is librdkafka's to match.
    if (!IsValid(key("topics")) || !IsValid(key("brokers")) || !IsValid("kafka.brokers")) continue;
    if (!source.brokers.empty() && source.brokers != config_.kafka.brokers) continue;
    const std::array<std::pair<std::string_view, const std::string*>, 2> outputs = {{
        {"kafka.topic", &config_.kafka.topic},
        {"kafka.dead_letter_topic", &config_.kafka.dead_letter_topic},
    }};
    for (std::size_t item = 0; item < source.topics.size(); ++item) {
      for (const auto& [output_key, output_topic] : outputs) {
        if (!IsValid(std::string(output_key)) || source.topics[item] != *output_topic) continue;
        const std::string item_key = fmt::format("{}[{}]", key("topics"), item);
        AddErrorAt(item_key, fmt::format("{}: '{}' is {} on the same cluster; newswire would "
                                         "consume what it produces",
                                         item_key, *output_topic, output_key));
      }
    }
  }
}

constexpr char kCredentialsVariable[] = "CREDENTIALS_DIRECTORY";

// `path` with ${CREDENTIALS_DIRECTORY} replaced by that environment variable, where systemd puts
// the credentials of LoadCredential= (readable by the service's user, DynamicUser= included), or
// why it cannot be. No other variable is expanded.
tl::expected<std::string, std::string> ExpandCredentialsDirectory(const std::string& path) {
  const std::string placeholder = fmt::format("${{{}}}", kCredentialsVariable);
  const std::size_t at = path.find(placeholder);
  if (at == std::string::npos) return path;
  const char* directory = std::getenv(kCredentialsVariable);
  if (directory == nullptr || *directory == '\0') {
    return tl::unexpected(fmt::format(
        "'{}' names {} but it is not set: systemd sets it for a unit with LoadCredential= "
        "(see deploy/newswire.service); elsewhere, name the file itself",
        path, placeholder));
  }
  std::string expanded = path;
  for (std::size_t next = at; next != std::string::npos;
       next = expanded.find(placeholder, next + std::strlen(directory))) {
    expanded.replace(next, placeholder.size(), directory);
  }
  return expanded;
}

// One property map's secret files, read into it. `key` is the map's option key
// ("kafka.secret_files" or "sources.kafka[0].secret_files"); errors name the property's key.
void Loader::ReadSecretFiles(const std::string& key, std::map<std::string, std::string>& files,
                             std::map<std::string, std::string>& properties) {
  if (!IsValid(key)) return;
  constexpr std::uintmax_t kMaxSecretBytes = 64 * 1024;
  for (auto& [property, path] : files) {
    const std::string property_key = fmt::format("{}.{}", key, property);
    auto expanded = ExpandCredentialsDirectory(path);
    if (!expanded) {
      AddErrorAt(property_key, fmt::format("{}: {}", property_key, expanded.error()));
      continue;
    }
    path = ResolvePath(*expanded);
    if (properties.contains(property)) {
      AddErrorAt(property_key, fmt::format("{}: {} is also set in the properties beside it; keep "
                                           "it in one place",
                                           property_key, property));
      continue;
    }
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    if (error || size > kMaxSecretBytes) {
      AddErrorAt(property_key,
                 error ? fmt::format("{}: cannot read {}: {}", property_key, path, error.message())
                       : fmt::format("{}: {} is {} bytes, over {} for a secret", property_key, path,
                                     size, kMaxSecretBytes));
      continue;
    }
    std::string value;
    if (const int read_error = ReadFile(path, value); read_error != 0) {
      AddErrorAt(property_key, fmt::format("{}: cannot read {}: {}", property_key, path,
                                           std::generic_category().message(read_error)));
      continue;
    }
    if (value.ends_with('\n')) value.pop_back();
    if (value.ends_with('\r')) value.pop_back();
    if (value.empty()) {
      AddErrorAt(property_key, fmt::format("{}: {} is empty", property_key, path));
      continue;
    }
    properties.emplace(property, std::move(value));
  }
}

void Loader::ReadAllSecretFiles() {
  ReadSecretFiles("kafka.secret_files", config_.kafka.secret_files, config_.kafka.properties);
  const EntryList& list = KafkaSourceList();
  for (std::size_t index = 0; index < config_.kafka_sources.size(); ++index) {
    if (!IsMapEntry(list, index)) continue;
    KafkaSourceConfig& source = config_.kafka_sources[index];
    ReadSecretFiles(EntryOptionKey(list, index, "secret_files"), source.secret_files,
                    source.properties);
  }
}

void Loader::ValidateAcrossKeys() {
  if (IsValid("kafka.topic") && IsValid("kafka.dead_letter_topic") &&
      config_.kafka.topic == config_.kafka.dead_letter_topic) {
    AddErrorAt("kafka.dead_letter_topic",
               fmt::format("kafka.dead_letter_topic: must differ from kafka.topic ('{}')",
                           config_.kafka.topic));
  }
  ValidateExactlyOnce();
  ValidateDeliveryGuarantee();
}

// An item is acknowledged only after Kafka confirmed every record made from it, with an offset.
// acks other than all, or a producer that is not idempotent, would let the sink report records
// that no replica confirmed (acks=0 reports none at all): those properties cannot be relaxed,
// inline or through a secret file. Values are compared as librdkafka reads them (any case; t or
// 1 for true).
void Loader::ValidateDeliveryGuarantee() {
  const auto is_acks = [](const std::string& name) {
    return name == "acks" || name == "request.required.acks";
  };
  if (IsValid("kafka.properties")) {
    for (const auto& [name, value] : config_.kafka.properties) {
      const std::string key = "kafka.properties." + name;
      const std::string spelled = AsciiLower(value);
      if (is_acks(name) && spelled != "all" && spelled != "-1") {
        AddErrorAt(key, fmt::format("{}: must stay 'all', not '{}': newswire acknowledges a file "
                                    "or record only after every in-sync replica confirmed its "
                                    "events",
                                    key, value));
      } else if (name == "enable.idempotence" && spelled != "true" && spelled != "t" &&
                 spelled != "1") {
        AddErrorAt(key, fmt::format("{}: must stay 'true', not '{}': retries after a broker "
                                    "fault must neither repeat nor reorder events within a "
                                    "partition",
                                    key, value));
      }
    }
  }
  if (IsValid("kafka.secret_files")) {
    // Reported here and dropped, so that the secret files read later do not try them too.
    std::erase_if(config_.kafka.secret_files, [&](const auto& entry) {
      const std::string& name = entry.first;
      if (!is_acks(name) && name != "enable.idempotence") return false;
      const std::string key = "kafka.secret_files." + name;
      AddErrorAt(key, fmt::format("{}: {} is not a secret and newswire needs its default; leave "
                                  "it out",
                                  key, name));
      return true;
    });
  }
}

void Loader::ValidateExactlyOnce() {
  if (!IsValid("kafka.exactly_once") || !config_.kafka.exactly_once) return;
  if (IsValid("kafka.transactional_id") && config_.kafka.transactional_id.empty()) {
    AddErrorAt("kafka.exactly_once",
               "kafka.exactly_once: needs kafka.transactional_id, unique per instance and the "
               "same across its restarts (e.g. newswire-<host>)");
  }
  // A file cannot take part in a Kafka transaction: moving it to done/ and committing the
  // events could not happen atomically.
  if (!config_.directories.empty()) {
    AddErrorAt(std::string(kDirectoryListKey),
               fmt::format("{}: feed directories cannot take part in a Kafka transaction; with "
                           "kafka.exactly_once every source must be in {}",
                           kDirectoryListKey, kKafkaSourceListKey));
  }
  // The offsets are committed through the producer's transaction, on the producer's cluster.
  const EntryList& list = KafkaSourceList();
  for (std::size_t index = 0; index < config_.kafka_sources.size(); ++index) {
    const std::string brokers_key = EntryOptionKey(list, index, "brokers");
    const std::string& brokers = config_.kafka_sources[index].brokers;
    if (!IsMapEntry(list, index) || !IsValid(brokers_key) || !IsValid("kafka.brokers") ||
        brokers.empty() || brokers == config_.kafka.brokers) {
      continue;
    }
    AddErrorAt(brokers_key,
               fmt::format("{}: with kafka.exactly_once a source must read from the cluster in "
                           "kafka.brokers ('{}'), whose transactions commit its offsets",
                           brokers_key, config_.kafka.brokers));
  }
}

void Loader::AddError(const YAML::Mark& mark, std::string message) {
  ConfigError error{.file = file_name_, .message = std::move(message)};
  if (!mark.is_null()) {
    error.line = mark.line + 1;
    error.column = mark.column + 1;
  }
  errors_.push_back(std::move(error));
}

void Loader::AddErrorAt(const std::string& key, std::string message) {
  AddError(NearestMark(key), std::move(message));
}

// The entry of `by_key` for `key`, else for the nearest key holding it ("kafka.properties.acks",
// "kafka.properties", "kafka"); null when there is none.
template <typename Map>
const typename Map::mapped_type* FindNearest(const Map& by_key, std::string_view key) {
  while (!key.empty()) {
    if (const auto found = by_key.find(std::string(key)); found != by_key.end()) {
      return &found->second;
    }
    const std::size_t parent_end = key.find_last_of(".[");
    key = key.substr(0, parent_end == std::string_view::npos ? 0 : parent_end);
  }
  return nullptr;
}

YAML::Mark Loader::NearestMark(const std::string& key) const {
  const YAML::Mark* mark = FindNearest(marks_, key);
  return mark != nullptr ? *mark : YAML::Mark::null_mark();
}

ConfigResult Loader::Finish() {
  if (errors_.empty()) {
    for (const auto& [key, mark] : marks_) {
      if (!mark.is_null())
        config_.positions.emplace(key, KeyPosition{mark.line + 1, mark.column + 1});
    }
    return std::move(config_);
  }
  std::stable_sort(errors_.begin(), errors_.end(),
                   [](const ConfigError& left, const ConfigError& right) {
                     return std::pair(left.line, left.column) < std::pair(right.line, right.column);
                   });
  return tl::unexpected(std::move(errors_));
}

// Reads the whole file; on failure returns the errno value.
int ReadFile(const std::string& path, std::string& contents) {
  const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (descriptor < 0) return errno;
  std::array<char, std::size_t{64} * 1024> buffer;
  while (true) {
    const ssize_t count = ::read(descriptor, buffer.data(), buffer.size());
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) {
      const int error = errno;
      ::close(descriptor);
      return error;
    }
    if (count == 0) break;
    contents.append(buffer.data(), static_cast<std::size_t>(count));
  }
  ::close(descriptor);
  return 0;
}

void EmitValue(YAML::Emitter& out, const Option& option, const FieldRef& field) {
  std::visit(
      [&](auto* value) {
        using Value = std::remove_pointer_t<decltype(value)>;
        if constexpr (std::is_same_v<Value, std::int64_t>) {
          if (option.type == OptionType::kByteSize) {
            out << FormatByteSize(*value);
          } else {
            out << *value;
          }
        } else if constexpr (std::is_same_v<Value, std::vector<std::string>>) {
          out << YAML::Flow << YAML::BeginSeq;
          for (const std::string& item : *value) out << item;
          out << YAML::EndSeq;
        } else if constexpr (std::is_same_v<Value, std::map<std::string, std::string>>) {
          // An empty block map would be rendered as "{}" on a line of its own.
          if (value->empty()) out << YAML::Flow;
          out << YAML::BeginMap;
          for (const auto& [name, text] : *value) out << YAML::Key << name << YAML::Value << text;
          out << YAML::EndMap;
        } else if constexpr (std::is_same_v<Value, DirectorySourceConfig::OnSuccess>) {
          out << std::string(option.allowed_values[static_cast<std::size_t>(*value)]);
        } else {
          out << *value;
        }
      },
      field);
}

// `entry` is the index of the list entry being rendered; 0 outside lists.
void RenderMap(YAML::Emitter& out, const std::string& pattern, Config& config, std::size_t entry) {
  for (std::string_view child : ChildKeys(pattern)) {
    const std::string key = pattern + std::string(child);
    out << YAML::Key << std::string(YamlName(child)) << YAML::Value;
    if (const Option* option = FindOption(key)) {
      EmitValue(out, *option, option->field(config, entry));
    } else if (const EntryList* list = FindEntryList(pattern + std::string(YamlName(child)))) {
      const std::size_t size = list->size(config);
      // An empty block sequence would be rendered as "[]" on a line of its own.
      if (size == 0) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (std::size_t index = 0; index < size; ++index) {
        out << YAML::BeginMap;
        RenderMap(out, key + ".", config, index);
        out << YAML::EndMap;
      }
      out << YAML::EndSeq;
    } else {
      out << YAML::BeginMap;
      RenderMap(out, key + ".", config, entry);
      out << YAML::EndMap;
    }
  }
}

std::string TypeText(const Option& option) {
  std::string_view name;
  switch (option.type) {
    case OptionType::kString:
      name = "string";
      break;
    case OptionType::kPath:
      name = "path";
      break;
    case OptionType::kInteger:
      name = "integer";
      break;
    case OptionType::kDuration:
      name = "duration";
      break;
    case OptionType::kByteSize:
      name = "size";
      break;
    case OptionType::kBool:
      name = "bool";
      break;
    case OptionType::kEnum:
      name = "enum";
      break;
    case OptionType::kStringList:
      name = "list";
      break;
    case OptionType::kStringMap:
      name = "map of strings";
      break;
  }
  return option.unit.empty() ? std::string(name) : fmt::format("{} ({})", name, option.unit);
}

std::string DefaultText(const Option& option) {
  switch (option.default_rule) {
    case DefaultRule::kRequired:
      return "required";
    case DefaultRule::kComputed:
      return std::string(option.default_value);
    case DefaultRule::kValue:
      break;
  }
  return fmt::format("`{}`", option.default_value);
}

std::string BoundsText(const Option& option) {
  std::vector<std::string> parts;
  switch (option.type) {
    case OptionType::kInteger:
    case OptionType::kDuration:
    case OptionType::kByteSize:
      parts.push_back(fmt::format("{} to {}", FormatBound(option, option.min_value),
                                  FormatBound(option, option.max_value)));
      break;
    case OptionType::kEnum:
      parts.push_back(Join(option.allowed_values, ", ", "`"));
      break;
    case OptionType::kStringList:
      if (option.min_value > 0) {
        parts.push_back(fmt::format("at least {} {}", option.min_value,
                                    option.min_value == 1 ? "entry" : "entries"));
      }
      break;
    default:
      break;
  }
  if (!option.bounds_text.empty()) parts.emplace_back(option.bounds_text);
  std::string text;
  for (const std::string& part : parts) text += (text.empty() ? "" : "; ") + part;
  return text;
}

// Markdown table cells end at '|'.
std::string Cell(std::string_view text) {
  std::string escaped;
  for (char c : text) {
    if (c == '|') escaped += '\\';
    escaped += c;
  }
  return escaped;
}

}  // namespace

std::string ConfigError::Describe() const {
  if (line == 0) return fmt::format("{}: {}", file, message);
  return fmt::format("{}:{}:{}: {}", file, line, column, message);
}

ConfigResult LoadConfig(const std::string& path) {
  std::string text;
  if (const int error = ReadFile(path, text); error != 0) {
    return tl::unexpected(
        std::vector<ConfigError>{{.file = path,
                                  .message = fmt::format("cannot read the config file: {}",
                                                         std::generic_category().message(error))}});
  }
  return ParseConfig(text, path);
}

ConfigResult ParseConfig(std::string_view yaml_text, const std::string& file_name) {
  return Loader(file_name).Load(yaml_text);
}

bool IsSecretProperty(std::string_view name) {
  return name.find("password") != std::string_view::npos ||
         name.find("secret") != std::string_view::npos || name.ends_with(".pem") ||
         name == "sasl.oauthbearer.config";
}

namespace {

void Redact(std::map<std::string, std::string>& properties,
            const std::map<std::string, std::string>& secret_files) {
  for (auto& [name, value] : properties) {
    if (secret_files.contains(name) || IsSecretProperty(name)) value = "<redacted>";
  }
}

}  // namespace

KeyPosition PositionOf(const Config& config, std::string_view key) {
  const KeyPosition* position = FindNearest(config.positions, key);
  return position != nullptr ? *position : KeyPosition{};
}

std::string Locate(const Config& config, std::string_view key) {
  const KeyPosition position = PositionOf(config, key);
  if (position.line == 0) return config.file;
  return fmt::format("{}:{}:{}", config.file, position.line, position.column);
}

std::string RenderConfig(const Config& config) {
  // The option table hands out mutable field pointers; render from a copy, without secrets.
  Config copy = config;
  Redact(copy.kafka.properties, copy.kafka.secret_files);
  for (auto& source : copy.kafka_sources) Redact(source.properties, source.secret_files);
  YAML::Emitter out;
  if (!config.file.empty()) {
    out << YAML::Comment(fmt::format("effective configuration of {}", config.file));
  }
  out << YAML::BeginMap;
  RenderMap(out, "", copy, 0);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::vector<std::string> RestartOnlyChanges(const Config& running, const Config& loaded) {
  // The option table hands out mutable field pointers; compare copies.
  Config before = running;
  Config after = loaded;
  const auto same = [](const FieldRef& left, const FieldRef& right) {
    return std::visit(
        [&right](auto* left_value) {
          return *left_value == *std::get<decltype(left_value)>(right);
        },
        left);
  };
  std::vector<std::string> changed;
  for (const Option& option : Options()) {
    if (ReloadOf(option) == Reload::kLive) continue;
    const EntryList* list = ListOf(option);
    if (list == nullptr) {
      if (!same(option.field(before, 0), option.field(after, 0))) {
        changed.emplace_back(option.key);
      }
      continue;
    }
    const std::size_t entries = list->size(before);
    if (entries != list->size(after)) {
      if (std::find(changed.begin(), changed.end(), list->key) == changed.end()) {
        changed.emplace_back(list->key);
      }
      continue;
    }
    const std::string_view leaf = option.key.substr(list->key.size() + 3);  // after "[]."
    for (std::size_t entry = 0; entry < entries; ++entry) {
      if (!same(option.field(before, entry), option.field(after, entry))) {
        changed.push_back(fmt::format("{}[{}].{}", list->key, entry, leaf));
      }
    }
  }
  return changed;
}

std::string ConfigReference() {
  std::string table =
      "| Key | Type | Default | Bounds | On SIGHUP | Description |\n"
      "| --- | --- | --- | --- | --- | --- |\n";
  for (const Option& option : Options()) {
    table += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", option.key, Cell(TypeText(option)),
                         Cell(DefaultText(option)), Cell(BoundsText(option)),
                         ReloadOf(option) == Reload::kLive ? "applied" : "restart",
                         Cell(option.description));
  }
  return table;
}

}  // namespace newswire::config
