#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "daemon/config/config.h"

namespace newswire::config {

// The single description of every config option. LoadConfig, RenderConfig and ConfigReference
// all walk this table, so adding an option here (and its field in config.h) is all it takes for
// it to be parsed, validated, rendered and documented.

enum class OptionType {
  kString,
  kPath,        // a string made absolute against the working directory when loaded
  kInteger,     // a plain YAML integer
  kDuration,    // a plain YAML integer of milliseconds; the key ends in _ms
  kByteSize,    // an integer of bytes or a string such as "16MiB"; see ParseByteSize
  kBool,        // any YAML 1.1 boolean spelling (true, yes, on, ...)
  kEnum,        // one of `allowed_values`
  kStringList,  // a YAML list of strings
  kStringMap,   // a YAML map of scalars, kept as strings
};

// What SIGHUP does with a changed value. kLive: applied to the running daemon (docs/operations.md,
// "Reload"). kRestart: reported in the log and left alone until the next start, because applying
// it would mean rebuilding what holds work in flight (the producer, the state, the consumers).
enum class Reload { kRestart, kLive };

enum class DefaultRule {
  kValue,     // `default_value` is YAML text, read exactly as if the user had written it
  kRequired,  // no default; a missing key is an error
  kComputed,  // `compute_default` derives it after loading; `default_value` describes it
};

// Where an option lives in the structs. Enums with a C++ enum type are stored by their index in
// `allowed_values`; string enums are stored as their text.
using FieldRef =
    std::variant<std::string*, std::int64_t*, bool*, std::vector<std::string>*,
                 std::map<std::string, std::string>*, DirectorySourceConfig::OnSuccess*>;

struct Option {
  // Dotted path of the key; options of the entries of a list appear as "sources.kafka[].x".
  std::string_view key = {};
  OptionType type = OptionType::kString;
  std::string_view unit = {};  // "ms", "bytes", "files", ...; shown in the reference
  DefaultRule default_rule = DefaultRule::kValue;
  std::string_view default_value = {};
  // `entry` is as for `field`. Computed defaults of an entry derive from its required options and
  // are only asked for when those are valid.
  std::string (*compute_default)(const Config& config, std::size_t entry) = nullptr;
  // Inclusive bounds of numbers; for lists, `min_value` is the least number of entries.
  std::int64_t min_value = 0;
  std::int64_t max_value = 0;
  std::span<const std::string_view> allowed_values = {};
  // A rule on strings (and on every list element) that bounds cannot express; returns "" when
  // `value` is fine, otherwise why not. `bounds_text` states the rule in the reference.
  std::string (*check)(std::string_view value) = nullptr;
  std::string_view bounds_text = {};
  std::string_view description = {};
  // For an option of a list's entries, `entry` is the index of the entry, which must exist;
  // options of a section ignore it.
  FieldRef (*field)(Config& config, std::size_t entry) = nullptr;
  // Options of a list's entries take their list's `reload` instead.
  Reload reload = Reload::kRestart;
};

// A list of entries in the config, such as sources.directories. Its entries' options have keys
// "<key>[].<leaf>"; the loader sizes the list before it binds them.
struct EntryList {
  std::string_view key = {};  // "sources.directories"
  // What the list holds and what one entry must be, for "expected ..." errors.
  std::string_view entries_text = {};  // "a list of directory entries"
  std::string_view entry_text = {};    // "a map with at least a path"
  std::size_t (*size)(const Config& config) = nullptr;
  void (*resize)(Config& config, std::size_t size) = nullptr;
  // The entry's "file:line:col", set by the loader.
  std::string* (*location)(Config& config, std::size_t entry) = nullptr;
  // kLive: SIGHUP applies the whole list (entries added, removed or changed).
  Reload reload = Reload::kRestart;
};

std::span<const Option> Options();

// The option whose key is exactly `key`, or nullptr.
const Option* FindOption(std::string_view key);

// The key component following `prefix` ("" for the top level, otherwise ending in '.') of every
// option under it, in table order and without repeats: for "sources." that is "directories[]"
// and "kafka[]".
std::vector<std::string_view> ChildKeys(std::string_view prefix);

std::span<const EntryList> EntryLists();

// The list whose key is exactly `key` ("sources.kafka"), or nullptr.
const EntryList* FindEntryList(std::string_view key);

// The list whose entries `option` belongs to, or nullptr for an option of a section.
const EntryList* ListOf(const Option& option);

// What SIGHUP does with `option`: its own setting, or its list's.
Reload ReloadOf(const Option& option);

inline constexpr std::string_view kDirectoryListKey = "sources.directories";
inline constexpr std::string_view kKafkaSourceListKey = "sources.kafka";

}  // namespace newswire::config
