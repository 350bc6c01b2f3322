#include "daemon/pipeline/classify/entities.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <unicode/uchar.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "daemon/pipeline/classify/pattern_matcher.h"
#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

constexpr std::string_view kIsoRuleId = "iso-3166";
constexpr std::string_view kRoleIntroducedRuleId = "role-introduced";
constexpr std::string_view kCountryIdPrefix = "countries.";
constexpr std::string_view kGazetteerIdentifierPrefix = "gazetteer:";

// Words that introduce a person by their office or trade: "Foreign Minister Sergei Lavrov",
// "expert Vladimir Rouvinski". Matched on the folded text like every other pattern; the name
// after them is read from the original text, where names are capitalized.
// clang-format off
constexpr std::string_view kRoleWords[] = {
    "president", "vice president", "prime minister", "minister", "foreign minister",
    "defense minister", "defence minister", "interior minister", "finance minister",
    "deputy minister", "secretary of state", "secretary", "spokesman", "spokeswoman",
    "spokesperson", "expert", "analyst", "professor", "ambassador", "envoy", "general",
    "admiral", "commander", "senator", "congressman", "congresswoman", "lawmaker", "governor",
    "mayor", "chancellor", "opposition leader", "leader", "economist", "researcher",
    "historian", "diplomat", "chairman", "chairwoman", "director", "king", "queen", "prince",
    "pope", "judge",
};
// clang-format on

// Names that contain a country's name or demonym but name no country ("Latin American" is not
// "American"): matched so that, being longer, they win the overlap, and then credit nothing.
// clang-format off
constexpr std::string_view kNotEntities[] = {
    "Latin America", "Latin American", "Latin Americans", "South America", "South American",
    "South Americans", "Central America", "Central American", "Central Americans",
    "North America", "North American", "North Americans", "Native American", "Native Americans",
    "Indian Ocean", "Arabian Sea",
};
// clang-format on

// Capitalized words that end a name rather than continue it.
// clang-format off
constexpr std::string_view kNameStopWords[] = {
    "The", "A", "An", "And", "Of", "In", "On", "At", "For", "From", "To", "With", "By", "But",
    "As", "Or", "If", "When",
};
// clang-format on
// Lowercase particles inside a name ("Luiz Inácio Lula da Silva", "Mohammed bin Salman").
// clang-format off
constexpr std::string_view kNameParticles[] = {
    "al", "bin", "da", "de", "del", "della", "der", "di", "dos", "du", "la", "le", "van", "von",
};
// clang-format on
constexpr std::size_t kMaxRoleNameWords = 3;
constexpr std::size_t kMinRoleNameWords = 2;

// M49 sub-regions, with Latin America split into its M49 intermediate regions
// (docs/entities.md).
// clang-format off
constexpr std::string_view kRegions[] = {
    "Northern Africa", "Eastern Africa", "Middle Africa", "Southern Africa", "Western Africa",
    "Caribbean", "Central America", "South America", "Northern America", "Central Asia",
    "Eastern Asia", "South-eastern Asia", "Southern Asia", "Western Asia", "Eastern Europe",
    "Northern Europe", "Southern Europe", "Western Europe", "Australia and New Zealand",
    "Melanesia", "Micronesia", "Polynesia", "Antarctica",
};
// clang-format on

enum class UseKind : std::uint8_t { kName, kSurname, kRole, kNotEntity };

// One use of a pattern. A pattern shared by several entries ("Kremlin" for the Russian
// government and, through `represents`, for Russia) is compiled once and fans out.
struct PatternUse {
  UseKind kind = UseKind::kName;
  std::uint32_t entity = 0;
  std::uint32_t rule = 0;  // index into Compiled::rule_ids
  // The text as written in the gazetteer: a case-sensitive alias must equal the original bytes;
  // one written with a capital first letter must match a word that starts with one.
  std::uint32_t written = 0;  // index into Compiled::written_texts
  bool case_sensitive = false;
  bool capitalized = false;
};

struct EntityRecord {
  std::string type;  // "country", "person", "organization"
  std::string name;
  std::string identifier;
  std::string region;  // countries only
};

}  // namespace

struct EntityRecognizer::Compiled {
  std::vector<EntityRecord> entities;
  std::vector<std::string> rule_ids;
  std::vector<std::string> written_texts;
  std::shared_ptr<const PatternMatcher> matcher;
  std::vector<std::vector<PatternUse>> uses;  // by pattern id
};

namespace {

// --- Parsing ---------------------------------------------------------------------------------

// Collects "file:line:col: message" lines; yaml-cpp marks are 0-based.
class Problems {
 public:
  explicit Problems(std::string_view file, std::vector<std::string>& lines)
      : file_(file), lines_(lines) {}

  void Add(const YAML::Mark& mark, std::string_view message) {
    lines_.push_back(fmt::format("{}:{}:{}: {}", file_, mark.line + 1, mark.column + 1, message));
  }
  std::string Location(const YAML::Mark& mark) const {
    return fmt::format("{}:{}:{}", file_, mark.line + 1, mark.column + 1);
  }

 private:
  std::string file_;
  std::vector<std::string>& lines_;
};

struct Alias {
  std::string text;
  std::string location;
  bool case_sensitive = false;
};

struct ParsedEntry {
  std::string id;
  std::string location;
  std::string type;
  std::string name;
  std::string country;     // countries: the entry's own code; others: where they belong
  std::string region;      // countries
  std::string wikidata;    // people and organizations
  std::string represents;  // organizations: the country whose government this is
  std::optional<std::string> surname;
  YAML::Mark country_mark;
  YAML::Mark represents_mark;
  std::vector<Alias> aliases;  // with demonyms and capitals
};

constexpr std::string_view kCountryKeys[] = {"country", "name",     "region",
                                             "aliases", "demonyms", "capitals"};
constexpr std::string_view kEntryKeys[] = {"id",      "type", "name",     "aliases",   "surname",
                                           "country", "role", "wikidata", "represents"};

template <std::size_t kCount>
void CheckKeys(const YAML::Node& node, const std::string_view (&known)[kCount],
               Problems& problems) {
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    if (std::find(std::begin(known), std::end(known), key) != std::end(known)) continue;
    std::string list;
    for (const std::string_view name : known)
      list += (list.empty() ? "" : ", ") + std::string(name);
    problems.Add(entry.first.Mark(), fmt::format("unknown key '{}' (known: {})", key, list));
  }
}

std::string ReadText(const YAML::Node& node, std::string_view key, Problems& problems) {
  const YAML::Node value = node[std::string(key)];
  if (!value) return "";
  if (!value.IsScalar()) {
    problems.Add(value.Mark(), fmt::format("'{}' must be text", key));
    return "";
  }
  return value.Scalar();
}

void ReadAliases(const YAML::Node& node, std::string_view key, Problems& problems,
                 std::vector<Alias>& aliases) {
  const YAML::Node list = node[std::string(key)];
  if (!list) return;
  if (!list.IsSequence()) {
    problems.Add(list.Mark(), fmt::format("'{}' must be a list of names", key));
    return;
  }
  for (const YAML::Node& item : list) {
    Alias alias;
    alias.location = problems.Location(item.Mark());
    if (item.IsScalar()) {
      alias.text = item.Scalar();
    } else if (item.IsMap()) {
      for (const auto& entry : item) {
        const std::string item_key = entry.first.Scalar();
        if (item_key != "text" && item_key != "case_sensitive") {
          problems.Add(entry.first.Mark(), fmt::format("unknown key '{}' (known: text, "
                                                       "case_sensitive)",
                                                       item_key));
        }
      }
      if (item["text"] && item["text"].IsScalar()) alias.text = item["text"].Scalar();
      if (const YAML::Node flag = item["case_sensitive"]) {
        if (!flag.IsScalar() || !YAML::convert<bool>::decode(flag, alias.case_sensitive)) {
          problems.Add(flag.Mark(), "'case_sensitive' must be true or false");
        }
      }
    }
    if (alias.text.empty()) {
      problems.Add(item.Mark(), fmt::format("'{}' holds an empty name (a name, or a mapping with "
                                            "'text' and 'case_sensitive')",
                                            key));
      continue;
    }
    if (alias.text.starts_with("re:") || alias.text.ends_with('*')) {
      problems.Add(item.Mark(), fmt::format("'{}': '{}' is a rule pattern; gazetteer names are "
                                            "matched literally",
                                            key, alias.text));
      continue;
    }
    aliases.push_back(std::move(alias));
  }
}

void ReadCountry(const YAML::Node& node, Problems& problems, std::vector<ParsedEntry>& entries) {
  if (!node.IsMap()) {
    problems.Add(node.Mark(), "a country entry must be a mapping with 'country' and names");
    return;
  }
  CheckKeys(node, kCountryKeys, problems);
  ParsedEntry entry;
  entry.type = "country";
  entry.location = problems.Location(node.Mark());
  entry.country = ReadText(node, "country", problems);
  entry.country_mark = node["country"] ? node["country"].Mark() : node.Mark();
  if (entry.country.empty()) {
    problems.Add(node.Mark(), "the country entry has no 'country' (ISO 3166-1 alpha-2 code)");
    return;
  }
  std::string lowercase_code = entry.country;
  std::transform(lowercase_code.begin(), lowercase_code.end(), lowercase_code.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  entry.id = std::string(kCountryIdPrefix) + lowercase_code;
  entry.name = ReadText(node, "name", problems);
  entry.region = ReadText(node, "region", problems);
  if (!entry.region.empty() &&
      std::find(std::begin(kRegions), std::end(kRegions), entry.region) == std::end(kRegions)) {
    std::string list;
    for (const std::string_view name : kRegions)
      list += (list.empty() ? "" : ", ") + std::string(name);
    problems.Add(node["region"].Mark(),
                 fmt::format("unknown region '{}' (known: {})", entry.region, list));
  }
  ReadAliases(node, "aliases", problems, entry.aliases);
  ReadAliases(node, "demonyms", problems, entry.aliases);
  ReadAliases(node, "capitals", problems, entry.aliases);
  entries.push_back(std::move(entry));
}

void ReadEntry(const YAML::Node& node, Problems& problems, std::vector<ParsedEntry>& entries) {
  if (!node.IsMap()) {
    problems.Add(node.Mark(), "an entry must be a mapping with id, type, name and aliases");
    return;
  }
  CheckKeys(node, kEntryKeys, problems);
  ParsedEntry entry;
  entry.location = problems.Location(node.Mark());
  entry.id = ReadText(node, "id", problems);
  entry.type = ReadText(node, "type", problems);
  entry.name = ReadText(node, "name", problems);
  entry.country = ReadText(node, "country", problems);
  entry.country_mark = node["country"] ? node["country"].Mark() : node.Mark();
  entry.wikidata = ReadText(node, "wikidata", problems);
  entry.represents = ReadText(node, "represents", problems);
  entry.represents_mark = node["represents"] ? node["represents"].Mark() : node.Mark();
  ReadText(node, "role", problems);  // documentation for people reading the file
  if (entry.id.empty()) problems.Add(node.Mark(), "the entry has no 'id'");
  if (entry.id.starts_with(kCountryIdPrefix)) {
    problems.Add(node.Mark(), fmt::format("id '{}': ids starting with '{}' belong to country "
                                          "entries",
                                          entry.id, kCountryIdPrefix));
  }
  if (entry.name.empty()) problems.Add(node.Mark(), "the entry has no 'name'");
  if (entry.type != "person" && entry.type != "organization") {
    problems.Add(node["type"] ? node["type"].Mark() : node.Mark(),
                 fmt::format("'type' must be person or organization, not '{}'", entry.type));
  }
  if (!entry.wikidata.empty() && (entry.wikidata.size() < 2 || entry.wikidata[0] != 'Q' ||
                                  !std::all_of(entry.wikidata.begin() + 1, entry.wikidata.end(),
                                               [](char c) { return c >= '0' && c <= '9'; }))) {
    problems.Add(node["wikidata"].Mark(),
                 fmt::format("'wikidata' must be a Q-id such as Q7747, not '{}'", entry.wikidata));
  }
  if (!entry.represents.empty() && entry.type != "organization") {
    problems.Add(node["represents"].Mark(), "only an organization 'represents' a country");
  }
  if (const YAML::Node surname = node["surname"]) {
    if (entry.type != "person") problems.Add(surname.Mark(), "only a person has a 'surname'");
    entry.surname = surname.IsScalar() ? surname.Scalar() : "";
  }
  if (!entry.name.empty()) entry.aliases.push_back({entry.name, entry.location, false});
  ReadAliases(node, "aliases", problems, entry.aliases);
  if (entry.id.empty() || entry.name.empty()) return;
  entries.push_back(std::move(entry));
}

void ReadGazetteer(const RuleSource& source, Problems& problems,
                   std::vector<ParsedEntry>& entries) {
  YAML::Node document;
  try {
    document = YAML::Load(source.text);
  } catch (const YAML::Exception& error) {
    problems.Add(error.mark, fmt::format("YAML syntax: {}", error.msg));
    return;
  }
  if (!document.IsMap()) {
    problems.Add(document.Mark(), "a gazetteer is a mapping with a list 'countries' or 'entries'");
    return;
  }
  for (const auto& item : document) {
    const std::string key = item.first.Scalar();
    if (key != "countries" && key != "entries") {
      problems.Add(item.first.Mark(),
                   fmt::format("unknown key '{}' (known: countries, entries)", key));
      continue;
    }
    if (!item.second.IsSequence()) {
      problems.Add(item.second.Mark(), fmt::format("'{}' must be a list", key));
      continue;
    }
    for (const YAML::Node& node : item.second) {
      if (key == "countries") {
        ReadCountry(node, problems, entries);
      } else {
        ReadEntry(node, problems, entries);
      }
    }
  }
}

// "file:line:col" of a byte offset, for RapidJSON's parse errors.
std::string JsonLocation(const RuleSource& source, std::size_t offset) {
  offset = std::min(offset, source.text.size());
  const std::string_view before(source.text.data(), offset);
  const std::size_t line =
      1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t line_start = before.rfind('\n');
  const std::size_t column =
      line_start == std::string_view::npos ? offset + 1 : offset - line_start;
  return fmt::format("{}:{}:{}", source.name, line, column);
}

struct IsoCountry {
  std::string code;
  std::string display_name;
  std::vector<std::string> names;
};

// Reads {"3166-1": [{"alpha_2", "name", "common_name"?, "official_name"?}, ...]}.
std::vector<IsoCountry> ReadIsoCountries(const RuleSource& source,
                                         std::vector<std::string>& problem_lines) {
  std::vector<IsoCountry> countries;
  rapidjson::Document document;
  document.Parse(source.text.data(), source.text.size());
  if (document.HasParseError()) {
    problem_lines.push_back(fmt::format("{}: JSON syntax: {}",
                                        JsonLocation(source, document.GetErrorOffset()),
                                        rapidjson::GetParseError_En(document.GetParseError())));
    return countries;
  }
  const auto list = document.IsObject() ? document.FindMember("3166-1") : document.MemberEnd();
  if (!document.IsObject() || list == document.MemberEnd() || !list->value.IsArray()) {
    problem_lines.push_back(
        fmt::format("{}:1:1: not the iso-codes ISO 3166-1 file: no list "
                    "'3166-1'",
                    source.name));
    return countries;
  }
  auto text_of = [](const rapidjson::Value& object, const char* key) -> std::string {
    const auto member = object.FindMember(key);
    if (member == object.MemberEnd() || !member->value.IsString()) return "";
    return std::string(member->value.GetString(), member->value.GetStringLength());
  };
  std::size_t index = 0;
  for (const rapidjson::Value& item : list->value.GetArray()) {
    ++index;
    if (!item.IsObject()) continue;
    IsoCountry country;
    country.code = text_of(item, "alpha_2");
    const std::string name = text_of(item, "name");
    const std::string common_name = text_of(item, "common_name");
    if (country.code.size() != 2 || name.empty()) {
      problem_lines.push_back(
          fmt::format("{}:1:1: entry {} of '3166-1' has no alpha_2 code or "
                      "no name",
                      source.name, index));
      continue;
    }
    country.display_name = common_name.empty() ? name : common_name;
    // "Korea, Republic of" is a sorting form nobody writes; skip names with a comma.
    for (const std::string& candidate : {name, common_name, text_of(item, "official_name")}) {
      if (!candidate.empty() && candidate.find(',') == std::string::npos) {
        country.names.push_back(candidate);
      }
    }
    countries.push_back(std::move(country));
  }
  return countries;
}

bool StartsWithAsciiUppercase(std::string_view text) {
  return !text.empty() && text.front() >= 'A' && text.front() <= 'Z';
}

// The last word of a name: the implicit surname alias of a person.
std::string LastWord(std::string_view name) {
  const std::size_t space = name.rfind(' ');
  if (space == std::string_view::npos) return "";
  return std::string(name.substr(space + 1));
}

// --- Matching --------------------------------------------------------------------------------

bool IsWordByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (static_cast<unsigned char>(c) & 0x80) != 0;
}

// One match of an entity pattern, in original (normalized field) offsets.
struct Candidate {
  std::uint32_t pattern = 0;
  bool in_title = false;
  std::size_t begin = 0;
  std::size_t end = 0;
};

struct RoleHit {
  bool in_title = false;
  std::size_t end = 0;  // where the role word ends in the original field
};

// A mention credited to an entity, before it is tallied.
struct Mention {
  std::uint32_t candidate = 0;
  std::uint32_t entity = 0;
  std::uint32_t rule = 0;
};

struct EntityTally {
  std::size_t count = 0;
  bool in_title = false;
  bool in_lead = false;
  bool in_body = false;
  std::size_t first_body_offset = 0;
  std::vector<Evidence> mentions;
};

// A person introduced by a role word and unknown to the gazetteers.
struct RolePerson {
  std::string name;
  std::string surname;
  std::vector<std::pair<bool, ByteRange>> spans;  // (in title, range) of "Role Name" names
};

// Per thread, reused for every article.
struct RecognizeState {
  std::vector<PatternMatcher::Hit> folded_hits;
  std::vector<Candidate> candidates;
  std::vector<Candidate> kept;
  std::vector<RoleHit> role_hits;
  std::vector<Mention> mentions;
  std::vector<Mention> surname_mentions;
  std::vector<EntityTally> tallies;
  std::vector<std::uint32_t> touched;
  std::vector<std::uint32_t> credited;
};

// Whether a use's conditions on the original text hold.
bool UseHolds(const PatternUse& use, const std::vector<std::string>& written_texts,
              std::string_view original) {
  if (use.case_sensitive) return original == written_texts[use.written];
  if (use.capitalized) {
    // Lowercase ASCII at the start means a common word ("turkey", "china", "chad"); other
    // scripts and accented capitals pass.
    return !original.empty() && !(original.front() >= 'a' && original.front() <= 'z');
  }
  return true;
}

bool IsUppercaseStart(std::string_view text, std::size_t at) {
  if (at >= text.size()) return false;
  std::size_t index = at;
  const char32_t code_point = NextCodePoint(text, index);
  return u_isupper(static_cast<UChar32>(code_point)) != 0;
}

// The word starting at `at`: letters, with inner hyphens and apostrophes ("al-Assad",
// "O'Brien"); a possessive "'s" / "’s" is not part of it.
std::size_t WordEnd(std::string_view text, std::size_t at) {
  std::size_t index = at;
  while (index < text.size()) {
    std::size_t next = index;
    const char32_t code_point = NextCodePoint(text, next);
    if (u_isalpha(static_cast<UChar32>(code_point)) != 0 ||
        u_getIntPropertyValue(static_cast<UChar32>(code_point), UCHAR_GENERAL_CATEGORY) ==
            U_NON_SPACING_MARK) {
      index = next;
      continue;
    }
    if (code_point == '-' || code_point == '\'' || code_point == U'\u2019') {
      if (next >= text.size()) break;
      std::size_t after = next;
      const char32_t following = NextCodePoint(text, after);
      if (u_isalpha(static_cast<UChar32>(following)) == 0) break;
      const bool possessive = (following == 's' || following == 'S') &&
                              (after >= text.size() || !IsWordByte(text[after]));
      if (possessive && code_point != '-') break;
      index = next;
      continue;
    }
    break;
  }
  return index;
}

// Reads "Sergei Lavrov" after a role word ending at `at`: 2 or 3 capitalized words, with
// lowercase particles between them, separated by single spaces. nullopt when there is none.
std::optional<ByteRange> ReadIntroducedName(std::string_view text, std::size_t at) {
  std::size_t position = at;
  std::size_t name_end = at;
  std::size_t words = 0;
  while (words < kMaxRoleNameWords && position < text.size() && text[position] == ' ') {
    const std::size_t word_begin = position + 1;
    const std::size_t word_end = WordEnd(text, word_begin);
    if (word_end == word_begin) break;
    const std::string_view word = text.substr(word_begin, word_end - word_begin);
    if (IsUppercaseStart(text, word_begin)) {
      if (std::find(std::begin(kNameStopWords), std::end(kNameStopWords), word) !=
          std::end(kNameStopWords)) {
        break;
      }
      ++words;
      name_end = word_end;
    } else if (words == 0 || std::find(std::begin(kNameParticles), std::end(kNameParticles),
                                       word) == std::end(kNameParticles)) {
      break;
    }
    position = word_end;
  }
  if (words < kMinRoleNameWords) return std::nullopt;
  return ByteRange{at + 1, name_end};
}

double Salience(const EntityTally& tally, std::size_t most_mentions) {
  const double frequency =
      most_mentions == 0 ? 0.0
                         : static_cast<double>(tally.count) / static_cast<double>(most_mentions);
  return kTitleSalience * (tally.in_title ? 1.0 : 0.0) +
         kLeadSalience * (tally.in_lead ? 1.0 : 0.0) + kFrequencySalience * frequency;
}

// Counts `needle` as a whole word in `text`, appending each occurrence.
void FindWord(std::string_view text, std::string_view needle, bool in_title,
              std::vector<std::pair<bool, ByteRange>>& found) {
  if (needle.empty()) return;
  for (std::size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + 1)) {
    const std::size_t end = at + needle.size();
    if (at > 0 && IsWordByte(text[at - 1])) continue;
    if (end < text.size() && IsWordByte(text[end])) continue;
    found.push_back({in_title, ByteRange{at, end}});
  }
}

}  // namespace

EntityRecognizer::EntityRecognizer(std::unique_ptr<Compiled> compiled)
    : compiled_(std::move(compiled)) {}
EntityRecognizer::~EntityRecognizer() = default;

std::size_t EntityRecognizer::entity_count() const { return compiled_->entities.size(); }
std::size_t EntityRecognizer::pattern_count() const { return compiled_->matcher->pattern_count(); }

Result<std::shared_ptr<const EntityRecognizer>> EntityRecognizer::Build(
    const RuleSource& iso_3166_json, const std::vector<RuleSource>& gazetteers) {
  std::vector<std::string> problem_lines;
  const std::vector<IsoCountry> iso_countries = ReadIsoCountries(iso_3166_json, problem_lines);
  std::vector<ParsedEntry> parsed;
  for (const RuleSource& source : gazetteers) {
    Problems problems(source.name, problem_lines);
    ReadGazetteer(source, problems, parsed);
  }

  auto compiled = std::make_unique<Compiled>();
  PatternMatcher::Builder builder;
  std::unordered_map<std::string, std::uint32_t> country_index;
  std::unordered_map<std::string, std::uint32_t> rule_index;
  auto rule_of = [&](std::string_view id) {
    auto [found, inserted] =
        rule_index.emplace(std::string(id), static_cast<std::uint32_t>(compiled->rule_ids.size()));
    if (inserted) compiled->rule_ids.emplace_back(id);
    return found->second;
  };
  auto add_use = [&](std::string_view text, std::string_view location, PatternUse use) {
    const auto id = builder.Add(text, location);
    if (!id) {
      problem_lines.push_back(fmt::format("{}: name '{}' is empty once folded", location, text));
      return;
    }
    use.written = static_cast<std::uint32_t>(compiled->written_texts.size());
    compiled->written_texts.emplace_back(text);
    if (!use.case_sensitive) use.capitalized = StartsWithAsciiUppercase(text);
    if (*id >= compiled->uses.size()) compiled->uses.resize(*id + 1);
    compiled->uses[*id].push_back(use);
  };

  for (const IsoCountry& country : iso_countries) {
    const auto entity = static_cast<std::uint32_t>(compiled->entities.size());
    if (!country_index.emplace(country.code, entity).second) continue;
    compiled->entities.push_back({"country", country.display_name, country.code, ""});
    const std::uint32_t rule = rule_of(kIsoRuleId);
    for (const std::string& name : country.names) {
      add_use(name, iso_3166_json.name, {UseKind::kName, entity, rule, 0, false, false});
    }
  }

  std::unordered_map<std::string, std::string> first_location_of_id;
  for (const ParsedEntry& entry : parsed) {
    if (auto [found, inserted] = first_location_of_id.emplace(entry.id, entry.location);
        !inserted) {
      problem_lines.push_back(fmt::format("{}: duplicate id '{}' (first at {})", entry.location,
                                          entry.id, found->second));
      continue;
    }
    auto country_of = [&](const std::string& code, const YAML::Mark& mark,
                          std::string_view key) -> std::optional<std::uint32_t> {
      const auto found = country_index.find(code);
      if (found != country_index.end()) return found->second;
      const std::string file = entry.location.substr(0, entry.location.find(':'));
      problem_lines.push_back(
          fmt::format("{}:{}:{}: '{}' is '{}', not an ISO 3166-1 alpha-2 "
                      "code",
                      file, mark.line + 1, mark.column + 1, key, code));
      return std::nullopt;
    };
    const std::uint32_t rule = rule_of(entry.id);
    std::uint32_t entity = 0;
    std::optional<std::uint32_t> represented;
    if (entry.type == "country") {
      const auto country = country_of(entry.country, entry.country_mark, "country");
      if (!country) continue;
      entity = *country;
      EntityRecord& record = compiled->entities[entity];
      if (!entry.name.empty()) record.name = entry.name;
      record.region = entry.region;
    } else {
      if (!entry.country.empty() && !country_of(entry.country, entry.country_mark, "country")) {
        continue;
      }
      if (!entry.represents.empty()) {
        represented = country_of(entry.represents, entry.represents_mark, "represents");
        if (!represented) continue;
      }
      entity = static_cast<std::uint32_t>(compiled->entities.size());
      compiled->entities.push_back({entry.type, entry.name,
                                    entry.wikidata.empty()
                                        ? std::string(kGazetteerIdentifierPrefix) + entry.id
                                        : entry.wikidata,
                                    ""});
    }
    for (const Alias& alias : entry.aliases) {
      add_use(alias.text, alias.location,
              {UseKind::kName, entity, rule, 0, alias.case_sensitive, false});
      if (represented) {
        add_use(alias.text, alias.location,
                {UseKind::kName, *represented, rule, 0, alias.case_sensitive, false});
      }
    }
    if (entry.type == "person") {
      const std::string surname = entry.surname ? *entry.surname : LastWord(entry.name);
      if (!surname.empty()) {
        add_use(surname, entry.location, {UseKind::kSurname, entity, rule, 0, false, false});
      }
    }
  }

  for (const std::string_view name : kNotEntities) {
    add_use(name, "built-in non-entity names", {UseKind::kNotEntity, 0, 0, 0, false, false});
  }
  const std::uint32_t role_rule = rule_of(kRoleIntroducedRuleId);
  for (const std::string_view role : kRoleWords) {
    add_use(role, "built-in role words", {UseKind::kRole, 0, role_rule, 0, false, false});
  }

  if (problem_lines.empty()) {
    auto matcher = builder.Build();
    if (matcher) {
      compiled->matcher = std::move(*matcher);
    } else {
      problem_lines.push_back(std::move(matcher.error().message));
    }
  }
  if (!problem_lines.empty()) return MakeProblemListError("the entity gazetteers", problem_lines);
  return std::shared_ptr<const EntityRecognizer>(new EntityRecognizer(std::move(compiled)));
}

Result<void> EntityRecognizer::Recognize(Article& article) const {
  thread_local FoldedText folded_title;
  thread_local FoldedText folded_body;
  FoldInto(article.title, folded_title);
  FoldInto(article.body, folded_body);
  return Recognize(article, folded_title, folded_body);
}

Result<void> EntityRecognizer::Recognize(Article& article, const FoldedText& folded_title,
                                         const FoldedText& folded_body) const {
  thread_local RecognizeState state;
  const Compiled& compiled = *compiled_;
  state.candidates.clear();
  state.role_hits.clear();

  // 1. One scan per field; keep the hits whose conditions (case, capital) hold for some use.
  for (const auto& [in_title, folded, text] :
       {std::tuple{true, &folded_title, std::string_view(article.title)},
        std::tuple{false, &folded_body, std::string_view(article.body)}}) {
    if (text.empty()) continue;
    state.folded_hits.clear();
    if (auto scanned = compiled.matcher->Scan(*folded, state.folded_hits); !scanned) {
      return tl::unexpected<Error>(std::move(scanned.error()));
    }
    for (const PatternMatcher::Hit& hit : state.folded_hits) {
      const ByteRange original = OriginalRange(*folded, hit.begin, hit.end);
      const std::string_view original_text =
          text.substr(original.begin, original.end - original.begin);
      bool holds = false;
      for (const PatternUse& use : compiled.uses[hit.pattern]) {
        if (use.kind == UseKind::kRole) {
          state.role_hits.push_back({in_title, original.end});
        } else if (!holds && UseHolds(use, compiled.written_texts, original_text)) {
          holds = true;
        }
      }
      if (holds) state.candidates.push_back({hit.pattern, in_title, original.begin, original.end});
    }
  }

  // 2. Overlaps: the leftmost, then longest, match wins ("Washington Post" over "Washington",
  // "Nicolás Maduro" over "Maduro").
  std::sort(state.candidates.begin(), state.candidates.end(),
            [](const Candidate& left, const Candidate& right) {
              if (left.in_title != right.in_title) return left.in_title;
              if (left.begin != right.begin) return left.begin < right.begin;
              return left.end > right.end;
            });
  state.kept.clear();
  for (const Candidate& candidate : state.candidates) {
    if (!state.kept.empty() && state.kept.back().in_title == candidate.in_title &&
        candidate.begin < state.kept.back().end) {
      continue;
    }
    state.kept.push_back(candidate);
  }

  // 3. Credit names; surnames only for people whose full name or another alias is in the
  // article (title or body: a headline often has the surname alone).
  const std::size_t first_break = article.body.find("\n\n");
  const std::size_t lead_end = first_break == std::string::npos ? article.body.size() : first_break;
  if (state.tallies.size() < compiled.entities.size())
    state.tallies.resize(compiled.entities.size());
  state.touched.clear();
  state.mentions.clear();
  state.surname_mentions.clear();
  for (std::uint32_t index = 0; index < state.kept.size(); ++index) {
    const Candidate& candidate = state.kept[index];
    const std::string_view text = candidate.in_title ? article.title : article.body;
    const std::string_view original = text.substr(candidate.begin, candidate.end - candidate.begin);
    state.credited.clear();
    for (const PatternUse& use : compiled.uses[candidate.pattern]) {
      if (use.kind == UseKind::kRole || use.kind == UseKind::kNotEntity ||
          !UseHolds(use, compiled.written_texts, original)) {
        continue;
      }
      if (std::find(state.credited.begin(), state.credited.end(), use.entity) !=
          state.credited.end()) {
        continue;
      }
      state.credited.push_back(use.entity);
      if (use.kind == UseKind::kSurname) {
        state.surname_mentions.push_back({index, use.entity, use.rule});
      } else {
        state.mentions.push_back({index, use.entity, use.rule});
        if (state.tallies[use.entity].count++ == 0) state.touched.push_back(use.entity);
      }
    }
  }
  // A surname shared by two people named in full is ambiguous and credits neither.
  for (std::size_t index = 0; index < state.surname_mentions.size();) {
    std::size_t next = index;
    std::size_t named = 0;
    const Mention* chosen = nullptr;
    for (; next < state.surname_mentions.size() &&
           state.surname_mentions[next].candidate == state.surname_mentions[index].candidate;
         ++next) {
      if (state.tallies[state.surname_mentions[next].entity].count > 0) {
        ++named;
        chosen = &state.surname_mentions[next];
      }
    }
    if (named == 1) state.mentions.push_back(*chosen);
    index = next;
  }
  if (!state.surname_mentions.empty()) {
    // Back in text order, after the surnames appended at the end; no allocation, unlike
    // std::stable_sort.
    std::sort(state.mentions.begin(), state.mentions.end(),
              [](const Mention& left, const Mention& right) {
                return left.candidate != right.candidate ? left.candidate < right.candidate
                                                         : left.entity < right.entity;
              });
  }
  for (const std::uint32_t entity : state.touched) state.tallies[entity].count = 0;
  for (const Mention& mention : state.mentions) {
    const Candidate& candidate = state.kept[mention.candidate];
    EntityTally& tally = state.tallies[mention.entity];
    ++tally.count;
    if (candidate.in_title) {
      tally.in_title = true;
    } else {
      if (!tally.in_body) tally.first_body_offset = candidate.begin;
      tally.in_body = true;
      if (candidate.begin < lead_end) tally.in_lead = true;
    }
    if (tally.mentions.size() < kMaxMentionsPerEntity) {
      // One allocation for all the evidence an entity keeps, rather than one per growth.
      if (tally.mentions.empty()) tally.mentions.reserve(kMaxMentionsPerEntity);
      const std::string& field = candidate.in_title ? article.title : article.body;
      Evidence& evidence = tally.mentions.emplace_back();
      evidence.field = candidate.in_title ? "title" : "body";
      evidence.begin_offset = candidate.begin;
      evidence.end_offset = candidate.end;
      evidence.text.assign(field, candidate.begin, candidate.end - candidate.begin);
      evidence.rule_id = compiled.rule_ids[mention.rule];
    }
  }

  // 4. People introduced by a role word whom no gazetteer entry matched at that place.
  std::vector<RolePerson> role_people;
  for (const RoleHit& role : state.role_hits) {
    const std::string_view text = role.in_title ? article.title : article.body;
    const auto name = ReadIntroducedName(text, role.end);
    if (!name) continue;
    const bool known =
        std::any_of(state.kept.begin(), state.kept.end(), [&](const Candidate& kept) {
          return kept.in_title == role.in_title && kept.begin < name->end && name->begin < kept.end;
        });
    if (known) continue;
    const std::string name_text(text.substr(name->begin, name->end - name->begin));
    auto person = std::find_if(
        role_people.begin(), role_people.end(),
        [&](const RolePerson& known_person) { return known_person.name == name_text; });
    if (person == role_people.end()) {
      role_people.push_back({name_text, LastWord(name_text), {}});
      person = role_people.end() - 1;
    }
    const bool repeated =
        std::any_of(person->spans.begin(), person->spans.end(), [&](const auto& span) {
          return span.first == role.in_title && span.second.begin == name->begin;
        });
    if (!repeated) person->spans.push_back({role.in_title, *name});
  }

  // 5. Entities with salience, most salient first.
  std::size_t most_mentions = 0;
  for (const std::uint32_t entity : state.touched) {
    most_mentions = std::max(most_mentions, state.tallies[entity].count);
  }
  std::vector<std::pair<EntityTally, const RolePerson*>> role_tallies;
  for (const RolePerson& person : role_people) {
    // Every later "Rouvinski" counts too: all occurrences of the surname, with the
    // role-introduced names as the evidence where they are.
    std::vector<std::pair<bool, ByteRange>> occurrences;
    FindWord(article.title, person.surname, true, occurrences);
    FindWord(article.body, person.surname, false, occurrences);
    EntityTally tally;
    for (const auto& [in_title, range] : occurrences) {
      ByteRange evidence_range = range;
      for (const auto& [span_in_title, span] : person.spans) {
        if (span_in_title == in_title && span.begin <= range.begin && range.end <= span.end) {
          evidence_range = span;
        }
      }
      ++tally.count;
      if (in_title) {
        tally.in_title = true;
      } else {
        if (!tally.in_body) tally.first_body_offset = evidence_range.begin;
        tally.in_body = true;
        if (evidence_range.begin < lead_end) tally.in_lead = true;
      }
      if (tally.mentions.size() < kMaxMentionsPerEntity) {
        const std::string& field = in_title ? article.title : article.body;
        tally.mentions.push_back(
            {in_title ? "title" : "body", evidence_range.begin, evidence_range.end,
             field.substr(evidence_range.begin, evidence_range.end - evidence_range.begin),
             std::string(kRoleIntroducedRuleId)});
      }
    }
    if (tally.count == 0) continue;
    most_mentions = std::max(most_mentions, tally.count);
    role_tallies.emplace_back(std::move(tally), &person);
  }

  struct Ranked {
    Entity entity;
    std::size_t first_position = 0;  // title first, then body order
    const std::string* region = nullptr;
  };
  std::vector<Ranked> ranked;
  ranked.reserve(state.touched.size() + role_tallies.size());
  auto add_ranked = [&](EntityTally& tally, const EntityRecord& record, double confidence) {
    Ranked& item = ranked.emplace_back();
    item.entity.type = record.type;
    item.entity.name = record.name;
    item.entity.identifier = record.identifier;
    item.entity.salience = Salience(tally, most_mentions);
    item.entity.score = item.entity.salience * confidence;
    item.entity.mention_count = tally.count;
    item.entity.first_offset = tally.in_body ? tally.first_body_offset : 0;
    item.entity.mentions = std::move(tally.mentions);
    item.first_position = tally.in_title ? 0 : 1 + tally.first_body_offset;
    item.region = &record.region;
    tally = EntityTally{};
  };
  for (const std::uint32_t entity : state.touched) {
    EntityTally& tally = state.tallies[entity];
    if (tally.count == 0) continue;  // only a surname, never named in full
    add_ranked(tally, compiled.entities[entity], 1.0);
  }
  // Records for the role-introduced people, who have no gazetteer record; they outlive
  // `ranked`, which points at their (empty) region.
  std::vector<EntityRecord> role_records;
  role_records.reserve(role_tallies.size());
  for (auto& [tally, person] : role_tallies) {
    role_records.push_back({"person", person->name, "", ""});
    add_ranked(tally, role_records.back(), kRoleIntroducedConfidence);
  }
  for (const std::uint32_t entity : state.touched) state.tallies[entity] = EntityTally{};
  std::sort(ranked.begin(), ranked.end(), [](const Ranked& left, const Ranked& right) {
    if (left.entity.score != right.entity.score) return left.entity.score > right.entity.score;
    if (left.first_position != right.first_position) {
      return left.first_position < right.first_position;
    }
    return left.entity.name < right.entity.name;
  });

  article.entities.clear();
  article.entities.reserve(ranked.size());
  article.primary_country.clear();
  article.primary_region.clear();
  for (Ranked& item : ranked) {
    if (item.entity.type == "country" && article.primary_country.empty()) {
      article.primary_country = item.entity.identifier;
      article.primary_region = *item.region;
    }
    article.entities.push_back(std::move(item.entity));
  }
  return {};
}

}  // namespace newswire::pipeline
